package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
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
 * REST authentication and errors (REST-AND-HOOKS §1) on the gateway's listener, two nodes: every
 * way of proving a key LeanCloud accepts, every refusal as LeanCloud's status and JSON body, CORS
 * preflights, and client-scoped calls with an IM session token.
 */
class RestAuthIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  private static final List<ImClient> CLIENTS = new ArrayList<>();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static String cid;
  private static String members;

  @BeforeAll
  static void conversation() {
    ImClient tom = TestClients.login(CLUSTER.first(), RestClient.APP, "tom-" + RUN, CLIENTS, WAIT);
    GenericCommand started =
        tom.call(Commands.convStart("tom-" + RUN, List.of("jerry-" + RUN), null), WAIT);
    cid = started.getConvMessage().getCid();
    members = "/1.2/rtm/conversations/" + cid + "/members";
  }

  @AfterAll
  static void close() {
    CLIENTS.forEach(ImClient::close);
  }

  @Test
  void the_master_key_reads_members_on_either_node() {
    for (int node = 0; node < 2; node++) {
      RestClient.Response answer = RestClient.master(CLUSTER.node(node)).get(members);
      assertEquals(200, answer.status(), answer::toString);
      assertEquals(
          List.of("jerry-" + RUN, "tom-" + RUN),
          sorted(answer.body().path("result")),
          answer::toString);
      assertEquals("*", answer.headers().get("access-control-allow-origin").get(0));
    }
  }

  @Test
  void a_master_signature_and_the_legacy_headers_are_accepted() {
    assertEquals(
        200, RestClient.signed(CLUSTER.first(), RestClient.MASTER_KEY, true).get(members).status());
    String ts = Long.toString(System.currentTimeMillis());
    RestClient.Response upperHex =
        RestClient.with(
                CLUSTER.second(),
                Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Sign",
                    RestClient.md5(ts + RestClient.MASTER_KEY).toUpperCase()
                        + ","
                        + ts
                        + ",master"))
            .get(members);
    assertEquals(200, upperHex.status(), upperHex::toString);
    RestClient.Response legacy =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-AVOSCloud-Application-Id",
                    RestClient.APP,
                    "X-AVOSCloud-Application-Key",
                    RestClient.MASTER_KEY + ",master"))
            .get(members);
    assertEquals(200, legacy.status(), legacy::toString);
    RestClient.Response legacyMaster =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-AVOSCloud-Application-Id",
                    RestClient.APP,
                    "X-AVOSCloud-Master-Key",
                    RestClient.MASTER_KEY))
            .get(members);
    assertEquals(200, legacyMaster.status(), legacyMaster::toString);
  }

  @Test
  void the_app_key_is_not_enough_for_admin_endpoints() {
    for (RestClient client :
        List.of(
            RestClient.appKey(CLUSTER.first()),
            RestClient.signed(CLUSTER.first(), RestClient.APP_KEY, false))) {
      RestClient.Response answer = client.get(members);
      assertEquals(401, answer.status(), answer::toString);
      assertEquals(401, answer.code());
      assertTrue(answer.body().path("error").asText().contains("master key"), answer::toString);
    }
  }

  @Test
  void wrong_missing_or_foreign_credentials_are_401_with_leancloud_body() {
    String ts = Long.toString(System.currentTimeMillis());
    List<Map<String, String>> refused =
        List.of(
            Map.of(),
            Map.of("X-LC-Id", RestClient.APP),
            Map.of("X-LC-Key", RestClient.MASTER_KEY + ",master"),
            Map.of("X-LC-Id", "no-such-app", "X-LC-Key", RestClient.MASTER_KEY + ",master"),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master"),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", RestClient.MASTER_KEY),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", RestClient.APP_KEY + ",master"),
            Map.of(
                "X-LC-Id",
                RestClient.APP,
                "X-LC-Sign",
                RestClient.md5(ts + "wrong") + "," + ts + ",master"),
            Map.of(
                "X-LC-Id",
                RestClient.APP,
                "X-LC-Sign",
                RestClient.md5(ts + RestClient.APP_KEY) + "," + ts + ",master"),
            Map.of("X-LC-Id", RestClient.APP, "X-LC-Sign", "garbage"));
    for (Map<String, String> headers : refused) {
      RestClient.Response answer = RestClient.with(CLUSTER.second(), headers).get(members);
      assertEquals(401, answer.status(), () -> headers + " -> " + answer);
      assertEquals(401, answer.code(), answer::toString);
      assertEquals("Unauthorized.", answer.body().path("error").asText(), answer::toString);
    }
  }

  @Test
  void an_im_session_token_scopes_a_call_to_its_client() {
    List<ImClient> open = new ArrayList<>();
    ImClient spike =
        io.parley.protocol.client.ImClient.connect(
            CLUSTER.second().webSocketUri(),
            io.parley.protocol.Subprotocol.PROTOBUF_3,
            io.parley.protocol.client.ImClient.OfferMode.HEADER,
            WAIT);
    open.add(spike);
    String token =
        spike
            .call(Commands.sessionOpen(RestClient.APP, "spike-" + RUN), WAIT)
            .getSessionMessage()
            .getSt();
    open.forEach(ImClient::close);
    RestClient.Response forged =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Key",
                    RestClient.APP_KEY,
                    "X-LC-IM-Session-Token",
                    token))
            .get(members + "?client_id=tom-" + RUN);
    assertEquals(401, forged.status(), forged::toString);
    assertEquals(4112, forged.code(), "another client's token: " + forged);
    RestClient.Response noClient =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Key",
                    RestClient.APP_KEY,
                    "X-LC-IM-Session-Token",
                    token))
            .get(members);
    assertEquals(400, noClient.status(), noClient::toString);
    RestClient.Response scoped =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Key",
                    RestClient.APP_KEY,
                    "X-LC-IM-Session-Token",
                    token))
            .get(members + "?client_id=spike-" + RUN);
    assertEquals(401, scoped.status(), scoped::toString);
    assertTrue(
        scoped.body().path("error").asText().contains("master key"),
        "the token is accepted; this admin endpoint still wants the master key: " + scoped);
  }

  @Test
  void errors_are_json_in_leancloud_shape() {
    RestClient master = RestClient.master(CLUSTER.first());
    RestClient.Response unknownConversation =
        master.get("/1.2/rtm/conversations/5f0000000000000000000000/members");
    assertEquals(404, unknownConversation.status(), unknownConversation::toString);
    assertEquals(4303, unknownConversation.code());
    RestClient.Response unknownEndpoint = master.get("/1.2/rtm/nothing-here");
    assertEquals(404, unknownEndpoint.status(), unknownEndpoint::toString);
    assertEquals(404, unknownEndpoint.code());
  }

  @Test
  void cors_preflights_allow_the_leancloud_headers_without_credentials() {
    RestClient.Response preflight =
        RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "Origin",
                    "https://app.example.com",
                    "Access-Control-Request-Method",
                    "GET",
                    "Access-Control-Request-Headers",
                    "x-lc-id, x-lc-sign"))
            .send("OPTIONS", "/1.1/rtm/notifications", null);
    assertEquals(200, preflight.status(), preflight::toString);
    assertEquals("*", preflight.headers().get("access-control-allow-origin").get(0));
    String allowed = preflight.headers().get("access-control-allow-headers").get(0);
    for (String header :
        List.of("X-LC-Id", "X-LC-Key", "X-LC-Sign", "X-LC-Session", "X-LC-IM-Session-Token")) {
      assertTrue(allowed.contains(header), allowed);
    }
  }

  private static List<String> sorted(com.fasterxml.jackson.databind.JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    values.sort(null);
    return values;
  }
}
