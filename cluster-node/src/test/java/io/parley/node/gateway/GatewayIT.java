package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.TestClients;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway of one real node: router, subprotocol negotiation, login, multiplexing and bad input.
 */
class GatewayIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);
  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);

  /** {@code name} made unique to this run: the node is shared with other classes. */
  private static String peer(String name) {
    return name + "-" + RUN;
  }

  private static ImClient connect(Subprotocol protocol, OfferMode mode) {
    return ImClient.connect(CLUSTER.first().webSocketUri(), protocol, mode, WAIT);
  }

  private static JsonNode get(String pathAndQuery) throws Exception {
    HttpResponse<String> response = httpGet(pathAndQuery);
    JsonNode body = JSON.readTree(response.body());
    ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_status", response.statusCode());
    return body;
  }

  private static HttpResponse<String> httpGet(String pathAndQuery) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(CLUSTER.first().httpBase() + pathAndQuery)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /**
   * Over the network; the router's rules (Host, TLS, balancer URLs, app ids) are in {@code
   * GatewayRoutesTest}.
   */
  @Test
  void router_answers_with_every_field_the_sdks_read() throws Exception {
    JsonNode plain = get("/v1/route?appId=" + APP + "&secure=0&_t=123");
    assertEquals(200, plain.get("_status").asInt());
    assertEquals(
        "ws://127.0.0.1:" + CLUSTER.first().ports().http() + "/", plain.get("server").asText());
    assertTrue(
        plain.has("secondary") && plain.has("groupId") && plain.has("groupUrl"), plain::toString);
    assertTrue(plain.get("ttl").isNumber(), "ttl must be a number");

    assertTrue(
        get("/v1/route?appId=" + APP + "&secure=false").get("server").asText().startsWith("ws://"));
  }

  @Test
  void json3_offered_in_the_query_logs_in_without_a_protocol_header() {
    try (ImClient client = connect(Subprotocol.JSON_3, OfferMode.QUERY)) {
      assertTrue(
          client.acceptedSubprotocol().isEmpty(),
          "no header must be echoed to a client that sent none");
      GenericCommand opened = TestClients.open(client, APP, peer("Tom"), WAIT);
      assertEquals(peer("Tom"), opened.getPeerId());
      assertTrue(opened.getSessionMessage().getSt().length() > 10);
      assertEquals(86400, opened.getSessionMessage().getStTtl());
      assertTrue(Math.abs(opened.getServerTs() - System.currentTimeMillis()) < 60_000);
    }
  }

  @Test
  void json1_offered_in_the_header_is_echoed_and_logs_in() {
    try (ImClient client = connect(Subprotocol.JSON_1, OfferMode.HEADER)) {
      assertEquals("lc.json.1", client.acceptedSubprotocol().orElseThrow());
      assertEquals(peer("Jerry"), TestClients.open(client, APP, peer("Jerry"), WAIT).getPeerId());
    }
  }

  @Test
  void every_subprotocol_logs_in_and_answers_echo() {
    for (Subprotocol protocol :
        List.of(
            Subprotocol.PROTOBUF_3,
            Subprotocol.PROTOBUF_1,
            Subprotocol.BASE64_3,
            Subprotocol.JSON_2,
            Subprotocol.LEGACY)) {
      try (ImClient client = connect(protocol, OfferMode.HEADER)) {
        TestClients.open(client, APP, peer("user-" + protocol.name()), WAIT);
        GenericCommand echo = client.call(Commands.echo(), WAIT);
        assertEquals(CommandType.echo, echo.getCmd(), protocol::name);
      }
    }
  }

  @Test
  void unknown_subprotocol_is_refused_at_the_handshake() {
    URI uri = URI.create(CLUSTER.first().webSocketUri() + "?subprotocol=lc.nonsense.9");
    assertThrows(
        RuntimeException.class,
        () -> ImClient.connect(uri, Subprotocol.LEGACY, OfferMode.NONE, WAIT));
  }

  @Test
  void an_absent_client_id_gets_a_generated_one() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      GenericCommand opened = TestClients.open(client, APP, null, WAIT);
      assertFalse(opened.getPeerId().isEmpty());
      assertTrue(opened.getPeerId().length() <= 64);
    }
  }

  @Test
  void reopening_on_the_same_socket_is_idempotent_and_several_clients_share_one_socket() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      TestClients.open(client, APP, peer("first"), WAIT);
      TestClients.open(client, APP, peer("first"), WAIT);
      TestClients.open(client, APP, peer("second"), WAIT);
      GenericCommand closeSecond = client.call(Commands.sessionClose(peer("second")), WAIT);
      assertEquals(OpType.closed, closeSecond.getOp());
      assertFalse(closeSecond.hasErrorMessage());
      assertFalse(closeSecond.getSessionMessage().hasCode(), "closed must not carry a code");
      GenericCommand again = client.call(Commands.sessionClose(peer("second")), WAIT);
      assertEquals(ErrorCode.SESSION_REQUIRED.code(), again.getErrorMessage().getCode());
      GenericCommand implicitFirst =
          client.call(Commands.sessionClose(peer("first")).clearPeerId(), WAIT);
      assertEquals(OpType.closed, implicitFirst.getOp());
      assertEquals(
          peer("first"), implicitFirst.getPeerId(), "without peerId the first open session acts");
      assertTrue(client.isOpen(), "closing sessions keeps the socket open");
    }
  }

  @Test
  void a_session_token_logs_the_same_client_in_again_on_another_connection() {
    String token;
    try (ImClient first = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      token = TestClients.open(first, APP, peer("Bob"), WAIT).getSessionMessage().getSt();
    }
    try (ImClient second = connect(Subprotocol.BASE64_3, OfferMode.HEADER)) {
      GenericCommand relogin = second.call(withToken(peer("Bob"), token), WAIT);
      assertEquals(OpType.opened, relogin.getOp(), relogin::toString);
      GenericCommand stolen = second.call(withToken(peer("Mallory"), token), WAIT);
      assertEquals(ErrorCode.SESSION_TOKEN_EXPIRED.code(), stolen.getErrorMessage().getCode());
      assertEquals("SESSION_TOKEN_EXPIRED", stolen.getErrorMessage().getReason());
      GenericCommand forged = second.call(withToken(peer("Bob"), token + "x"), WAIT);
      assertEquals(ErrorCode.SESSION_TOKEN_EXPIRED.code(), forged.getErrorMessage().getCode());
    }
  }

  private static GenericCommand.Builder withToken(String clientId, String token) {
    GenericCommand.Builder open = Commands.sessionOpen(APP, clientId);
    return open.setSessionMessage(SessionCommand.newBuilder().setR(true).setSt(token));
  }

  private static GenericCommand.Builder taggedOpen(
      String clientId, String deviceId, boolean reconnect) {
    return Commands.sessionOpen(APP, clientId)
        .setSessionMessage(
            SessionCommand.newBuilder().setTag("mobile").setDeviceId(deviceId).setR(reconnect));
  }

  /**
   * §5.1 step 4: a new login with the same tag on another device wins; an automatic re-login loses.
   */
  @Test
  void single_device_login_kicks_the_old_device_and_refuses_a_reconnecting_one() {
    try (ImClient phone = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER);
        ImClient tablet = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER);
        ImClient sameDevice = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      assertEquals(OpType.opened, phone.call(taggedOpen("tagged", "phone", false), WAIT).getOp());
      assertEquals(
          OpType.opened,
          sameDevice.call(taggedOpen("tagged", "phone", false), WAIT).getOp(),
          "the same device is not a conflict");
      assertEquals(OpType.opened, tablet.call(taggedOpen("tagged", "tablet", false), WAIT).getOp());
      for (ImClient old : List.of(phone, sameDevice)) {
        GenericCommand kicked = old.nextPush(WAIT);
        assertEquals(OpType.closed, kicked.getOp());
        assertEquals(4111, kicked.getSessionMessage().getCode());
        assertEquals("SESSION_CONFLICT", kicked.getSessionMessage().getReason());
        assertFalse(kicked.hasI(), "a kick is a push");
        assertTrue(old.isOpen(), "the socket stays for other clients");
      }
      GenericCommand refused = phone.call(taggedOpen("tagged", "phone", true), WAIT);
      assertEquals(
          4111,
          refused.getErrorMessage().getCode(),
          "a reconnecting device loses to the current one");
      assertTrue(
          tablet.pollPush(Duration.ofMillis(500)).isEmpty(), "the current device is not disturbed");
    }
  }

  @Test
  void the_java_sdk_push_login_gets_no_reply_and_does_not_break_the_socket() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      client.send(
          GenericCommand.newBuilder()
              .setCmd(CommandType.login)
              .setAppId(APP)
              .setInstallationId("inst")
              .build());
      assertTrue(client.pollPush(Duration.ofMillis(500)).isEmpty(), "login must not be answered");
      TestClients.open(client, APP, peer("java-user"), WAIT);
    }
  }

  @Test
  void json_heartbeat_is_answered_with_an_empty_object() {
    try (ImClient client = connect(Subprotocol.JSON_3, OfferMode.QUERY)) {
      client.sendFrame(new Frame.Text("{}"));
      GenericCommand heartbeat = client.nextPush(WAIT);
      assertFalse(heartbeat.hasCmd());
    }
  }

  @Test
  void websocket_pings_are_answered() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      assertTrue(client.ping(WAIT));
    }
  }

  @Test
  void commands_before_login_are_refused_with_session_required() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      GenericCommand reply =
          client.call(Commands.convStart("nobody", List.of("a"), null).clearPeerId(), WAIT);
      assertEquals(CommandType.error, reply.getCmd());
      assertEquals(4105, reply.getErrorMessage().getCode());
      assertEquals("SESSION_REQUIRED", reply.getErrorMessage().getReason());
      assertTrue(client.isOpen());
    }
  }

  @Test
  void an_overlong_client_id_is_refused_with_invalid_login() {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      GenericCommand reply = client.call(Commands.sessionOpen(APP, "x".repeat(65)), WAIT);
      assertEquals(4103, reply.getErrorMessage().getCode());
    }
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      client.send(Commands.sessionOpen(APP, "x".repeat(65)).build());
      assertEquals(4103, client.awaitClose(WAIT).code());
    }
  }

  @Test
  void an_unknown_app_is_closed_with_app_not_available() throws Exception {
    try (ImClient client = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      GenericCommand closed =
          client
              .request(Commands.sessionOpen("no-such-app", "Tom"))
              .get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      assertEquals(
          OpType.closed,
          closed.getOp(),
          "the open is answered (the SDKs report 4100 at once): " + closed);
      assertEquals(4100, closed.getSessionMessage().getCode());
      ImClient.CloseStatus close = client.awaitClose(WAIT);
      assertEquals(4100, close.code());
      assertEquals("APP_NOT_AVAILABLE", close.reason());
    }
  }

  /** Each kind of bad input ends only the offending connection; a bystander keeps being served. */
  @Test
  void bad_input_is_answered_in_protocol_terms_and_a_second_client_keeps_working() {
    try (ImClient bystander = connect(Subprotocol.PROTOBUF_3, OfferMode.HEADER)) {
      TestClients.open(bystander, APP, peer("bystander"), WAIT);
      assertClosedWith(
          Subprotocol.PROTOBUF_3,
          new Frame.Binary(new byte[] {(byte) 0xff, 0x01, 0x02, 0x7f}),
          4114);
      assertClosedWith(Subprotocol.BASE64_3, new Frame.Text("@@not base64@@"), 4114);
      assertClosedWith(Subprotocol.JSON_3, new Frame.Text("{\"cmd\": \"session\", "), 4114);
      assertClosedWith(Subprotocol.PROTOBUF_3, new Frame.Binary(new byte[300 * 1024]), 4109);
      assertClosedWith(
          Subprotocol.JSON_3,
          new Frame.Text("{\"op\":\"x\",\"pad\":\"" + "a".repeat(300 * 1024) + "\"}"),
          4109);
      try (ImClient unknownCmd = connect(Subprotocol.JSON_3, OfferMode.QUERY)) {
        unknownCmd.sendFrame(new Frame.Text("{\"cmd\":\"teleport\",\"i\":7}"));
        GenericCommand reply = unknownCmd.nextPush(WAIT);
        assertEquals(CommandType.error, reply.getCmd());
        assertEquals(7, reply.getI());
        assertEquals(4114, reply.getErrorMessage().getCode());
        assertTrue(unknownCmd.isOpen(), "an unknown cmd with an i is answered, not closed");
        TestClients.open(unknownCmd, APP, peer("still-usable"), WAIT);
      }
      assertEquals(CommandType.echo, bystander.call(Commands.echo(), WAIT).getCmd());
      assertEquals(
          OpType.opened,
          bystander.call(Commands.sessionOpen(APP, peer("bystander")), WAIT).getOp());
    }
  }

  private static void assertClosedWith(Subprotocol protocol, Frame frame, int code) {
    try (ImClient client =
        connect(protocol, protocol.id().isPresent() ? OfferMode.HEADER : OfferMode.NONE)) {
      client.sendFrame(frame);
      ImClient.CloseStatus close = client.awaitClose(WAIT);
      assertEquals(
          code,
          close.code(),
          () -> protocol + " frame of " + frame.size() + " bytes closed with " + close);
      assertNotEquals("", close.reason());
    }
  }
}
