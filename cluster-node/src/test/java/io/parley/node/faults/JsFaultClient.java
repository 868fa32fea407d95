package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.sdk.JsSdk;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The official JS SDK (leancloud-realtime 5) as one member of a fault test's traffic, through
 * {@code src/test/js/faults.js}: it chats in the given conversations and reconnects and resends by
 * itself.
 */
final class JsFaultClient {

  final String id;
  private final JsSdk.Running running;
  private final Path ready;
  private JsonNode result;

  private JsFaultClient(String id, JsSdk.Running running, Path ready) {
    this.id = id;
    this.running = running;
    this.ready = ready;
  }

  static JsFaultClient start(String id, List<URI> nodes, List<String> cids, Duration duration)
      throws Exception {
    Path ready = Files.createTempFile("parley-js-ready-", ".json");
    Files.delete(ready);
    List<String> arguments =
        List.of(
            "--sdk",
            "5",
            "--app-id",
            Traffic.APP,
            "--app-key",
            "parley-dev-key",
            "--rtm",
            String.join(",", nodes.stream().map(URI::toString).toList()),
            "--id",
            id,
            "--cids",
            String.join(",", cids),
            "--interval-ms",
            "300",
            "--duration-ms",
            Long.toString(duration.toMillis()),
            "--ready-file",
            ready.toString());
    return new JsFaultClient(id, JsSdk.start("faults.js", "chat", arguments), ready);
  }

  /** The node the SDK is connected to once it is logged in and in its conversations. */
  URI awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(ready) && Files.size(ready) > 0) {
        return URI.create(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(ready.toFile())
                .get("url")
                .asText());
      }
      Thread.sleep(100);
    }
    running.kill();
    throw new AssertionError(
        "the JS SDK client did not log in within " + timeout + ": " + result(Duration.ZERO));
  }

  JsonNode result(Duration timeout) {
    if (result == null) {
      result = running.result(timeout);
    }
    return result;
  }

  /**
   * Checks the SDK client's side and adds its acknowledged messages to {@code traffic}'s
   * expectations (so the other members must have them): each is stored exactly once, and the SDK
   * got every acknowledged message of others live while it was connected, and the rest in history.
   * Returns the longest disconnection (ms).
   */
  long check(Traffic traffic, Duration timeout) {
    JsonNode facts = result(timeout);
    assertTrue(facts.path("ok").asBoolean(), "the JS SDK client failed: " + facts);
    Map<String, Set<String>> received = new HashMap<>();
    facts
        .get("received")
        .forEach(
            r ->
                received
                    .computeIfAbsent(r.path("cid").asText(), c -> new HashSet<>())
                    .add(r.path("text").asText()));
    Map<String, Set<String>> history = new HashMap<>();
    facts
        .get("history")
        .fields()
        .forEachRemaining(
            e -> {
              Set<String> texts = new HashSet<>();
              e.getValue().forEach(t -> texts.add(t.asText()));
              history.put(e.getKey(), texts);
            });
    List<long[]> away = new ArrayList<>();
    JsonNode disconnects = facts.get("disconnects");
    JsonNode reconnects = facts.get("reconnects");
    long longest = 0;
    for (int n = 0; n < disconnects.size(); n++) {
      long from = disconnects.get(n).asLong();
      long to = n < reconnects.size() ? reconnects.get(n).asLong() : Long.MAX_VALUE;
      away.add(new long[] {from, to});
      longest = Math.max(longest, to - from);
    }
    int acked = 0;
    Map<String, List<String>> stored = new HashMap<>();
    for (JsonNode message : facts.get("acked")) {
      String cid = message.get("cid").asText();
      String text = message.get("text").asText();
      long rows =
          stored.computeIfAbsent(cid, traffic::storedTexts).stream().filter(text::equals).count();
      assertEquals(
          1, rows, "the JS SDK's acknowledged message " + text + " is stored exactly once");
      traffic.acked.put(text, new Traffic.Message(id, cid, text, null));
      traffic.ackedAt.put(text, message.get("at").asLong());
      acked++;
    }
    int missed = 0;
    for (Traffic.Message message : traffic.acked.values()) {
      if (message.sender().equals(id) || !history.containsKey(message.cid())) {
        continue;
      }
      long at = traffic.ackedAt.get(message.text());
      boolean connected =
          away.stream().noneMatch(span -> span[0] - 1000 <= at && at <= span[1] + 1000);
      boolean live = received.getOrDefault(message.cid(), Set.of()).contains(message.text());
      if (connected && !live || !live && !history.get(message.cid()).contains(message.text())) {
        missed++;
        System.out.println(
            "[js sdk] "
                + id
                + " misses "
                + message
                + (connected ? " (connected at the time)" : ""));
      }
    }
    System.out.println(
        "[js sdk] "
            + id
            + ": acknowledged "
            + acked
            + ", attempts "
            + facts.get("attempts").size()
            + ", received live "
            + facts.get("received").size()
            + ", missed "
            + missed
            + ", disconnections "
            + disconnects.size()
            + ", longest "
            + longest
            + " ms");
    assertEquals(0, missed, "the JS SDK client misses messages");
    return longest;
  }
}
