package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RawWebSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's JSON path meets the JS SDK: a client speaking lc.json.3 like the .NET AVRealtime SDK
 * (Unity style, subprotocol in the query) sends to and receives from an official JS SDK 5.0.0-rc.8
 * client on another node.
 */
class DotnetJsonWithJsSdkIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(30);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private int nextI = -65535;

  private JsonNode request(RawWebSocket socket, String frame) throws Exception {
    int i = nextI++;
    socket.sendText(frame.substring(0, frame.length() - 1) + ",\"i\":" + i + "}");
    socket.readTimeout(WAIT);
    while (true) {
      JsonNode reply = JSON.readTree(socket.read().text());
      if (reply.path("i").asInt(0) == i) {
        return reply;
      }
    }
  }

  private boolean online(RawWebSocket socket, String me, String clientId) throws Exception {
    JsonNode result =
        request(
            socket,
            "{\"cmd\":\"session\",\"op\":\"query\",\"peerId\":\""
                + me
                + "\",\"sessionPeerIds\":[\""
                + clientId
                + "\"]}");
    return result.path("onlineSessionPeerIds").toString().contains(clientId);
  }

  @Test
  void a_lc_json_3_client_and_a_js_sdk_client_exchange_messages_across_nodes() throws Exception {
    String net = "net-tom-" + run;
    String js = "js-jerry-" + run;
    try (RawWebSocket tom =
        RawWebSocket.connect(
            CLUSTER.first().ports().http(), "/?subprotocol=lc.json.3", null, 1 << 16)) {
      JsonNode opened =
          request(
              tom,
              "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"parley-dev\",\"peerId\":\""
                  + net
                  + "\",\"ua\":\"net-portable/1.0.0.0\"}");
      assertEquals("opened", opened.get("op").asText());
      String cid =
          request(
                  tom,
                  "{\"cmd\":\"conv\",\"op\":\"start\",\"appId\":\"parley-dev\",\"peerId\":\""
                      + net
                      + "\",\"m\":[\""
                      + js
                      + "\"],\"unique\":true,\"attr\":{\"name\":\"\"}}")
              .get("cid")
              .asText();

      CompletableFuture<JsonNode> receiving =
          CompletableFuture.supplyAsync(
              () ->
                  JsMessagesIT.run(
                      "receive",
                      5,
                      List.of(
                          "--rtm",
                          CLUSTER.second().webSocketUri().toString(),
                          "--client",
                          js,
                          "--cid",
                          cid,
                          "--count",
                          "1")));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!online(tom, net, js)) {
        assertTrue(System.nanoTime() < deadline, "the JS client never came online");
        Thread.sleep(200);
      }
      String typed = "{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"from .NET 你好\\\"}";
      JsonNode ack =
          request(
              tom,
              "{\"cmd\":\"direct\",\"appId\":\"parley-dev\",\"peerId\":\""
                  + net
                  + "\",\"cid\":\""
                  + cid
                  + "\",\"msg\":\""
                  + typed
                  + "\",\"r\":true}");
      assertEquals("ack", ack.get("cmd").asText());
      String uid = ack.get("uid").asText();

      JsonNode received = receiving.get(WAIT.toSeconds() + 30, TimeUnit.SECONDS);
      assertTrue(received.path("ok").asBoolean(), received::toString);
      JsonNode message = received.get("received").get(0);
      assertEquals(uid, message.get("id").asText());
      assertEquals(cid, message.get("cid").asText());
      assertEquals("from .NET 你好", message.get("text").asText());
      assertEquals(ack.get("t").asLong(), message.get("timestamp").asLong());

      JsonNode sent =
          JsMessagesIT.run(
              "send",
              5,
              List.of(
                  "--rtm",
                  CLUSTER.second().webSocketUri().toString(),
                  "--client",
                  js,
                  "--cid",
                  cid,
                  "--text",
                  "hi .NET"));
      assertTrue(sent.path("ok").asBoolean(), sent::toString);
      String sentId = sent.get("sent").get(0).get("id").asText();
      tom.readTimeout(WAIT);
      JsonNode push;
      do {
        push = JSON.readTree(tom.read().text());
      } while (!"direct".equals(push.path("cmd").asText()));
      assertEquals(sentId, push.get("id").asText());
      assertEquals(js, push.get("fromPeerId").asText());
      assertEquals(net, push.get("peerId").asText());
      assertTrue(push.get("msg").asText().contains("hi .NET"), push::toString);
      assertTrue(
          !push.has("offline"),
          "a live JSON push never carries offline (.NET routes on its presence)");
    }
  }
}
