package io.parley.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.health.NodeHealth;
import io.parley.node.settings.NodeSettings;
import io.parley.node.testing.Cql;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The warm-up before readiness (parley.warm-up): a node logs clients of the reserved warm-up app
 * into its own gateway over WebSocket and has pairs of them message each other, and {@code /ready}
 * turns true only once that has ended (all done, or its timeout passed). The warm-up app takes
 * nobody else: not after the warm-up, and not during it without a session token this node issued.
 */
@ExtendWith(SharedCassandra.class)
class WarmUpIT {

  @RegisterExtension static final Cql CQL = new Cql();

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void a_node_is_ready_once_its_warm_up_logins_are_done_and_the_warm_up_app_is_closed_after()
      throws Exception {
    TestNode.Ports ports = TestNode.Ports.free();
    try (TestNode node =
        TestNode.start(
            ports, ports, "parley.warm-up { logins = 400, concurrency = 8, timeout = 60s }")) {
      NodeHealth health = NodeHealth.get(node.system());
      awaitStatus(node.managementUri().resolve("/ready"), 200);
      assertTrue(health.warmedUp());
      assertEquals(
          400, health.warmUpLogins(), "every warm-up login went through the real login path");

      try (ImClient stranger =
          ImClient.connect(
              node.webSocketUri(), Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, WAIT)) {
        GenericCommand closed =
            stranger
                .request(
                    Commands.sessionOpen(
                            io.parley.node.settings.NodeSettings.WARM_UP_APP_ID, "warm-up-1")
                        .setSessionMessage(SessionCommand.newBuilder().setSt("forged.token")))
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(OpType.closed, closed.getOp(), closed::toString);
        assertEquals(
            4100, closed.getSessionMessage().getCode(), "after its warm-up the app is gone");
      }
      try (ImClient tom = TestClients.login(node, "parley-dev", "Tom", WAIT)) {
        assertTrue(tom.isOpen(), "the node's own apps log in as before");
      }
    }
  }

  /**
   * Its clients message each other (offline pushes at protocol-v1 logins, live pushes, acks) in one
   * conversation per pair, the same at every start, and the history they wrote is gone once the
   * node is ready: node restarts leave nothing growing in Cassandra.
   */
  @Test
  void the_warm_up_messages_in_the_same_conversations_at_every_start_and_leaves_no_history()
      throws Exception {
    String config =
        "parley.warm-up { logins = 40, messages = 400, concurrency = 4, timeout = 60s }";
    List<String> first = warmUpConversations();
    for (int start = 1; start <= 2; start++) {
      TestNode.Ports ports = TestNode.Ports.free();
      try (TestNode node = TestNode.start(ports, ports, config)) {
        NodeHealth health = NodeHealth.get(node.system());
        awaitStatus(node.managementUri().resolve("/ready"), 200);
        // 400 messages: three rounds of 100 away (20 of them pushed at the v1 login) and 100 live.
        assertTrue(
            health.warmUpMessages() >= 300,
            "start " + start + ": the warm-up's receivers got " + health.warmUpMessages());
        List<String> conversations = warmUpConversations();
        assertFalse(conversations.isEmpty(), "the pairs have their conversations");
        if (start == 1) {
          first = conversations;
        } else {
          // Pairs take rounds as they come free: on a busy machine a pair idle at the first start
          // may get a round at the second, and only then has a conversation. Every pair that had
          // one
          // keeps it (a second one of a pair fails warmUpConversations).
          assertTrue(
              conversations.containsAll(first),
              "the same conversation per pair at every start: "
                  + first
                  + ", then "
                  + conversations);
        }
        for (String cid : conversations) {
          assertEquals(0, historyRows(cid), "history of " + cid + " after start " + start);
        }
      }
    }
  }

