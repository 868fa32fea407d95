package io.parley.node.rest;

import static io.parley.node.rest.SdkEndpointsIT.WAIT;
import static io.parley.node.rest.SdkEndpointsIT.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Service conversations over REST (REST-AND-HOOKS §3.3) on two nodes: created by the app server,
 * clients subscribed and unsubscribed by it, a broadcast reaching the subscribers' sessions on the
 * other node. Master key only; every refusal changes nothing.
 */
class ServiceConversationsIT {

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  private static final List<ImClient> CLIENTS = new ArrayList<>();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static final String JERRY = "jerry-" + RUN;
  private static final String BOB = "bob-" + RUN;
  private static final String BASE = "/1.2/rtm/service-conversations";

  @BeforeAll
  static void clients() {
    TestClients.login(CLUSTER.second(), RestClient.APP, JERRY, CLIENTS, WAIT);
  }

  @AfterAll
  static void close() {
    CLIENTS.forEach(ImClient::close);
  }

  private static RestClient master() {
    return RestClient.master(CLUSTER.first());
  }

  private static String create(String name) {
    RestClient.Response created = master().post(BASE, "{\"name\":\"" + name + "\"}");
    assertEquals(200, created.status(), created::toString);
    assertTrue(created.body().path("sys").asBoolean(), created::toString);
    return created.body().get("objectId").asText();
  }

  private static List<String> subscribers(String cid, String query) {
    RestClient.Response answer =
        RestClient.master(CLUSTER.second()).get(BASE + "/" + cid + "/subscribers" + query);
    assertEquals(200, answer.status(), answer::toString);
    List<String> ids = new ArrayList<>();
    for (JsonNode row : answer.body()) {
      assertEquals(cid, row.get("conv_id").asText(), row::toString);
      ids.add(row.get("subscriber").asText());
    }
    return ids;
  }

  private static int count(String cid) {
    RestClient.Response answer = master().get(BASE + "/" + cid + "/subscribers/count");
    assertEquals(200, answer.status(), answer::toString);
    return answer.body().get("count").asInt();
  }

  @Test
  void subscribers_get_the_broadcast_and_unsubscribed_ones_leave_the_list() {
    String cid = create("news-" + RUN);
    RestClient.Response read = RestClient.master(CLUSTER.second()).get(BASE + "/" + cid);
    assertEquals("news-" + RUN, read.body().path("name").asText(), read::toString);
    assertTrue(read.body().path("sys").asBoolean(), read::toString);
    for (String client : List.of(JERRY, BOB)) {
      RestClient.Response subscribed =
          master().post(BASE + "/" + cid + "/subscribers", "{\"client_id\":\"" + client + "\"}");
      assertEquals("{}", subscribed.body().toString(), subscribed::toString);
    }
    assertEquals(List.of(JERRY, BOB), subscribers(cid, ""));
    assertEquals(List.of(JERRY), subscribers(cid, "?limit=1"));
    assertEquals(List.of(BOB), subscribers(cid, "?client_id=" + JERRY));
    assertEquals(2, count(cid));

    RestClient.Response sent =
        master()
            .post(
                BASE + "/" + cid + "/broadcasts",
                "{\"from_client\":\"news-bot\",\"message\":\"{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"hello\\\"}\"}");
    assertEquals(200, sent.status(), sent::toString);
    ImClient jerry = CLIENTS.get(0);
    GenericCommand push = jerry.nextPush(WAIT);
    assertEquals(CommandType.direct, push.getCmd(), push::toString);
    assertEquals(cid, push.getDirectMessage().getCid());
    assertEquals("news-bot", push.getDirectMessage().getFromPeerId());
    assertEquals(sent.body().get("msg-id").asText(), push.getDirectMessage().getId());

    RestClient.Response global =
        RestClient.signed(CLUSTER.second(), RestClient.MASTER_KEY, true)
            .post(
                "/1.2/rtm/broadcasts",
                "{\"from_client\":\"news-bot\",\"conv_id\":\""
                    + cid
                    + "\",\"message\":\"second\",\"valid_till\":"
                    + (System.currentTimeMillis() + 86_400_000L)
                    + "}");
    assertEquals(200, global.status(), global::toString);
    GenericCommand second = jerry.nextPush(WAIT);
    assertEquals("second", second.getDirectMessage().getMsg(), second::toString);
    assertEquals(global.body().get("msg-id").asText(), second.getDirectMessage().getId());

    RestClient.Response removed =
        RestClient.master(CLUSTER.second()).delete(BASE + "/" + cid + "/subscribers/" + BOB, null);
    assertEquals(200, removed.status(), removed::toString);
    assertEquals(List.of(JERRY), subscribers(cid, ""));
    assertEquals(1, count(cid));
  }

