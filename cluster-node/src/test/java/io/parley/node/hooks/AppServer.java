package io.parley.node.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What an app server does through the REST API with the master key, as the hook tests need it:
 * create a conversation, send, edit, read the history. Bodies are built as JSON, texts are typed
 * text messages ({@code _lctype -1}).
 */
final class AppServer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final RestClient master;

  AppServer(TestNode node) {
    this.master = RestClient.master(node);
  }

  /** A normal conversation of {@code members}; its id. */
  String conversation(String name, List<String> members) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    members.forEach(body.putArray("m")::add);
    RestClient.Response created = master.post("/1.2/rtm/conversations", body.toString());
    assertEquals(200, created.status(), created::toString);
    return created.body().path("objectId").asText();
  }

  /** {@code POST /1.2/rtm/conversations/{cid}/messages} of {@code text} as {@code from}. */
  RestClient.Response send(String cid, String from, String text) {
    return master.post(
        "/1.2/rtm/conversations/" + cid + "/messages",
        JSON.createObjectNode().put("from_client", from).put("message", typed(text)).toString());
  }

  /**
   * {@code PUT /1.2/rtm/conversations/{cid}/messages/{id}}: {@code from}'s edit to {@code text}.
   */
  RestClient.Response edit(String cid, JsonNode sent, String from, String text) {
    return master.put(
        "/1.2/rtm/conversations/" + cid + "/messages/" + sent.path("msg-id").asText(),
        JSON.createObjectNode()
            .put("from_client", from)
            .put("message", typed(text))
            .put("timestamp", sent.path("timestamp").asLong())
            .toString());
  }

  /** The texts of the conversation's history, newest first. */
  List<String> texts(String cid) {
    RestClient.Response history = master.get("/1.2/rtm/conversations/" + cid + "/messages");
    assertEquals(200, history.status(), history::toString);
    List<String> texts = new ArrayList<>();
    for (JsonNode record : history.body()) {
      try {
        texts.add(JSON.readTree(record.path("data").asText()).path("_lctext").asText());
      } catch (java.io.IOException notJson) {
        texts.add(record.path("data").asText());
      }
    }
    return texts;
  }

  static String typed(String text) {
    return JSON.createObjectNode().put("_lctype", -1).put("_lctext", text).toString();
  }
}
