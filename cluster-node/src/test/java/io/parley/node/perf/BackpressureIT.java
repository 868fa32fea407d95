package io.parley.node.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.StoredMessages;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * A client that sends faster than the node stores is slowed down, not refused: with at most two
 * sends of a connection pending, the node stops reading that socket until an ack goes out, so even
 * a write queue of three never overflows and a burst of hundreds of unanswered sends is
 * acknowledged in full, in order.
 */
// It measures how a fast sender is slowed: nothing runs beside it.
@Isolated
class BackpressureIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int BURST = 600;

  // isolated: it times a burst against a tiny write queue
  @RegisterExtension
  static final NodeCluster CLUSTER =
      NodeCluster.isolated(
          1,
          "parley.messages.max-queued-writes = 3\nparley.messages.writes-in-flight = 1\n"
              + "parley.messages.batch-max-statements = 2\nparley.session.max-pending-sends = 2");

  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  @Test
  void a_burst_of_unanswered_sends_is_slowed_down_and_acknowledged_in_full() throws Exception {
    ImClient tom = clients.login("Tom");
    ImClient jerry = clients.login("Jerry");
    String cid =
        tom.call(Commands.convStart(clients.id("Tom"), List.of(clients.id("Jerry")), "{}"), WAIT)
            .getConvMessage()
            .getCid();

    List<CompletableFuture<GenericCommand>> answers = new ArrayList<>();
    for (int n = 0; n < BURST; n++) {
      answers.add(tom.request(Commands.direct(clients.id("Tom"), cid, "burst-" + n)));
    }
    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long previous = 0;
    for (CompletableFuture<GenericCommand> answer : answers) {
      GenericCommand ack = answer.join();
      assertTrue(!ack.getAckMessage().hasCode(), "slowed down, not refused: " + ack);
      assertTrue(ack.getAckMessage().getT() > previous, "acknowledged in the order sent");
      previous = ack.getAckMessage().getT();
    }
    assertEquals(BURST, StoredMessages.texts(APP, cid).size(), "all of the burst is in Cassandra");
    int delivered = 0;
    while (delivered < BURST) {
      if (jerry.nextPush(WAIT).getCmd() == CommandType.direct) {
        delivered++;
      }
    }
  }
}