  private static List<String> subscriptions(String clientId, String query) {
    RestClient.Response answer =
        master().get("/1.2/rtm/clients/" + clientId + "/service-conversations" + query);
    assertEquals(200, answer.status(), answer::toString);
    List<String> cids = new ArrayList<>();
    for (JsonNode row : answer.body()) {
      assertEquals(clientId, row.get("subscriber").asText(), row::toString);
      cids.add(row.get("conv_id").asText());
    }
    return cids;
  }

  /**
   * §3.4: a client's subscriptions, listed in conversation id order with a cursor; a normal
   * conversation is none.
   */
  @Test
  void a_client_lists_its_subscriptions() {
    String harry = "harry-" + RUN;
    List<String> cids = new ArrayList<>(List.of(create("a-" + RUN), create("b-" + RUN)));
    for (String cid : cids) {
      master().post(BASE + "/" + cid + "/subscribers", "{\"client_id\":\"" + harry + "\"}");
    }
    master().post("/1.2/rtm/conversations", "{\"name\":\"group\",\"m\":[\"" + harry + "\"]}");
    cids.sort(null);
    assertEquals(cids, subscriptions(harry, ""));
    assertEquals(cids.subList(0, 1), subscriptions(harry, "?limit=1"));
    assertEquals(cids.subList(1, 2), subscriptions(harry, "?conv_id=" + cids.get(0)));
    assertRefused(
        RestClient.appKey(CLUSTER.first())
            .get("/1.2/rtm/clients/" + harry + "/service-conversations"),
        401,
        401);
    assertRefused(
        master().get("/1.2/rtm/clients/" + harry + "/service-conversations?limit=51"), 400, 1);
    master().delete(BASE + "/" + cids.get(0) + "/subscribers/" + harry, null);
    assertEquals(cids.subList(1, 2), subscriptions(harry, ""));
  }

  @Test
  void refused_calls_change_nothing() {
    String cid = create("refusals-" + RUN);
    String subscribe = BASE + "/" + cid + "/subscribers";
    String one = "{\"client_id\":\"" + BOB + "\"}";
    assertRefused(RestClient.appKey(CLUSTER.first()).post(subscribe, one), 401, 401);
    assertRefused(
        RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false).post(subscribe, one),
        401,
        401);
    assertRefused(RestClient.anonymous(CLUSTER.second()).post(subscribe, one), 401, 401);
    assertRefused(RestClient.appKey(CLUSTER.first()).get(subscribe), 401, 401);
    assertRefused(
        RestClient.appKey(CLUSTER.first()).post(BASE + "/" + cid + "/broadcasts", "{}"), 401, 401);
    assertRefused(master().post(subscribe, "{\"client_id\":"), 400, 107);
    assertRefused(master().post(subscribe, "{}"), 400, 1);
    assertRefused(master().get(subscribe + "?limit=0"), 400, 1);
    assertRefused(master().get(subscribe + "?limit=51"), 400, 1);
    assertRefused(
        master().post(BASE + "/" + cid + "/broadcasts", "{\"from_client\":\"bot\"}"), 400, 1);
    assertRefused(master().post(BASE + "/5f0000000000000000000000/subscribers", one), 404, 4303);
    assertRefused(RestClient.appKey(CLUSTER.first()).post("/1.2/rtm/broadcasts", "{}"), 401, 401);
    assertRefused(
        master().post("/1.2/rtm/broadcasts", "{\"from_client\":\"bot\",\"message\":\"x\"}"),
        400,
        1);
    assertRefused(
        master()
            .post(
                "/1.2/rtm/broadcasts",
                "{\"from_client\":\"bot\",\"conv_id\":\""
                    + cid
                    + "\",\"message\":\"x\",\"valid_till\":\"soon\"}"),
        400,
        1);
    assertEquals(0, count(cid));

    // A normal conversation is no service conversation: nobody joins it through /subscribers.
    String amy = "amy-" + RUN;
    RestClient.Response normal =
        master().post("/1.2/rtm/conversations", "{\"name\":\"group\",\"m\":[\"" + amy + "\"]}");
    String group = normal.body().get("objectId").asText();
    assertRefused(master().post(BASE + "/" + group + "/subscribers", one), 400, 4313);
    assertRefused(
        master()
            .post(
                BASE + "/" + group + "/broadcasts", "{\"from_client\":\"bot\",\"message\":\"x\"}"),
        400,
        4313);
    RestClient.Response members = master().get("/1.2/rtm/conversations/" + group + "/members");
    assertEquals("{\"result\":[\"" + amy + "\"]}", members.body().toString(), members::toString);
  }
}
