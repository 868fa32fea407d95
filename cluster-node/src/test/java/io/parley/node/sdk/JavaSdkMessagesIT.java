package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.leancloud.im.v2.AVIMClient;
import cn.leancloud.im.v2.AVIMConversation;
import cn.leancloud.im.v2.AVIMMessage;
import cn.leancloud.im.v2.messages.AVIMTextMessage;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The unmodified official Java SDK ({@code cn.leancloud:realtime-core:6.0.5}, in this JVM, on the
 * first node) exchanges messages with the official JS SDK ({@code messages.js receive} / {@code
 * send}, 4.3.1 and 5.0.0-rc.8, on the second node): a text with unicode attributes and the seed's
 * custom typed message (type 2, field {@code ecode}) each way, with the same id, sender,
 * conversation and timestamp on both sides, then both sides read the same history (docs/protocol.md
 * §6.12, §6.15, §7.2).
 */
class JavaSdkMessagesIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String APP_ID = "parley-dev";
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);

  @BeforeAll
  static void initSdk() {
    LeanCloudJavaSdk.initDirect(
        APP_ID,
        "parley-dev-key",
        CLUSTER.first().httpBase(),
        CLUSTER.first().webSocketUri().toString());
  }

  @AfterAll
  static void resetSdk() {
    LeanCloudJavaSdk.reset();
  }

  /**
   * Waits until {@code clientId} is online (session/query through our own client on the first
   * node).
   */
  private static void awaitOnline(String clientId) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    try (ImClient observer =
        TestClients.login(CLUSTER.first(), APP_ID, "observer-" + UUID.randomUUID(), WAIT)) {
      while (System.nanoTime() < deadline) {
        GenericCommand result =
            observer.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.session)
                    .setOp(OpType.query)
                    .setSessionMessage(SessionCommand.newBuilder().addSessionPeerIds(clientId)),
                WAIT);
        if (result.getSessionMessage().getOnlineSessionPeerIdsList().contains(clientId)) {
          return;
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError(clientId + " did not come online within " + WAIT);
  }

  private static List<JsonNode> list(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static void assertSame(AVIMMessage java, JsonNode js, String from, String cid) {
    String where = "Java " + java.getContent() + " / JS " + js;
    assertEquals(java.getMessageId(), js.get("id").asText(), where);
    assertEquals(java.getTimestamp(), js.get("timestamp").asLong(), where);
    assertEquals(from, js.get("from").asText(), where);
    assertEquals(cid, js.get("cid").asText(), where);
    assertEquals(cid, java.getConversationId(), where);
  }

  @ParameterizedTest(name = "JS SDK {0}")
  @ValueSource(ints = {4, 5})
  void java_and_js_exchange_texts_and_typed_messages_both_ways_and_read_the_same_history(int sdk)
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    String javaId = "JavaTom-" + run;
    String jsId = "JsJerry-" + run;
    LeanCloudJavaSdk.MessageCollector collector = LeanCloudJavaSdk.collectMessages();
    AVIMClient tom = LeanCloudJavaSdk.login(javaId, WAIT);
    try {
      AVIMConversation conversation =
          LeanCloudJavaSdk.createConversation(
              tom, List.of(jsId), "Java & JS", Map.of(), false, WAIT);
      String cid = conversation.getConversationId();
      String jsNode = CLUSTER.second().webSocketUri().toString();

      // Java -> JS: the JS client waits on the second node for two messages
      CompletableFuture<JsonNode> receiving =
          CompletableFuture.supplyAsync(
              () ->
                  JsMessagesIT.run(
                      "receive",
                      sdk,
                      List.of("--rtm", jsNode, "--client", jsId, "--cid", cid, "--count", "2")));
      awaitOnline(jsId);
      AVIMTextMessage text =
          LeanCloudJavaSdk.send(
              conversation,
              LeanCloudJavaSdk.textMessage("from Java 人民的名义挺好看的", Map.of("lang", "中文", "n", 1)),
              null,
              WAIT);
      LeanCloudJavaSdk.Emoji emoji = new LeanCloudJavaSdk.Emoji();
      emoji.setEcode("#e002");
      emoji.setText("表情 from Java");
      emoji.setAttrs(Map.of("size", "大"));
      LeanCloudJavaSdk.send(conversation, emoji, null, WAIT);
      assertFalse(text.getMessageId() == null || text.getMessageId().isEmpty(), "acked with an id");
      JsonNode received = receiving.join();
      assertTrue(received.path("ok").asBoolean(), received::toString);
      List<JsonNode> got = list(received.get("received"));
      assertEquals(2, got.size(), received::toString);
      assertSame(text, got.get(0), javaId, cid);
      assertEquals("TextMessage", got.get(0).get("class").asText());
      assertEquals("from Java 人民的名义挺好看的", got.get(0).get("text").asText());
      assertEquals("中文", got.get(0).get("attributes").get("lang").asText(), got.get(0)::toString);
      assertEquals(1, got.get(0).get("attributes").get("n").asInt());
      assertSame(emoji, got.get(1), javaId, cid);
      assertEquals(
          "Emoji",
          got.get(1).get("class").asText(),
          "the JS SDK parses the Java SDK's type 2 as its Emoji");
      assertEquals("#e002", got.get(1).get("ecode").asText());
      assertEquals("表情 from Java", got.get(1).get("text").asText());
      assertEquals("大", got.get(1).get("attributes").get("size").asText());
      assertEquals(
          List.of(text.getMessageId(), emoji.getMessageId()),
          list(received.get("history")).stream().map(m -> m.get("id").asText()).toList(),
          "JS reads the history");

      // JS -> Java: the JS client logs in again and sends a text and an Emoji
      JsonNode sent =
          JsMessagesIT.run(
              "send",
              sdk,
              List.of(
                  "--rtm",
                  jsNode,
                  "--client",
                  jsId,
                  "--cid",
                  cid,
                  "--text",
                  "from JS 你好",
                  "--emoji",
                  "表情 from JS"));
      assertTrue(sent.path("ok").asBoolean(), sent::toString);
      List<JsonNode> jsSent = list(sent.get("sent"));
      List<AVIMMessage> inJava = collector.await(javaId, cid, 2, WAIT);
      assertEquals(2, inJava.size(), inJava::toString);
      for (int n = 0; n < 2; n++) {
        assertSame(inJava.get(n), jsSent.get(n), jsId, cid);
        assertEquals(jsId, inJava.get(n).getFrom());
      }
      AVIMTextMessage javaText =
          assertInstanceOf(AVIMTextMessage.class, inJava.get(0), inJava.get(0).getContent());
      assertEquals("from JS 你好", javaText.getText());
      assertEquals("中文", javaText.getAttrs().get("语言"), javaText.getContent());
      LeanCloudJavaSdk.Emoji javaEmoji =
          assertInstanceOf(LeanCloudJavaSdk.Emoji.class, inJava.get(1), inJava.get(1).getContent());
      assertEquals("#e001", javaEmoji.getEcode());
      assertEquals("表情 from JS", javaEmoji.getText());
      assertEquals("js", javaEmoji.getAttrs().get("from"));

      // both sides read the same history
      List<AVIMMessage> history = LeanCloudJavaSdk.queryMessages(conversation, 10, WAIT);
      List<String> expected = new ArrayList<>(List.of(text.getMessageId(), emoji.getMessageId()));
      jsSent.forEach(m -> expected.add(m.get("id").asText()));
      assertEquals(
          expected, history.stream().map(AVIMMessage::getMessageId).toList(), history::toString);
      assertEquals(
          List.of(javaId, javaId, jsId, jsId), history.stream().map(AVIMMessage::getFrom).toList());
      assertInstanceOf(LeanCloudJavaSdk.Emoji.class, history.get(3), "typed in history too");
      assertEquals(jsSent.get(1).get("timestamp").asLong(), history.get(3).getTimestamp());
    } finally {
      LeanCloudJavaSdk.logout(tom, WAIT);
    }
  }
}
