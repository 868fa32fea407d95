package io.parley.node.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.sdk.JsSdk;
import io.parley.node.sdk.LeanEngineApp;
import io.parley.node.security.Signatures;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #12, the app's server side, against a real LeanEngine app (npm {@code leanengine} 3.8.0,
 * {@code src/test/js-engine/server.js}) on a two-node cluster whose app requires login signatures:
 *
 * <ul>
 *   <li>login signatures for {@code AV.User}s (REST-AND-HOOKS §2.1, §4.6): {@code POST
 *       /1.1/rtm/sign} and {@code GET /1.2/rtm/clients/sign} check the user's session token with
 *       the app's user store, ask {@code _rtmClientSign}, and sign a login the nodes accept. The
 *       user store is a stand-in route of the same engine app ({@code GET /1.1/users/me}, in the
 *       shape of LeanCloud's storage), since LeanCloud's storage goes away with LeanCloud;
 *   <li>{@code rest-messages = off}: the app server's REST sends and edits call no message hook
 *       (the {@code on} side is in {@link HooksIT}).
 * </ul>
 */
class AppServerSideIT {

  private static final String APP = RestClient.APP;
  private static final String KEY = RestClient.APP_KEY;
  private static final String MASTER = RestClient.MASTER_KEY;
  private static final String HOOK_KEY = "hook-key-" + UUID.randomUUID();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);
  private static final Path STORAGE_HARNESS =
      Path.of(System.getProperty("parley.js-storage.dir", "src/test/js-storage")).toAbsolutePath();
  private static final LeanEngineApp ENGINE = LeanEngineApp.start(APP, KEY, MASTER, HOOK_KEY);

  /** The stand-in users of server.js: session token, objectId. */
  private static final String ALLY_TOKEN = "token-ally";

  private static final String ALLY = "5fb4ff18d0deed36ea501c8a";
  private static final String REX = "5fb4ff18d0deed36ea501c8b";

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          2,
          String.join(
              "\n",
              "parley.apps = [",
              "  { app-id = \""
                  + APP
                  + "\", app-key = \""
                  + KEY
                  + "\", master-key = \""
                  + MASTER
                  + "\"",
              "    signatures = login",
              "    hooks { engine-url = \""
                  + ENGINE.url()
                  + "\", hook-key = \""
                  + HOOK_KEY
                  + "\", rest-messages = off }",
              "    user-store { url = \""
                  + ENGINE.url()
                  + "\", timeout = "
                  + STORE_TIMEOUT.toMillis()
                  + "ms } },",
              "  { app-id = store-down, app-key = key-down, master-key = master-down,",
              "    user-store.url = \"http://127.0.0.1:" + LocalCassandra.freePort() + "\" },",
              "  { app-id = no-store, app-key = key-none, master-key = master-none }",
              "]"));

  @AfterAll
  static void stopEngine() {
    ENGINE.close();
  }

  @Test
  void the_js_sdk_logs_an_av_user_in_with_the_signature_the_app_allowed_and_not_another() {
    JsSdk.npmCi(
        STORAGE_HARNESS,
        "node_modules/leancloud-storage/package.json",
        "node_modules/leancloud-realtime/package.json");
    String run = UUID.randomUUID().toString().substring(0, 6);
    JsonNode result =
        JsSdk.runIn(
            STORAGE_HARNESS,
            "storage.js",
            "usersign",
            List.of(
                "--storage",
                ENGINE.url(),
                "--realtime",
                CLUSTER.second().httpBase(),
                "--app-id",
                APP,
                "--app-key",
                KEY,
                "--run",
                run,
                "--timeout-ms",
                "30000"),
            Duration.ofSeconds(60));
    assertTrue(result.path("ok").asBoolean(), () -> result + "\nengine:\n" + ENGINE.output());
    JsonNode facts = result.path("facts");
    assertEquals(ALLY, facts.path("allyClientId").asText(), "logged in as her objectId: " + facts);
    assertEquals(ALLY, facts.at("/allySent/from").asText(), "and sends as herself: " + facts);
    assertEquals(REX, facts.path("rexUserId").asText(), facts::toString);
    assertFalse(facts.path("rex").has("loggedIn"), "the hook refused rex: " + facts);
    assertEquals(142, facts.at("/rex/code").asInt(), "the SDK reports Parley's refusal: " + facts);
    assertEquals(
        4102, facts.at("/unsigned/code").asInt(), "signatures are required for others: " + facts);

    JsonNode asked =
        ENGINE.await("_rtmClientSign", p -> p.path("objectId").asText().equals(ALLY), WAIT);
    assertEquals("ally", asked.path("username").asText(), "the hook gets the _User: " + asked);
    assertEquals(ALLY_TOKEN, asked.path("sessionToken").asText(), asked::toString);
    assertEquals("ally@example.com", asked.path("email").asText(), asked::toString);
    assertTrue(asked.has("createdAt") && asked.has("emailVerified"), asked::toString);
    ENGINE.await("_rtmClientSign", p -> p.path("objectId").asText().equals(REX), WAIT);
  }

  @Test
  void both_endpoints_sign_a_login_that_either_node_accepts_once() {
    RestClient.Response signed =
        RestClient.appKey(CLUSTER.first())
            .post("/1.1/rtm/sign", "{\"session_token\":\"" + ALLY_TOKEN + "\"}");
    assertEquals(200, signed.status(), signed::toString);
    JsonNode body = signed.body();
    assertEquals(ALLY, body.path("client_id").asText(), signed::toString);
    assertTrue(body.path("timestamp").isNumber(), "the JS SDK needs a number: " + signed);
    assertEquals(
        Signatures.sign(
            MASTER,
            Signatures.login(
                APP, ALLY, body.path("timestamp").asLong(), body.path("nonce").asText())),
        body.path("signature").asText(),
        "appId:userId::timestamp:nonce with the master key");
    assertEquals(OpType.opened, open(CLUSTER.second(), body).getOp(), "accepted on node 2");
    GenericCommand replayed = open(CLUSTER.first(), body);
    assertEquals(4102, replayed.getErrorMessage().getCode(), "a nonce once: " + replayed);

    RestClient.Response viaGet =
        RestClient.appKey(CLUSTER.second())
            .get("/1.2/rtm/clients/sign?session_token=" + ALLY_TOKEN);
    assertEquals(200, viaGet.status(), viaGet::toString);
    assertEquals(ALLY, viaGet.body().path("client_id").asText());
    assertFalse(
        viaGet.body().path("nonce").asText().equals(body.path("nonce").asText()),
        "not idempotent: a new nonce every call");
    assertEquals(OpType.opened, open(CLUSTER.first(), viaGet.body()).getOp(), "accepted on node 1");
  }

  @Test
  void an_unknown_session_token_is_211_and_a_missing_one_a_bad_parameter() {
    for (RestClient.Response unknown :
        List.of(
            RestClient.appKey(CLUSTER.first())
                .post("/1.1/rtm/sign", "{\"session_token\":\"no-such-token\"}"),
            RestClient.appKey(CLUSTER.second())
                .get("/1.2/rtm/clients/sign?session_token=no-such-token"))) {
      assertEquals(400, unknown.status(), unknown::toString);
      assertEquals(211, unknown.code(), unknown::toString);
    }
    RestClient.Response missing = RestClient.appKey(CLUSTER.first()).post("/1.1/rtm/sign", "{}");
    assertEquals(400, missing.status(), missing::toString);
    assertEquals(1, missing.code(), missing::toString);
    assertEquals(
        401,
        RestClient.anonymous(CLUSTER.first())
            .post("/1.1/rtm/sign", "{\"session_token\":\"" + ALLY_TOKEN + "\"}")
            .status(),
        "the app key is required");
  }

  @Test
  void the_apps_hook_refusing_or_failing_refuses_the_signature() {
    RestClient.Response refused =
        RestClient.appKey(CLUSTER.first())
            .post("/1.1/rtm/sign", "{\"session_token\":\"token-refused\"}");
    assertEquals(403, refused.status(), refused::toString);
    assertEquals(142, refused.code(), refused::toString);
    assertFalse(refused.body().has("signature"), refused::toString);

    RestClient.Response broken =
        RestClient.appKey(CLUSTER.second()).get("/1.2/rtm/clients/sign?session_token=token-broken");
    assertEquals(503, broken.status(), "a failed hook refuses whatever the policy: " + broken);
    assertEquals(142, broken.code(), broken::toString);
  }

  @Test
  void a_user_store_that_is_down_or_hangs_is_a_clear_503_within_its_timeout() {
    RestClient.Response down =
        RestClient.with(CLUSTER.first(), Map.of("X-LC-Id", "store-down", "X-LC-Key", "key-down"))
            .post("/1.1/rtm/sign", "{\"session_token\":\"" + ALLY_TOKEN + "\"}");
    assertEquals(503, down.status(), down::toString);
    assertTrue(down.body().path("error").asText().contains("user store"), down::toString);

    long started = System.nanoTime();
    RestClient.Response hung =
        RestClient.appKey(CLUSTER.second())
            .post("/1.1/rtm/sign", "{\"session_token\":\"token-hang\"}");
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertEquals(503, hung.status(), hung::toString);
    assertTrue(hung.body().path("error").asText().contains("user store"), hung::toString);
    System.out.println("A hung user store answered 503 after " + took.toMillis() + " ms");
    assertTrue(
        took.compareTo(STORE_TIMEOUT.plusSeconds(3)) < 0,
        "bounded by the store's timeout: " + took);
  }

  @Test
  void without_a_user_store_the_endpoints_say_it_is_not_configured() {
    RestClient.Response none =
        RestClient.with(CLUSTER.first(), Map.of("X-LC-Id", "no-store", "X-LC-Key", "key-none"))
            .get("/1.2/rtm/clients/sign?session_token=" + ALLY_TOKEN);
    assertEquals(501, none.status(), none::toString);
    assertTrue(none.body().path("error").asText().contains("user-store"), none::toString);
  }

  @Test
  void with_rest_messages_off_rest_sends_and_edits_call_no_message_hook() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String bot = "bot-" + run;
    AppServer app = new AppServer(CLUSTER.first());
    String cid = app.conversation("no rest hooks " + run, List.of(bot, ALLY));
    RestClient.Response sent = app.send(cid, bot, "hook:drop hook:rewrite untouched");
    assertEquals(200, sent.status(), sent::toString);
    RestClient.Response edited = app.edit(cid, sent.body(), bot, "hook:deny but kept");
    assertEquals(200, edited.status(), edited::toString);
    assertEquals(List.of("hook:deny but kept"), app.texts(cid));

    // A client's message in the same conversation does call them (the hooks are on), after the
    // app server's: once its _messageSent arrived, none of the app server's came before it.
    RestClient.Response signature =
        RestClient.appKey(CLUSTER.second())
            .get("/1.2/rtm/clients/sign?session_token=" + ALLY_TOKEN);
    try (ImClient ally = connect(CLUSTER.second())) {
      assertEquals(OpType.opened, ally.call(signedOpen(signature.body()), WAIT).getOp());
      GenericCommand ack =
          ally.call(Commands.direct(ALLY, cid, AppServer.typed("from a client")), WAIT);
      assertFalse(ack.getAckMessage().hasCode(), ack::toString);
      ENGINE.await(
          "_messageSent", p -> p.path("msgId").asText().equals(ack.getAckMessage().getUid()), WAIT);
    }
    for (String hook :
        List.of("_messageReceived", "_messageUpdate", "_messageSent", "_receiversOffline")) {
      assertEquals(
          List.of(),
          ENGINE.calls(
              hook,
              p ->
                  p.path("convId").asText().equals(cid) && p.path("fromPeer").asText().equals(bot)),
          hook + " for the app server's REST calls");
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private static GenericCommand open(TestNode node, JsonNode signature) {
    try (ImClient client = connect(node)) {
      return client.call(signedOpen(signature), WAIT);
    }
  }

  /** A session/open of the signature's client id carrying it, as the SDKs send it. */
  private static GenericCommand.Builder signedOpen(JsonNode signature) {
    return Commands.sessionOpen(APP, signature.path("client_id").asText())
        .setSessionMessage(
            SessionCommand.newBuilder()
                .setT(signature.path("timestamp").asLong())
                .setN(signature.path("nonce").asText())
                .setS(signature.path("signature").asText()));
  }

  private static ImClient connect(TestNode node) {
    return ImClient.connect(
        node.webSocketUri(), Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, WAIT);
  }
}
