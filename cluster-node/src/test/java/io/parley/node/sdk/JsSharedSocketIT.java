package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 9 point 4, through the unmodified official JS SDKs: two clients on one WebSocket (one
 * {@code Realtime}, two {@code createIMClient}), through each node of a two-node cluster, in four
 * conversations of their own (hosted wherever sharding puts them, so through each node some are
 * local and some, usually, remote). Amy sends 100 messages and edits and recalls 10 of them; Ben
 * receives each on the same socket. The reply to Amy's command must reach the socket before Ben's
 * push, and the SDK must resolve Amy's promise before it emits Ben's event ({@code messages.js
 * shared-order}).
 */
// Its own two nodes, clients with run-unique ids and no app-wide counts; its Node.js clients mostly
// wait for quiet: it runs beside the module's other integration tests (failsafe's JUnit
// configuration).
@Execution(ExecutionMode.CONCURRENT)
class JsSharedSocketIT {

  private static final Map<Integer, CompletableFuture<JsonNode>> RUNS = new ConcurrentHashMap<>();
  @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.own(2, "");

  @BeforeAll
  static void runTheScenarios() {
    JsSdk.ensureInstalled();
    for (int sdk : new int[] {4, 5}) {
      RUNS.put(
          sdk,
          CompletableFuture.supplyAsync(
              () ->
                  JsMessagesIT.run(
                      "shared-order",
                      sdk,
                      List.of(
                          "--rtm",
                          CLUSTER.first().webSocketUri() + "," + CLUSTER.second().webSocketUri(),
                          "--rounds",
                          "100",
                          "--patch-rounds",
                          "10",
                          "--conversations",
                          "4"))));
    }
  }

  @AfterAll
  static void awaitTheScenarios() {
    RUNS.values().forEach(run -> run.handle((r, e) -> r).join());
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_reply_reaches_a_shared_socket_before_the_push_it_caused_through_each_node(int sdk) {
    JsonNode r = RUNS.get(sdk).join();
    assertTrue(r.path("ok").asBoolean(), () -> "shared-order failed: " + r);
    assertEquals(
        0,
        r.path("unhandledRejections").size(),
        () -> "SDK errors: " + r.path("unhandledRejections"));
    JsonNode sockets = r.get("sockets");
    for (JsonNode socket : sockets) {
      System.out.println(
          "shared-order sdk "
              + sdk
              + " via "
              + socket.path("node").asText()
              + ": rounds "
              + socket.path("rounds")
              + "/"
              + socket.path("patchRounds")
              + ", reordered on the wire "
              + socket.path("wire")
              + ", in the SDK "
              + socket.path("sdk"));
    }
    assertEquals(2, sockets.size(), () -> "one socket per node: " + sockets);
    for (JsonNode socket : sockets) {
      String where = socket.get("node").asText() + ": " + socket;
      assertEquals(1, socket.get("connections").size(), where);
      assertEquals(
          socket.get("connections"),
          socket.get("benConnections"),
          () -> "one WebSocket for both: " + where);
      assertEquals(100, socket.get("rounds").asInt(), where);
      assertEquals(10, socket.get("patchRounds").asInt(), where);
      for (String kind : List.of("direct", "update", "recall")) {
        assertEquals(
            0,
            socket.get("wire").get(kind).asInt(),
            () -> kind + " pushes before the reply on the wire: " + where);
        assertEquals(
            0,
            socket.get("sdk").get(kind).asInt(),
            () -> kind + " events before the promise: " + where);
      }
    }
  }
}
