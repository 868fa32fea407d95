package io.parley.node.rest;

import static io.parley.node.rest.SdkEndpointsIT.WAIT;
import static io.parley.node.rest.SdkEndpointsIT.assertRefused;
import static io.parley.node.rest.SdkEndpointsIT.assertUnauthorized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * IM clients over REST (REST-AND-HOOKS §3.4) on two nodes: online check (master key), unread counts
 * (app key), kick (master key: {@code session/closed} 4115 on every node). Every refusal is
 * LeanCloud's status and body, and changes nothing: a refused kick leaves the client online.
 */
class ClientEndpointsIT {

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  private static final List<ImClient> CLIENTS = new ArrayList<>();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static final String TOM = "tom-" + RUN;
  private static final String JERRY = "jerry-" + RUN;
  private static final String BOB = "bob-" + RUN;
  private static String withJerry;
  private static String withBob;

  /** Tom (node 1) sends two messages to Jerry and one to Jerry and Bob, who are offline. */
  @BeforeAll
  static void messages() {
    ImClient tom = TestClients.login(CLUSTER.node(0), RestClient.APP, TOM, CLIENTS, WAIT);
    withJerry =
        tom.call(Commands.convStart(TOM, List.of(JERRY), null), WAIT).getConvMessage().getCid();
    withBob =
        tom.call(Commands.convStart(TOM, List.of(JERRY, BOB), null), WAIT)
            .getConvMessage()
            .getCid();
    for (String cid : List.of(withJerry, withJerry, withBob)) {
      GenericCommand ack = tom.call(Commands.direct(TOM, cid, "hello"), WAIT);
      assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
    }
  }

  @AfterAll
  static void close() {
    CLIENTS.forEach(ImClient::close);
  }

  private static List<String> online(List<String> asked) {
    RestClient.Response answer =
        RestClient.master(CLUSTER.second())
            .post("/1.2/rtm/clients/check-online", "{\"client_ids\":" + json(asked) + "}");
    assertEquals(200, answer.status(), answer::toString);
    List<String> results = new ArrayList<>();
    answer.body().get("results").forEach(id -> results.add(id.asText()));
    return results;
  }

  private static String json(List<String> ids) {
    return ids.stream()
        .map(id -> "\"" + id + "\"")
        .collect(java.util.stream.Collectors.joining(",", "[", "]"));
  }

  // -------------------------------------------------------------------------------------------
  // check-online

