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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Past what the node can store, senders are slowed down or refused with a code, never left hanging,
 * and nothing acknowledged is lost. The node here may queue only a few writes (and each connection
 * may have many sends pending), so a burst of unanswered sends overflows the write queue: every
 * send is answered, the refused ones with 4301 and stored nowhere, the acknowledged ones all in
 * Cassandra and delivered, and the node serves normally right after.
 */
// It measures latency and refusals under a load it sets: nothing runs beside it.
@Isolated
class OverloadIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int BURST = 600;

  // isolated: the overload it provokes must be its own, not idle nodes' housekeeping
  @RegisterExtension
  static final NodeCluster CLUSTER =
      NodeCluster.isolated(
          1,
          "parley.messages.max-queued-writes = 3\nparley.messages.writes-in-flight = 1\n"
              + "parley.messages.batch-max-statements = 2\nparley.session.max-pending-sends = 1000");

  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  @Test
  void a_burst_beyond_the_write_queue_is_refused_with_a_code_and_every_ack_is_stored_and_delivered()
      throws Exception {
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

    Set<String> acked = new HashSet<>();
    Set<String> refused = new HashSet<>();
    for (int n = 0; n < BURST; n++) {
      GenericCommand ack = answers.get(n).join();
      assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
      if (ack.getAckMessage().hasCode()) {
        assertEquals(4301, ack.getAckMessage().getCode(), ack::toString);
        refused.add("burst-" + n);
      } else {
        acked.add("burst-" + n);
      }
    }
    System.out.printf(
        "OverloadIT: %d sent at once, %d acknowledged, %d refused with 4301%n",
        BURST, acked.size(), refused.size());
    assertTrue(!refused.isEmpty(), "the burst overflowed the write queue of 3");
    assertTrue(!acked.isEmpty(), "the node kept storing while refusing the excess");

    Set<String> stored = StoredMessages.texts(APP, cid);
    assertTrue(stored.containsAll(acked), "every acknowledged message is in Cassandra");
    assertTrue(refused.stream().noneMatch(stored::contains), "no refused message was stored");

    Set<String> delivered = new HashSet<>();
    while (delivered.size() < acked.size()) {
      GenericCommand push = jerry.nextPush(WAIT);
      if (push.getCmd() == CommandType.direct) {
        delivered.add(push.getDirectMessage().getMsg());
      }
    }
    assertEquals(acked, delivered, "the receiver got exactly the acknowledged messages");

    GenericCommand after = tom.call(Commands.direct(clients.id("Tom"), cid, "after"), WAIT);
    assertTrue(
        !after.getAckMessage().hasCode(), "the node serves normally after the burst: " + after);
  }
}
