package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ConvMemberInfo;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The REST endpoints the SDKs call (REST-AND-HOOKS §2.2–§2.4) on two nodes, over plain HTTP as the
 * SDKs send them: reliable notifications (paged: 2 per page here), {@code _ConversationMemberInfo},
 * chatroom online counts. For each: who may call it (IM session token, master key, app key, {@code
 * X-LC-Sign}), every refusal as LeanCloud's status and {@code {code, error}}, bad parameters.
 */
class SdkEndpointsIT {

  static final Duration WAIT = Duration.ofSeconds(15);

  @RegisterExtension
  static final NodeCluster CLUSTER = new NodeCluster(2, "parley.notifications.page-size = 2");

  private static final List<ImClient> CLIENTS = new ArrayList<>();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static final String TOM = "tom-" + RUN;
  private static final String JERRY = "jerry-" + RUN;
  private static final String BOB = "bob-" + RUN;
  private static final String HARRY = "harry-" + RUN;
  private static ImClient tom;
  private static String jerryToken;
  private static String harryToken;
  private static String cid;

  /**
   * Tom (node 1) starts a group with Jerry (node 2, who logs out), adds Bob and Harry, makes Jerry
   * a Manager and removes Bob: Jerry missed joined, members_joined, member_info_changed and
   * members_left.
   */
  @BeforeAll
  static void conversation() {
    tom = TestClients.login(CLUSTER.first(), RestClient.APP, TOM, CLIENTS, WAIT);
    TestClients.Session jerry =
        TestClients.open(CLUSTER.second(), RestClient.APP, JERRY, CLIENTS, WAIT);
    jerryToken = jerry.token();
    jerry.client().close();
    harryToken = TestClients.open(CLUSTER.second(), RestClient.APP, HARRY, CLIENTS, WAIT).token();
    cid = tom.call(Commands.convStart(TOM, List.of(JERRY), null), WAIT).getConvMessage().getCid();
    assertEquals(OpType.added, tom.call(conv(OpType.add, TOM, cid, BOB, HARRY), WAIT).getOp());
    GenericCommand promoted =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.member_info_update)
                .setPeerId(TOM)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setCid(cid)
                        .setTargetClientId(JERRY)
                        .setInfo(ConvMemberInfo.newBuilder().setPid(JERRY).setRole("Manager"))),
            WAIT);
    assertEquals(OpType.member_info_updated, promoted.getOp(), promoted::toString);
    assertEquals(OpType.removed, tom.call(conv(OpType.remove, TOM, cid, BOB), WAIT).getOp());
  }

  @AfterAll
  static void close() {
    CLIENTS.forEach(ImClient::close);
  }

  static GenericCommand.Builder conv(OpType op, String by, String cid, String... members) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(by)
        .setConvMessage(ConvCommand.newBuilder().setCid(cid).addAllM(List.of(members)));
  }

  /**
   * The app key and {@code clientId}'s IM session token, as the JS SDK's {@code
   * _requestWithSessionToken} sends.
   */
  static RestClient withToken(TestNode node, String token) {
    return RestClient.with(
        node,
        Map.of(
            "X-LC-Id",
            RestClient.APP,
            "X-LC-Key",
            RestClient.APP_KEY,
            "X-LC-IM-Session-Token",
            token));
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Every way the credentials can be wrong or missing: 401 with LeanCloud's body. */
  static void assertUnauthorized(TestNode node, String path) {
    List<Map<String, String>> refused =
        List.of(
            Map.of(),
            Map.of("X-LC-Id", RestClient.APP),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong"),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master"),
            Map.of("X-LC-Id", "no-such-app", "X-LC-Key", RestClient.APP_KEY));
    for (Map<String, String> headers : refused) {
      RestClient.Response answer = RestClient.with(node, headers).get(path);
      assertEquals(401, answer.status(), () -> headers + " -> " + answer);
      assertEquals(401, answer.code(), answer::toString);
    }
  }

  static void assertRefused(RestClient.Response answer, int status, int code) {
    assertEquals(status, answer.status(), answer::toString);
    assertEquals(code, answer.code(), answer::toString);
    assertFalse(answer.body().path("error").asText().isEmpty(), answer::toString);
  }

  // ----------------------------------------------------------------------------------
  // /1.1/rtm/notifications

  private static String notifications(String client, long startTs) {
    return "/1.1/rtm/notifications?client_id="
        + client
        + "&start_ts="
        + startTs
        + "&notification_type=permanent";
  }

  /**
   * Every page from {@code startTs} on, as the JS SDK loops while {@code hasMore}: op:initBy:m per
   * notification.
   */
  private static List<String> allNotifications(
      RestClient client, String clientId, long startTs, List<JsonNode> raw) {
    List<String> seen = new ArrayList<>();
    long from = startTs;
    for (int page = 0; page < 10; page++) {
      RestClient.Response answer = client.get(notifications(clientId, from));
      assertEquals(200, answer.status(), answer::toString);
      JsonNode list = answer.body().get("notifications");
      assertTrue(list.size() <= 2, "page size 2: " + answer);
      for (JsonNode n : list) {
        raw.add(n);
        seen.add(n.get("op").asText() + ":" + n.get("initBy").asText() + ":" + n.path("m"));
        from = n.get("serverTs").asLong();
      }
      if (!answer.body().get("hasMore").asBoolean()) {
        return seen;
      }
    }
    throw new AssertionError("more than 10 pages");
  }

  @Test
  void a_client_fetches_what_it_missed_page_by_page_in_order_on_either_node() {
    for (TestNode node : List.of(CLUSTER.first(), CLUSTER.second())) {
      List<JsonNode> raw = new ArrayList<>();
      List<String> seen = allNotifications(withToken(node, jerryToken), JERRY, 0, raw);
      assertEquals(
          List.of(
              "joined:" + TOM + ":",
              "members_joined:" + TOM + ":[\"" + BOB + "\",\"" + HARRY + "\"]",
              "member_info_changed:" + TOM + ":",
              "members_left:" + TOM + ":[\"" + BOB + "\"]"),
          seen);
      for (JsonNode n : raw) {
        assertEquals("conv", n.get("cmd").asText(), n::toString);
        assertEquals(1, n.get("notificationType").asInt(), n::toString);
        assertEquals(cid, n.get("cid").asText(), n::toString);
      }
      assertEquals(
          "{\"pid\":\"" + JERRY + "\",\"role\":\"Manager\"}", raw.get(2).get("info").toString());
      for (int i = 1; i < raw.size(); i++) {
        assertTrue(
            raw.get(i).get("serverTs").asLong() > raw.get(i - 1).get("serverTs").asLong(),
            raw::toString);
      }
    }
  }

  @Test
  void start_ts_skips_what_the_client_has_seen() {
    List<JsonNode> raw = new ArrayList<>();
    allNotifications(withToken(CLUSTER.first(), jerryToken), JERRY, 0, raw);
    long afterSecond = raw.get(1).get("serverTs").asLong();
    List<String> rest =
        allNotifications(
            withToken(CLUSTER.first(), jerryToken), JERRY, afterSecond, new ArrayList<>());
    assertEquals(
        List.of("member_info_changed:" + TOM + ":", "members_left:" + TOM + ":[\"" + BOB + "\"]"),
        rest);
    long last = raw.get(raw.size() - 1).get("serverTs").asLong();
    RestClient.Response none =
        withToken(CLUSTER.second(), jerryToken).get(notifications(JERRY, last));
    assertEquals("{\"notifications\":[],\"hasMore\":false}", none.body().toString());
  }

  @Test
  void the_master_key_and_a_signature_read_notifications_too() {
    assertEquals(
        4,
        allNotifications(RestClient.master(CLUSTER.second()), JERRY, 0, new ArrayList<>()).size());
    String ts = Long.toString(System.currentTimeMillis());
    RestClient signed =
        RestClient.with(
            CLUSTER.first(),
            Map.of(
                "X-LC-Id",
                RestClient.APP,
                "X-LC-Sign",
                RestClient.md5(ts + RestClient.APP_KEY) + "," + ts,
                "X-LC-IM-Session-Token",
                jerryToken));
    assertEquals(4, allNotifications(signed, JERRY, 0, new ArrayList<>()).size());
  }

  @Test
  void notifications_need_the_clients_own_token_or_the_master_key() {
    assertRefused(RestClient.appKey(CLUSTER.first()).get(notifications(JERRY, 0)), 401, 401);
    assertRefused(withToken(CLUSTER.first(), harryToken).get(notifications(JERRY, 0)), 401, 4112);
    assertRefused(withToken(CLUSTER.first(), "forged").get(notifications(JERRY, 0)), 401, 4112);
    assertUnauthorized(CLUSTER.second(), notifications(JERRY, 0));
  }

  @Test
  void bad_notification_parameters_are_400() {
    RestClient jerry = withToken(CLUSTER.first(), jerryToken);
    assertRefused(
        jerry.get("/1.1/rtm/notifications?client_id=" + JERRY + "&start_ts=yesterday"), 400, 1);
    assertRefused(jerry.get("/1.1/rtm/notifications?client_id=" + JERRY + "&start_ts=-5"), 400, 1);
    assertRefused(jerry.get(notifications(JERRY, 0).replace("permanent", "transient")), 400, 1);
    assertRefused(
        RestClient.master(CLUSTER.first()).get("/1.1/rtm/notifications?start_ts=0"), 400, 1);
  }

  // -------------------------------------------------------------------------------
  // _ConversationMemberInfo

  private static String memberInfo(String where) {
    return "/1.1/classes/_ConversationMemberInfo?where=" + encode(where);
  }

  private static List<String> roles(RestClient.Response answer) {
    assertEquals(200, answer.status(), answer::toString);
    List<String> roles = new ArrayList<>();
    for (JsonNode row : answer.body().get("results")) {
      assertEquals(cid, row.get("cid").asText(), row::toString);
      assertEquals(24, row.get("objectId").asText().length(), row::toString);
      assertTrue(row.has("createdAt") && row.has("updatedAt"), row::toString);
      roles.add(row.get("clientId").asText() + "=" + row.get("role").asText());
    }
    roles.sort(null);
    return roles;
  }

  @Test
  void members_read_the_roles_set_through_the_protocol() {
    List<String> expected = List.of(JERRY + "=Manager", TOM + "=Owner");
    String where = "{\"cid\":\"" + cid + "\"}";
    assertEquals(
        expected,
        roles(
            withToken(CLUSTER.second(), harryToken)
                .get(memberInfo(where) + "&client_id=" + HARRY)));
    assertEquals(expected, roles(RestClient.master(CLUSTER.first()).get(memberInfo(where))));
    assertEquals(
        List.of(JERRY + "=Manager"),
        roles(
            RestClient.master(CLUSTER.first())
                .get(memberInfo("{\"cid\":\"" + cid + "\",\"clientId\":\"" + JERRY + "\"}"))));
  }

  @Test
  void member_info_is_for_members_and_the_master_key_only() {
    String path = memberInfo("{\"cid\":\"" + cid + "\"}");
    TestClients.Session william =
        TestClients.open(CLUSTER.first(), RestClient.APP, "william-" + RUN, CLIENTS, WAIT);
    assertRefused(
        withToken(CLUSTER.first(), william.token()).get(path + "&client_id=william-" + RUN),
        403,
        4317);
    assertRefused(RestClient.appKey(CLUSTER.first()).get(path), 401, 401);
    assertRefused(
        RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false).get(path), 401, 401);
    assertUnauthorized(CLUSTER.second(), path);
  }

  @Test
  void bad_member_info_queries_are_refused() {
    RestClient master = RestClient.master(CLUSTER.second());
    assertRefused(master.get("/1.1/classes/_ConversationMemberInfo"), 400, 1);
    assertRefused(master.get(memberInfo("{\"cid\":")), 400, 107);
    assertRefused(master.get(memberInfo("[1]")), 400, 107);
    assertRefused(master.get(memberInfo("{\"clientId\":\"" + JERRY + "\"}")), 400, 1);
    assertRefused(master.get(memberInfo("{\"cid\":5}")), 400, 1);
    assertRefused(master.get(memberInfo("{\"cid\":\"5f0000000000000000000000\"}")), 404, 4303);
  }

  // -----------------------------------------------------------------------------
  // /1.1/rtm/transient_group/onlines

  @Test
  void a_chatroom_counts_the_clients_online_in_it() {
    GenericCommand.Builder start = Commands.convStart(TOM, List.of(), "{\"name\":\"room\"}");
    start.getConvMessageBuilder().setTransient(true);
    String room = tom.call(start, WAIT).getConvMessage().getCid();
    for (String clientId : List.of("amy-" + RUN, "ben-" + RUN)) {
      ImClient client =
          TestClients.login(CLUSTER.second(), RestClient.APP, clientId, CLIENTS, WAIT);
      assertEquals(
          OpType.added, client.call(conv(OpType.add, clientId, room, clientId), WAIT).getOp());
    }
    String path = "/1.1/rtm/transient_group/onlines?gid=" + room;
    for (RestClient caller :
        List.of(
            RestClient.appKey(CLUSTER.first()),
            RestClient.master(CLUSTER.second()),
            RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false))) {
      RestClient.Response answer = caller.get(path);
      assertEquals(200, answer.status(), answer::toString);
      assertEquals(
          "{\"result\":3}",
          answer.body().toString(),
          "Tom (its creator, in it since the start), Amy, Ben");
    }
    assertUnauthorized(CLUSTER.first(), path);
    RestClient app = RestClient.appKey(CLUSTER.first());
    assertRefused(app.get("/1.1/rtm/transient_group/onlines"), 400, 1);
    assertRefused(app.get("/1.1/rtm/transient_group/onlines?gid=" + cid), 400, 4316);
    assertRefused(
        app.get("/1.1/rtm/transient_group/onlines?gid=5f0000000000000000000000"), 404, 4303);
  }
}