  /** The warm-up receivers' conversations, "pair/cid", at most one per pair. */
  private static List<String> warmUpConversations() {
    List<String> conversations = new ArrayList<>();
    for (int pair = 0; pair < WarmUp.PAIRS; pair++) {
      List<String> of = new ArrayList<>();
      for (Row row :
          CQL.session()
              .execute(
                  "SELECT cid FROM "
                      + SharedCassandra.keyspace()
                      + ".conversations_by_member WHERE app_id = ? AND client_id = ?",
                  NodeSettings.WARM_UP_APP_ID,
                  "warm-up-receiver-" + pair)) {
        of.add(pair + "/" + row.getString("cid"));
      }
      assertTrue(of.size() <= 1, "one conversation per pair: " + of);
      conversations.addAll(of);
    }
    return conversations;
  }

  /** Rows of {@code pairAndCid}'s history in this month's partition and the last one's. */
  private static long historyRows(String pairAndCid) {
    String cid = pairAndCid.substring(pairAndCid.indexOf('/') + 1);
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    long rows = 0;
    for (YearMonth month : List.of(now.minusMonths(1), now)) {
      rows +=
          CQL.session()
              .execute(
                  "SELECT count(*) FROM "
                      + SharedCassandra.keyspace()
                      + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ?",
                  NodeSettings.WARM_UP_APP_ID,
                  cid,
                  month.getYear() * 100 + month.getMonthValue())
              .one()
              .getLong(0);
    }
    return rows;
  }

  @Test
  void a_warm_up_that_does_not_finish_in_time_holds_readiness_until_its_timeout_only()
      throws Exception {
    TestNode.Ports ports = TestNode.Ports.free();
    // Far more logins than fit in 8 s: readiness waits for the timeout, then the node is ready.
    try (TestNode node =
        TestNode.start(
            ports, ports, "parley.warm-up { logins = 10000000, concurrency = 4, timeout = 8s }")) {
      NodeHealth health = NodeHealth.get(node.system());
      URI ready = node.managementUri().resolve("/ready");
      HttpResponse<String> during = get(ready);
      assertFalse(health.warmedUp(), "the warm-up is still running");
      // Up, Cassandra answering and the gateway bound: the warm-up is what holds readiness.
      assertTrue(health.gatewayBound());
      assertEquals(500, during.statusCode(), during.body());

      // A login into the warm-up app without this node's token is refused while it runs.
      try (ImClient stranger =
          ImClient.connect(
              node.webSocketUri(), Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, WAIT)) {
        GenericCommand refused =
            stranger.call(
                Commands.sessionOpen(
                    io.parley.node.settings.NodeSettings.WARM_UP_APP_ID, "warm-up-1"),
                WAIT);
        assertFalse(refused.getOp() == OpType.opened, refused::toString);
      }

      awaitStatus(ready, 200);
      assertTrue(health.warmedUp());
      assertTrue(
          health.warmUpLogins() > 0 && health.warmUpLogins() < 10_000_000,
          "ready after the timeout with the logins done by then: " + health.warmUpLogins());
    }
  }

  @Test
  void a_node_that_shuts_down_during_its_warm_up_stops_it() throws Exception {
    TestNode.Ports ports = TestNode.Ports.free();
    TestNode node =
        TestNode.start(
            ports, ports, "parley.warm-up { logins = 10000000, concurrency = 4, timeout = 60s }");
    try {
      awaitWarmUpThreads(true);
    } finally {
      node.close();
    }
    // Without the stop, its threads would go on dialing the closed listener until the timeout.
    awaitWarmUpThreads(false);
  }

  private static void awaitWarmUpThreads(boolean running) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (warmUpThreads() > 0 != running) {
      assertTrue(
          System.nanoTime() < deadline,
          (running ? "no warm-up thread started" : "warm-up threads still running: ")
              + warmUpThreads());
      Thread.sleep(100);
    }
  }

  private static long warmUpThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.isAlive() && thread.getName().startsWith("parley-warm-up-"))
        .count();
  }

  private static void awaitStatus(URI uri, int status) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    HttpResponse<String> response = get(uri);
    while (response.statusCode() != status) {
      assertTrue(
          System.nanoTime() < deadline,
          "GET " + uri + " did not turn " + status + ": " + response.body());
      Thread.sleep(100);
      response = get(uri);
    }
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
