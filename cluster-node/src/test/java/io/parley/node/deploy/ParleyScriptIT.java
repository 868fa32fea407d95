package io.parley.node.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The README's run command, for real: {@code deploy/local/parley up --nodes 2 --detach} starts its
 * own Cassandra and two nodes that form one cluster, prints the URLs, serves clients on both nodes,
 * and {@code parley down} stops everything it started.
 */
// Its own Cassandra and node processes on free ports: it runs beside the module's other integration
// tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
class ParleyScriptIT {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static HttpResponse<String> get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code parley_messages_in_total} as the node with metrics port {@code port} reports it. */
  private static double messagesIn(int port) throws Exception {
    HttpResponse<String> scrape = get("http://127.0.0.1:" + port + "/metrics");
    assertEquals(200, scrape.statusCode());
    java.util.regex.Matcher value =
        java.util.regex.Pattern.compile("(?m)^parley_messages_in_total (\\S+)$")
            .matcher(scrape.body());
    assertTrue(value.find(), scrape.body());
    return Double.parseDouble(value.group(1));
  }

  /** A free port whose next one is free too: the base of two nodes' ports. */
  private static int freePair() {
    int port = LocalCassandra.freePort();
    while (!LocalCassandra.isPortFree(port + 1)) {
      port = LocalCassandra.freePort();
    }
    return port;
  }

  private static String run(Map<String, String> env, Duration timeout, String... args)
      throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(args).directory(ROOT.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", args) + " did not finish:\n" + output);
    }
    assertEquals(0, process.exitValue(), () -> String.join(" ", args) + " failed:\n" + output);
    return output;
  }

  @Test
  void up_starts_cassandra_and_two_clustered_nodes_that_serve_clients_and_down_stops_them()
      throws Exception {
    Path home = Files.createTempDirectory("parley-home-");
    int http = freePair();
    int cql = LocalCassandra.freePort();
    int management = freePair();
    int metrics = freePair();
    Map<String, String> env =
        Map.of(
            "PARLEY_HOME",
            home.toString(),
            "PARLEY_CASSANDRA_HEAP",
            "512m",
            "PARLEY_REMOTE_PORT_BASE",
            Integer.toString(freePair()),
            "PARLEY_MANAGEMENT_PORT_BASE",
            Integer.toString(management),
            "PARLEY_METRICS_PORT_BASE",
            Integer.toString(metrics),
            // A smaller warm-up than the shipped 3,000 logins and 6,000 messages: the launcher's
            // wait for /ready is what counts.
            "PARLEY_WARM_UP_LOGINS",
            "300",
            "PARLEY_WARM_UP_MESSAGES",
            "400");
    try {
      String up =
          run(
              env,
              Duration.ofMinutes(5),
              "deploy/local/parley",
              "up",
              "--nodes",
              "2",
              "--http-port",
              Integer.toString(http),
              "--cql-port",
              Integer.toString(cql),
              "--detach");
      assertTrue(up.contains("router http://127.0.0.1:" + http + "/v1/route?appId=parley-dev"), up);
      assertTrue(up.contains("WebSocket ws://127.0.0.1:" + (http + 1) + "/"), up);
      assertTrue(up.contains("App key:    parley-dev-key"), up);
      assertTrue(up.contains("Signatures: none (development: anyone can log in as any client"), up);
      // `up` returns once every node reports ready, which is after its warm-up (logged as done, or
      // with a warning naming a step that failed: a warm-up is best effort; the second node's
      // starts while the first node's shards move to it).
      for (int node = 1; node <= 2; node++) {
        Path log = home.resolve("logs").resolve("node-" + node + ".log");
        assertTrue(
            Files.readString(log, StandardCharsets.UTF_8)
                .contains("Warm-up: 300 logins into this node and "),
            "node " + node + " had run its warm-up when `up` returned: " + log);
      }

      HttpResponse<String> route =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + (http + 1) + "/v1/route?appId=parley-dev"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, route.statusCode());
      // The warm-up's messages are counted too: Tom's message is one more.
      double messagesBefore = messagesIn(metrics);

      try (ImClient tom =
              ImClient.connect(
                  URI.create("ws://127.0.0.1:" + http + "/"),
                  Subprotocol.PROTOBUF_3,
                  ImClient.OfferMode.HEADER,
                  WAIT);
          ImClient jerry =
              ImClient.connect(
                  URI.create("ws://127.0.0.1:" + (http + 1) + "/"),
                  Subprotocol.PROTOBUF_3,
                  ImClient.OfferMode.HEADER,
                  WAIT)) {
        tom.call(Commands.sessionOpen("parley-dev", "script-tom"), WAIT);
        jerry.call(Commands.sessionOpen("parley-dev", "script-jerry"), WAIT);
        GenericCommand started =
            tom.call(Commands.convStart("script-tom", List.of("script-jerry"), "{}"), WAIT);
        assertEquals(OpType.started, started.getOp(), started::toString);
        tom.call(
            Commands.direct(
                "script-tom", started.getConvMessage().getCid(), "across the local cluster"),
            WAIT);
        GenericCommand received;
        do {
          received = jerry.nextPush(WAIT);
        } while (received.getCmd() != CommandType.direct);
        assertEquals("across the local cluster", received.getDirectMessage().getMsg());
      }
      // Each node has its own health and metrics ports (base + i - 1), as the script prints.
      assertTrue(up.contains("ready http://127.0.0.1:" + (management + 1) + "/ready"), up);
      assertEquals(200, get("http://127.0.0.1:" + (management + 1) + "/ready").statusCode());
      assertEquals(messagesBefore + 1, messagesIn(metrics), "Tom's message on node 1's metrics");
      String status = run(env, Duration.ofMinutes(1), "deploy/local/parley", "status");
      assertTrue(status.contains("node-1: running") && status.contains("node-2: running"), status);
      assertTrue(status.contains("cassandra: running"), status);
    } finally {
      run(env, Duration.ofMinutes(2), "deploy/local/parley", "down");
    }
    assertTrue(
        LocalCassandra.isPortFree(http) && LocalCassandra.isPortFree(http + 1), "nodes stopped");
    assertTrue(LocalCassandra.isPortFree(cql), "Cassandra stopped");
  }
}
