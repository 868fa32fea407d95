package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * REST rate limits (REST-AND-HOOKS §3.7): an app whose message budget is 5 a minute gets HTTP 429
 * with the JSON body for the sixth send, and nothing is stored for it; another app's REST calls and
 * the WebSocket traffic of the same app go on meanwhile.
 */
class RestRateLimitIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String LIMITED = "limited-app";

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          2,
          TestNode.apps(
              TestNode.DEV_APP,
              "{ app-id = \""
                  + LIMITED
                  + "\", app-key = \"limited-key\", master-key = \"limited-master\",\n"
                  + "    rest-limits { messages-per-minute = 5, broadcasts-per-minute = 1 } }"));

  private final List<ImClient> clients = new ArrayList<>();

  @AfterEach
  void close() {
    clients.forEach(ImClient::close);
  }

  @Test
  void a_burst_over_the_message_budget_gets_429_and_nothing_else_is_slowed() {
    RestClient limited =
        RestClient.with(
            CLUSTER.first(), Map.of("X-LC-Id", LIMITED, "X-LC-Key", "limited-master,master"));
    RestClient other = RestClient.master(CLUSTER.first());
    RestClient.awaitWritable(CLUSTER.first());
    ImClient tom = TestClients.login(CLUSTER.first(), LIMITED, "tom", clients, WAIT);
    String cid =
        tom.call(Commands.convStart("tom", List.of("jerry"), null), WAIT).getConvMessage().getCid();
    String otherCid =
        other.post("/1.2/rtm/conversations", "{\"m\":[\"tom\"]}").body().path("objectId").asText();
    String send = "{\"from_client\":\"server\",\"message\":\"burst\"}";

    int accepted = 0;
    RestClient.Response refused = null;
    for (int n = 0; n < 8; n++) {
      RestClient.Response answer =
          limited.post("/1.2/rtm/conversations/" + cid + "/messages", send);
      if (answer.status() == 200) {
        accepted++;
      } else if (refused == null) {
        refused = answer;
      }
    }
    RestClient.Response first = refused;
    assertEquals(5, accepted, () -> "the budget; first refusal " + first + " for " + cid);
    assertTrue(refused != null && refused.status() == 429, String.valueOf(refused));
    assertEquals(429, refused.code());
    assertTrue(refused.body().path("error").asText().contains("rate limit"), refused::toString);
    RestClient.Response history =
        limited.get("/1.2/rtm/conversations/" + cid + "/messages?limit=100");
    assertEquals(200, history.status(), "reads are not message calls");
    assertEquals(5, history.body().size(), "nothing stored for a refused call");

    RestClient.Response legacy =
        limited.post(
            "/1.1/rtm/messages",
            "{\"from_peer\":\"server\",\"conv_id\":\""
                + cid
                + "\",\"message\":\"x\",\"transient\":false}");
    assertEquals(429, legacy.status(), "the v1.1 send shares the budget: " + legacy);

    for (int n = 0; n < 8; n++) {
      RestClient.Response answer =
          other.post("/1.2/rtm/conversations/" + otherCid + "/messages", send);
      assertEquals(200, answer.status(), "another app keeps its own budget: " + answer);
    }
    for (int n = 0; n < 10; n++) {
      GenericCommand ack = tom.call(Commands.direct("tom", cid, "ws " + n), WAIT);
      assertFalse(ack.getAckMessage().hasCode(), "WebSocket sends are not REST calls: " + ack);
    }
    RestClient.Response otherNode =
        RestClient.with(
                CLUSTER.second(), Map.of("X-LC-Id", LIMITED, "X-LC-Key", "limited-master,master"))
            .post("/1.2/rtm/conversations/" + cid + "/messages", send);
    assertEquals(200, otherNode.status(), "budgets are per node (README): " + otherNode);
  }
}
