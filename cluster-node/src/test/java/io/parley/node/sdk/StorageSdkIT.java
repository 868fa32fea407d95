package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LeanCloud's storage SDK ({@code leancloud-storage} 4.15.2 from npm, harness in {@code
 * src/test/js-storage}) with the master key and Parley as its server, on node 1, while realtime JS
 * clients (leancloud-realtime 5.0.0-rc.8) are on node 2: {@code AV.Conversation} creates a
 * conversation and adds a member ({@code /1.1/classes/_Conversation}), sends a message as a client
 * ({@code /1.1/rtm/messages}) and broadcasts in a system conversation ({@code /1.1/rtm/broadcast}).
 * The online client gets both live; the offline one at its next login, as unread counts and in the
 * history.
 */
class StorageSdkIT {

  private static final Path DIR =
      Path.of(System.getProperty("parley.js-storage.dir", "src/test/js-storage")).toAbsolutePath();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);

  @Test
  void av_conversation_creates_sends_and_broadcasts_to_online_and_offline_clients() {
    if (!Files.exists(DIR.resolve("node_modules/leancloud-storage/package.json"))
        || !Files.exists(DIR.resolve("node_modules/leancloud-realtime/package.json"))) {
      JsSdk.install(DIR);
    }
    RestClient.awaitWritable(CLUSTER.first());
    RestClient.awaitWritable(CLUSTER.second());
    String run = UUID.randomUUID().toString().substring(0, 6);
    JsonNode result =
        JsSdk.runIn(
            DIR,
            "storage.js",
            "conversation",
            List.of(
                "--storage",
                CLUSTER.first().httpBase(),
                "--realtime",
                CLUSTER.second().httpBase(),
                "--app-id",
                RestClient.APP,
                "--app-key",
                RestClient.APP_KEY,
                "--master-key",
                RestClient.MASTER_KEY,
                "--run",
                run,
                "--timeout-ms",
                Long.toString(TIMEOUT.toMillis())),
            TIMEOUT.multipliedBy(3));
    assertTrue(result.path("ok").asBoolean(), result::toString);
    JsonNode facts = result.path("facts");
    assertEquals(
        List.of("alice-" + run, "bob-" + run, "carol-" + run),
        RestClient.texts(facts.path("members")),
        "created with m, then addMember: " + facts);
    assertEquals("cheese", facts.path("topic").asText(), "custom columns are kept");
    assertEquals(
        "hello from the app server",
        facts.path("aliceReceived").path("text").asText(),
        facts::toString);
    assertEquals("bot", facts.path("aliceReceived").path("from").asText());
    assertEquals(
        facts.path("sent").path("msg-id").asText(),
        facts.path("aliceReceived").path("id").asText());
    assertEquals(
        "broadcast to all", facts.path("aliceBroadcast").path("text").asText(), facts::toString);
    assertEquals(
        1, facts.path("bobUnread").path("chat").asInt(), "offline bob: unread at login " + facts);
    assertEquals(
        1,
        facts.path("bobUnread").path("news").asInt(),
        "offline bob: the broadcast unread " + facts);
    assertEquals(
        List.of("hello from the app server"),
        RestClient.texts(facts.path("bobHistory")),
        facts::toString);
    assertEquals(
        List.of("broadcast to all"),
        RestClient.texts(facts.path("bobNewsHistory")),
        facts::toString);

    RestClient.Response history =
        RestClient.master(CLUSTER.second())
            .get("/1.2/rtm/conversations/" + facts.path("conversation").asText() + "/messages");
    assertEquals("bot", history.body().get(0).path("from").asText(), "stored: " + history);
  }
}
