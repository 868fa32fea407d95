package io.parley.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.Scrape;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Prometheus endpoint of two real nodes (real Cassandra) during traffic: a sender on node 1 and
 * a receiver on node 2 exchange messages, and the series the README and the dashboard name move by
 * exactly what was done (connections, logins, messages in on the sender's node and out on the
 * receiver's, acks and their latency, Cassandra writes, refusals by code, entities per node), next
 * to the JVM's own series.
 */
class MetricsIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int MESSAGES = 25;

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(2, "parley.metrics.entity-count-interval = 500ms");

  @RegisterExtension final OpenClients clients = new OpenClients();

  @Test
  void the_documented_series_move_with_traffic_on_two_nodes() throws Exception {
    TestNode one = CLUSTER.first();
    TestNode two = CLUSTER.second();
    Scrape oneBefore = Scrape.of(one.metricsUri());
    Scrape twoBefore = Scrape.of(two.metricsUri());

    ImClient tom = clients.login(one, APP, "tom", WAIT);
    ImClient jerry =
        clients.add(
            ImClient.connect(
                two.webSocketUri(), Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, WAIT));
    // A tagged login: single-device login makes a presence entity for jerry somewhere in the
    // cluster.
    GenericCommand.Builder open = Commands.sessionOpen(APP, id("jerry"));
    open.getSessionMessageBuilder().setTag("mobile").setDeviceId("phone-1");
    assertEquals(OpType.opened, jerry.call(open, WAIT).getOp());

    String cid = start(tom, id("tom"), id("jerry"));
    for (int n = 0; n < MESSAGES; n++) {
      GenericCommand ack = tom.call(Commands.direct(id("tom"), cid, "metered " + n), WAIT);
      assertTrue(!ack.getAckMessage().hasCode(), ack::toString);
    }
    for (int received = 0; received < MESSAGES; ) {
      if (jerry.nextPush(WAIT).getCmd() == CommandType.direct) {
        received++;
      }
    }
    // A refusal: a message to a conversation tom is not a member of (4401 in the ack).
    String foreign = start(jerry, id("jerry"), id("spike"));
    GenericCommand refused = tom.call(Commands.direct(id("tom"), foreign, "not a member"), WAIT);
    assertEquals(4401, refused.getAckMessage().getCode(), refused::toString);

    Scrape oneDuring = Scrape.of(one.metricsUri());
    Scrape twoDuring =
        awaitScrape(
            two,
            scrape ->
                scrape.value("parley_messages_out_total")
                        - twoBefore.value("parley_messages_out_total")
                    >= MESSAGES);

    // Node 1 has the sender: its messages in, acks and their latency, the refusal it sent.
    assertEquals(MESSAGES + 1, delta(oneBefore, oneDuring, "parley_messages_in_total"));
    assertEquals(
        MESSAGES,
        delta(oneBefore, oneDuring, "parley_ack_latency_seconds_count"),
        "one latency observation per accepted message");
    double ackSeconds = delta(oneBefore, oneDuring, "parley_ack_latency_seconds_sum");
    assertTrue(
        ackSeconds > 0 && ackSeconds < MESSAGES * WAIT.toSeconds(),
        "ack latency sum " + ackSeconds);
    assertEquals(
        MESSAGES,
        oneDuring.value("parley_ack_latency_seconds_bucket", "le=\"+Inf\"")
            - oneBefore.value("parley_ack_latency_seconds_bucket", "le=\"+Inf\""));
    assertEquals(
        1,
        oneDuring.value("parley_refusals_total", "kind=\"ack\",code=\"4401\"")
            - oneBefore.value("parley_refusals_total", "kind=\"ack\",code=\"4401\""));
    // Node 2 has the receiver: every message pushed out there, none on node 1 (tom's own sends are
    // not echoed).
    assertEquals(MESSAGES, delta(twoBefore, twoDuring, "parley_messages_out_total"));
    assertEquals(0, delta(oneBefore, oneDuring, "parley_messages_out_total"));
    // Connections and logins where they happened; the gauges count what is open now.
    assertEquals(1, delta(oneBefore, oneDuring, "parley_connections_opened_total"));
    assertEquals(1, delta(twoBefore, twoDuring, "parley_connections_opened_total"));
    assertEquals(
        1,
        oneDuring.value("parley_logins_total", "outcome=\"opened\"")
            - oneBefore.value("parley_logins_total", "outcome=\"opened\""));
    assertEquals(
        1,
        twoDuring.value("parley_logins_total", "outcome=\"opened\"")
            - twoBefore.value("parley_logins_total", "outcome=\"opened\""));
    assertEquals(1, oneDuring.value("parley_connections"));
    assertEquals(1, twoDuring.value("parley_connections"));
    assertEquals(1, oneDuring.value("parley_sessions"));
    // Messages were written by whichever node hosts the conversation: at least one batch, none
    // failed.
    double writes =
        delta(oneBefore, oneDuring, "parley_cassandra_write_seconds_count")
            + delta(twoBefore, twoDuring, "parley_cassandra_write_seconds_count");
    assertTrue(writes >= 1 && writes <= MESSAGES, "batch writes: " + writes);
    assertEquals(
        0,
        oneDuring.value("parley_cassandra_write_failures_total")
            + twoDuring.value("parley_cassandra_write_failures_total"));
    // Entities: the two conversations and jerry's presence run somewhere in the cluster.
    Scrape oneLater = oneDuring;
    Scrape twoLater = twoDuring;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (entities(oneLater, twoLater, "conversation") < 2
        || entities(oneLater, twoLater, "presence") < 1) {
      assertTrue(System.nanoTime() < deadline, "entities never counted: " + oneLater.text());
      Thread.sleep(200);
      oneLater = Scrape.of(one.metricsUri());
      twoLater = Scrape.of(two.metricsUri());
    }
    // The JVM's series are there too.
    assertTrue(oneDuring.value("jvm_memory_used_bytes", "area=\"heap\"") > 0, "JVM heap in use");
    assertTrue(oneDuring.names().contains("jvm_threads_current"), "JVM threads");

    // A connection that goes away leaves the gauge.
    jerry.close();
    awaitScrape(two, scrape -> scrape.value("parley_connections") == 0);
    System.out.printf(
        "MetricsIT: %d messages node 1 -> node 2: ack latency mean %.1f ms, %d batch write(s), "
            + "entities conversation=%.0f presence=%.0f%n",
        MESSAGES,
        1000 * ackSeconds / MESSAGES,
        (long) writes,
        entities(oneLater, twoLater, "conversation"),
        entities(oneLater, twoLater, "presence"));
  }

  /**
   * A new conversation's id. The first conversation of a fresh test keyspace makes the journal
   * create its tables (tests only: production applies schema.cql), which can time out on a loaded
   * machine: retried.
   */
  private static String start(ImClient client, String creator, String other)
      throws InterruptedException {
    long deadline = System.nanoTime() + 3 * WAIT.toNanos();
    while (true) {
      GenericCommand reply = client.call(Commands.convStart(creator, List.of(other), "{}"), WAIT);
      if (reply.getOp() == OpType.started) {
        return reply.getConvMessage().getCid();
      }
      assertTrue(System.nanoTime() < deadline, "conv/start keeps failing: " + reply);
      Thread.sleep(500);
    }
  }

  private static double delta(Scrape before, Scrape after, String name) {
    return after.value(name) - before.value(name);
  }

  private static double entities(Scrape one, Scrape two, String type) {
    return one.value("parley_entities", "type=\"" + type + "\"")
        + two.value("parley_entities", "type=\"" + type + "\"");
  }

  private static Scrape awaitScrape(TestNode node, Predicate<Scrape> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Scrape scrape = Scrape.of(node.metricsUri());
    while (!condition.test(scrape)) {
      assertTrue(
          System.nanoTime() < deadline,
          "metrics never reached the expected state: " + scrape.text());
      Thread.sleep(100);
      scrape = Scrape.of(node.metricsUri());
    }
    return scrape;
  }

  private String id(String name) {
    return clients.id(name);
  }
}
