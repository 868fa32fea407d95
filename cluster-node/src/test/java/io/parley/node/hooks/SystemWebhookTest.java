package io.parley.node.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.parley.node.settings.HookSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The system-conversation webhook (docs/hooks.md §4.7) against a real HTTP server on loopback:
 * records are POSTed as one JSON array per batch, a failing batch is tried again (1 + retries
 * times), and a batch that keeps failing is dropped without holding up the next one.
 */
class SystemWebhookTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ActorTestKit KIT = ActorTestKit.create();
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final HttpServer server = start();

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @AfterAll
  static void stopKit() {
    KIT.shutdownTestKit();
  }

  @Test
  void records_go_as_one_array_and_a_failed_batch_is_retried() throws Exception {
    failuresLeft.set(2);
    SystemWebhook webhook = webhook(3);
    for (int n = 0; n < 5; n++) {
      webhook.offer(JSON.createObjectNode().put("msgId", "m" + n));
    }
    awaitRequests(3, Duration.ofSeconds(15));
    Thread.sleep(1500);
    assertEquals(3, received.size(), "two 500s, then the batch went through: " + received);
    for (JsonNode batch : received) {
      assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), ids(batch));
    }
  }

  @Test
  void a_batch_that_keeps_failing_is_dropped_and_the_next_one_goes() throws Exception {
    failuresLeft.set(2);
    SystemWebhook webhook = webhook(1);
    webhook.offer(JSON.createObjectNode().put("msgId", "lost"));
    awaitRequests(2, Duration.ofSeconds(15));
    webhook.offer(JSON.createObjectNode().put("msgId", "next"));
    awaitRequests(3, Duration.ofSeconds(15));
    assertEquals(
        List.of(List.of("lost"), List.of("lost"), List.of("next")),
        received.stream().map(this::ids).toList());
  }

  private SystemWebhook webhook(int retries) {
    HookSettings settings =
        new HookSettings(
            "",
            "",
            Set.of(),
            Duration.ofSeconds(5),
            HookSettings.FailurePolicy.IGNORE,
            4,
            16,
            100,
            "http://127.0.0.1:" + server.getAddress().getPort() + "/webhook",
            10,
            Duration.ofMillis(300),
            retries,
            true);
    return new SystemWebhook(
        KIT.system(),
        Http.get(KIT.system().classicSystem()),
        Materializer.matFromSystem(KIT.system()),
        "app",
        settings,
        ConnectionPoolSettings.create(KIT.system().classicSystem()));
  }

  private List<String> ids(JsonNode batch) {
    return java.util.stream.StreamSupport.stream(batch.spliterator(), false)
        .map(r -> r.path("msgId").asText())
        .toList();
  }

  private void awaitRequests(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(count, received.size(), "requests: " + received);
  }

  private HttpServer start() {
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
      http.createContext(
          "/webhook",
          exchange -> {
            try (exchange) {
              received.add(JSON.readTree(exchange.getRequestBody()));
              int status = failuresLeft.getAndDecrement() > 0 ? 500 : 200;
              exchange.sendResponseHeaders(status, -1);
            }
          });
      http.start();
      return http;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
