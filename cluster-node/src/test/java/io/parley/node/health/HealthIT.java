package io.parley.node.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.testing.TestCassandras;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Health that means something, on a real node with its own Cassandra (not the module's shared one,
 * which this test stops): {@code /ready} is true while the node is an Up member with a bound
 * gateway and Cassandra answers, false while Cassandra is down, and true again once Cassandra is
 * back; {@code /alive} stays true throughout, since restarting the node would not bring Cassandra
 * back. After recovery the node serves a message again.
 */
// Its own Cassandra (which it stops and starts) and its own node: it runs beside the module's other
// integration tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
class HealthIT {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * Readiness is back within the driver's reconnection delay (10 s, persistence.conf) plus probe
   * time.
   */
  private static final Duration RECOVERY = Duration.ofSeconds(60);

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static LocalCassandra cassandra;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    cassandra = TestCassandras.start("health", "512m", UnaryOperator.identity());
    TestNode.Ports ports = TestNode.Ports.free();
    node = TestNode.start(ports, ports, "", cassandra.contactPoint());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (cassandra != null) {
      cassandra.close();
    }
  }

  @Test
  void readiness_follows_cassandra_and_liveness_does_not() throws Exception {
    URI ready = node.managementUri().resolve("/ready");
    URI alive = node.managementUri().resolve("/alive");
    assertEquals(200, awaitStatus(ready, 200, WAIT).statusCode(), "ready with Cassandra up");
    assertEquals(200, get(alive).statusCode());
    List<ImClient> clients = new ArrayList<>();
    try {
      ImClient tom = TestClients.login(node, "parley-dev", "health-tom", clients, WAIT);
      String cid =
          tom.call(Commands.convStart("health-tom", List.of("health-jerry"), "{}"), WAIT)
              .getConvMessage()
              .getCid();
      assertAcked(tom.call(Commands.direct("health-tom", cid, "before the outage"), WAIT));

      long stopped = System.nanoTime();
      cassandra.stop();
      HttpResponse<String> notReady = awaitStatus(ready, 500, WAIT);
      System.out.printf(
          "HealthIT: not ready %.1f s after Cassandra stopped: %s%n",
          (System.nanoTime() - stopped) / 1e9, notReady.body());
      assertTrue(notReady.body().contains("Cassandra does not answer"), notReady.body());
      assertEquals(200, get(alive).statusCode(), "alive: a restart would not bring Cassandra back");

      cassandra.start();
      long answering = System.nanoTime();
      awaitStatus(ready, 200, RECOVERY);
      System.out.printf(
          "HealthIT: ready again %.1f s after Cassandra answered CQL again%n",
          (System.nanoTime() - answering) / 1e9);
      assertEquals(200, get(alive).statusCode());

      // Ready means serving: a message is acknowledged (stored) again, in the same conversation.
      assertAcked(tom.call(Commands.direct("health-tom", cid, "after the outage"), WAIT));
    } finally {
      clients.forEach(ImClient::close);
    }
  }

  private static void assertAcked(GenericCommand ack) {
    assertTrue(ack.hasAckMessage() && !ack.getAckMessage().hasCode(), ack::toString);
  }

  private static HttpResponse<String> awaitStatus(URI uri, int status, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<String> response = get(uri);
    while (response.statusCode() != status) {
      assertTrue(
          System.nanoTime() < deadline,
          "GET "
              + uri
              + " did not turn "
              + status
              + " within "
              + timeout
              + ": "
              + response.statusCode()
              + " "
              + response.body());
      Thread.sleep(250);
      response = get(uri);
    }
    return response;
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