  @Test
  void check_online_finds_clients_on_every_node() {
    String amy = "amy-" + RUN;
    String ben = "ben-" + RUN;
    TestClients.login(CLUSTER.node(0), RestClient.APP, amy, CLIENTS, WAIT);
    TestClients.login(CLUSTER.node(1), RestClient.APP, ben, CLIENTS, WAIT);
    assertEquals(List.of(ben, amy), online(List.of(ben, "nobody-" + RUN, amy, ben)));
    String ts = Long.toString(System.currentTimeMillis());
    RestClient.Response signed =
        RestClient.with(
                CLUSTER.first(),
                java.util.Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Sign",
                    RestClient.md5(ts + RestClient.MASTER_KEY) + "," + ts + ",master"))
            .post("/1.2/rtm/clients/check-online", "{\"client_ids\":[\"" + amy + "\"]}");
    assertEquals("{\"results\":[\"" + amy + "\"]}", signed.body().toString());
  }

  @Test
  void check_online_is_for_the_master_key_with_a_list_of_at_most_20() {
    String path = "/1.2/rtm/clients/check-online";
    assertRefused(
        RestClient.appKey(CLUSTER.first()).post(path, "{\"client_ids\":[\"a\"]}"), 401, 401);
    assertRefused(
        RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false)
            .post(path, "{\"client_ids\":[\"a\"]}"),
        401,
        401);
    RestClient master = RestClient.master(CLUSTER.first());
    assertRefused(master.post(path, "{\"client_ids\":"), 400, 107);
    assertRefused(master.post(path, "[]"), 400, 107);
    assertRefused(master.post(path, "{}"), 400, 1);
    assertRefused(master.post(path, "{\"client_ids\":\"a\"}"), 400, 1);
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      many.add("c" + i);
    }
    assertRefused(master.post(path, "{\"client_ids\":" + json(many) + "}"), 400, 1);
  }

  // -------------------------------------------------------------------------------------------
  // unread-count

  private static int unread(RestClient client, String clientId, Optional<String> cid) {
    RestClient.Response answer =
        client.get(
            "/1.2/rtm/clients/"
                + clientId
                + "/unread-count"
                + cid.map(id -> "?conv_id=" + id).orElse(""));
    assertEquals(200, answer.status(), answer::toString);
    return answer.body().get("count").asInt();
  }

  @Test
  void unread_counts_are_per_client_and_per_conversation() {
    RestClient app = RestClient.appKey(CLUSTER.second());
    assertEquals(3, unread(app, JERRY, Optional.empty()));
    assertEquals(2, unread(app, JERRY, Optional.of(withJerry)));
    assertEquals(1, unread(RestClient.master(CLUSTER.first()), BOB, Optional.empty()));
    assertEquals(
        0,
        unread(
            RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false),
            BOB,
            Optional.of(withJerry)));
    assertEquals(0, unread(app, "nobody-" + RUN, Optional.empty()));
    assertUnauthorized(CLUSTER.first(), "/1.2/rtm/clients/" + JERRY + "/unread-count");
  }

  // ------------------------------------------------------------------------------------------------- kick

  @Test
  void a_kick_closes_every_session_of_the_client_with_4115_and_revokes_its_tokens_for_rest_too() {
    String kicked = "kicked-" + RUN;
    TestClients.Session first =
        TestClients.open(CLUSTER.first(), RestClient.APP, kicked, CLIENTS, WAIT);
    List<ImClient> devices =
        List.of(
            first.client(),
            TestClients.login(CLUSTER.node(1), RestClient.APP, kicked, CLIENTS, WAIT));
    RestClient.Response allowed =
        SdkEndpointsIT.withToken(CLUSTER.second(), first.token())
            .get(
                "/1.1/rtm/notifications?client_id="
                    + kicked
                    + "&start_ts=0&notification_type=permanent");
    assertEquals(200, allowed.status(), allowed::toString);
    RestClient.Response answer =
        RestClient.master(CLUSTER.first())
            .post("/1.2/rtm/clients/" + kicked + "/kick", "{\"reason\":\"banned\"}");
    assertEquals(200, answer.status(), answer::toString);
    assertEquals("{}", answer.body().toString());
    for (ImClient device : devices) {
      GenericCommand closed = device.nextPush(WAIT);
      assertEquals(CommandType.session, closed.getCmd(), closed::toString);
      assertEquals(OpType.closed, closed.getOp(), closed::toString);
      assertEquals(4115, closed.getSessionMessage().getCode(), closed::toString);
      assertEquals("banned", closed.getSessionMessage().getReason(), closed::toString);
    }
    assertEquals(List.of(), online(List.of(kicked)));
    // Before the kick its token opened client-scoped REST calls; after it, on either node, they get
    // 401 / 4112.
    String notifications =
        "/1.1/rtm/notifications?client_id=" + kicked + "&start_ts=0&notification_type=permanent";
    for (var node : List.of(CLUSTER.first(), CLUSTER.second())) {
      RestClient.Response revoked =
          SdkEndpointsIT.withToken(node, first.token()).get(notifications);
      assertEquals(401, revoked.status(), revoked::toString);
      assertEquals(4112, revoked.body().path("code").asInt(), revoked::toString);
    }
    // Its session tokens are revoked on every node: the SDK's automatic re-login with one gets
    // 4112.
    ImClient again =
        ImClient.connect(
            CLUSTER.second().webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
    CLIENTS.add(again);
    GenericCommand.Builder reopen = Commands.sessionOpen(RestClient.APP, kicked);
    reopen.getSessionMessageBuilder().setSt(first.token()).setR(true);
    GenericCommand refused = again.call(reopen, WAIT);
    assertEquals(CommandType.error, refused.getCmd(), refused::toString);
    assertEquals(4112, refused.getErrorMessage().getCode(), refused::toString);
  }

  @Test
  void a_refused_kick_changes_nothing() {
    String stays = "stays-" + RUN;
    ImClient device = TestClients.login(CLUSTER.node(1), RestClient.APP, stays, CLIENTS, WAIT);
    String path = "/1.2/rtm/clients/" + stays + "/kick";
    assertRefused(RestClient.appKey(CLUSTER.first()).post(path, "{}"), 401, 401);
    assertRefused(
        RestClient.signed(CLUSTER.second(), RestClient.APP_KEY, false).post(path, "{}"), 401, 401);
    assertRefused(
        RestClient.with(
                CLUSTER.first(),
                java.util.Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master"))
            .post(path, "{}"),
        401,
        401);
    assertRefused(RestClient.anonymous(CLUSTER.first()).post(path, "{}"), 401, 401);
    RestClient master = RestClient.master(CLUSTER.first());
    assertRefused(master.post(path, "{\"reason\":"), 400, 107);
    assertRefused(master.post(path, "{\"reason\":\"twenty-one characters\"}"), 400, 1);
    assertRefused(master.post(path, "{\"reason\":7}"), 400, 1);
    assertTrue(device.pollPush(Duration.ofMillis(500)).isEmpty(), "no session/closed");
    assertEquals(List.of(stays), online(List.of(stays)));
    assertEquals(CommandType.echo, device.call(Commands.echo(), WAIT).getCmd(), "still logged in");
  }
}
