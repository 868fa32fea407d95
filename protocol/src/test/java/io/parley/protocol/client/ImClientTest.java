package io.parley.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.protocol.Codecs;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.Frame;
import io.parley.protocol.ProtocolException;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.ImClient.CloseStatus;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ImClient} against a minimal hand-written WebSocket server (no Parley server involved). */
@Timeout(20)
class ImClientTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  /**
   * Answers session/open with a push first and then the reply; echo with echo; anything else with
   * an error.
   */
  private static MiniWebSocketServer.Handler imServer(Subprotocol protocol) {
    CommandCodec codec = Codecs.forSubprotocol(protocol);
    return (connection, frame) -> {
      GenericCommand request;
      try {
        request = codec.decode(frame);
      } catch (ProtocolException e) {
        connection.close(4114, "UNPARSEABLE_RAW_MESSAGE");
        return;
      }
      if (request.getCmd() == CommandType.session && request.getOp() == OpType.open) {
        connection.send(
            codec.encode(GenericCommand.newBuilder().setCmd(CommandType.goaway).build()));
        connection.send(
            codec.encode(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.session)
                    .setOp(OpType.opened)
                    .setI(request.getI())
                    .setPeerId(request.getPeerId())
                    .setSessionMessage(SessionCommand.newBuilder().setSt("token").setStTtl(60))
                    .build()));
      } else if (request.getCmd() == CommandType.echo) {
        connection.send(
            codec.encode(
                GenericCommand.newBuilder().setCmd(CommandType.echo).setI(request.getI()).build()));
      } else if (request.hasI()) {
        connection.send(
            codec.encode(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.error)
                    .setI(request.getI())
                    .setErrorMessage(
                        ErrorCommand.newBuilder().setCode(4105).setReason("SESSION_REQUIRED"))
                    .build()));
      }
    };
  }

  @Test
  void protobuf_over_header_request_reply_and_pushes() throws Exception {
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", imServer(Subprotocol.PROTOBUF_3));
        var client =
            ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      var connection = server.connections.poll(5, TimeUnit.SECONDS);
      assertEquals("lc.protobuf2.3", connection.headers.get("sec-websocket-protocol"));
      assertEquals(Optional.of("lc.protobuf2.3"), client.acceptedSubprotocol());
      assertTrue(client.isOpen());

      GenericCommand opened = client.call(Commands.sessionOpen("app", "Tom"), WAIT);
      assertEquals(OpType.opened, opened.getOp());
      assertEquals(1, opened.getI(), "first serial id is 1");
      assertEquals("Tom", opened.getPeerId());
      assertEquals(
          CommandType.goaway, client.nextPush(WAIT).getCmd(), "the push sent before the reply");

      assertEquals(2, client.call(Commands.echo(), WAIT).getI());
      GenericCommand error =
          client.call(GenericCommand.newBuilder().setCmd(CommandType.read), WAIT);
      assertEquals(CommandType.error, error.getCmd(), "an error reply completes normally");
      assertEquals(3, error.getI());
      assertEquals(Optional.empty(), client.pollPush(Duration.ofMillis(100)));
      assertThrows(ImClient.TimedOut.class, () -> client.nextPush(Duration.ofMillis(50)));
    }
  }

  @Test
  void json_over_query_without_header() throws Exception {
    try (var server = new MiniWebSocketServer("lc.json.3", imServer(Subprotocol.JSON_3));
        var client =
            ImClient.connect(server.uri("/ws"), Subprotocol.JSON_3, OfferMode.QUERY, WAIT)) {
      var connection = server.connections.poll(5, TimeUnit.SECONDS);
      assertEquals("/ws?subprotocol=lc.json.3", connection.requestTarget);
      assertFalse(connection.headers.containsKey("sec-websocket-protocol"));
      assertEquals(Optional.empty(), client.acceptedSubprotocol());
      assertEquals(OpType.opened, client.call(Commands.sessionOpen("app", "Tom"), WAIT).getOp());
    }
  }

  @Test
  void fragmented_messages_are_reassembled_and_undecodable_ones_reported() throws Exception {
    try (var server = new MiniWebSocketServer(null, (connection, frame) -> {});
        var client = ImClient.connect(server.uri("/"), Subprotocol.JSON_1, OfferMode.NONE, WAIT)) {
      var connection = server.connections.poll(5, TimeUnit.SECONDS);
      assertFalse(connection.headers.containsKey("sec-websocket-protocol"));
      connection.sendFragmented(
          "{\"cmd\":\"direct\",\"peerId\":\"Jerry\",\"msg\":\""
              + "x".repeat(1000)
              + "\",\"cid\":\"c\"}",
          4);
      GenericCommand push = client.nextPush(WAIT);
      assertEquals("x".repeat(1000), push.getDirectMessage().getMsg());

      connection.send(new Frame.Text("not json"));
      assertThrows(IllegalStateException.class, () -> client.nextPush(WAIT));
    }
  }

  @Test
  void ping_is_answered_and_server_pings_are_ponged() throws Exception {
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", (connection, frame) -> {});
        var client =
            ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      server.connections.poll(5, TimeUnit.SECONDS);
      assertTrue(client.ping(WAIT));
      assertEquals(1, client.pongsReceived());
    }
  }

  @Test
  void server_close_is_reported_and_fails_pending_requests() throws Exception {
    MiniWebSocketServer.Handler silentUntilText =
        (connection, frame) -> {
          if (frame instanceof Frame.Text) {
            connection.close(4114, "UNPARSEABLE_RAW_MESSAGE");
          }
        };
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", silentUntilText);
        var client =
            ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      var connection = server.connections.poll(5, TimeUnit.SECONDS);
      CompletableFuture<GenericCommand> pending =
          client.request(
              GenericCommand.newBuilder().setCmd(CommandType.direct)); // the server never answers
      client.sendFrame(new Frame.Text("a text frame on a binary subprotocol"));

      CloseStatus status = client.awaitClose(WAIT);
      assertEquals(new CloseStatus(4114, "UNPARSEABLE_RAW_MESSAGE"), status);
      assertFalse(client.isOpen());
      ExecutionException failure =
          assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, failure.getCause());
      assertEquals(
          Integer.valueOf(4114),
          connection.closeCodes.poll(5, TimeUnit.SECONDS),
          "client echoed the close");
    }
  }

  @Test
  void abnormal_end_is_1006() throws Exception {
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", (connection, frame) -> {});
        var client =
            ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      server.connections.poll(5, TimeUnit.SECONDS).drop();
      CloseStatus status = client.awaitClose(WAIT);
      assertTrue(status.abnormal(), status.toString());
    }
  }

  @Test
  void abort_fails_pending_requests_at_once() throws Exception {
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", (connection, frame) -> {});
        var client =
            ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      server.connections.poll(5, TimeUnit.SECONDS);
      CompletableFuture<GenericCommand> pending =
          client.request(
              GenericCommand.newBuilder().setCmd(CommandType.direct)); // the server never answers
      client.abort();
      ExecutionException failure =
          assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, failure.getCause());
      assertFalse(client.isOpen());
      assertTrue(client.awaitClose(WAIT).abnormal());
    }
  }

  @Test
  void client_close_sends_a_normal_close() throws Exception {
    try (var server = new MiniWebSocketServer("lc.protobuf2.3", (connection, frame) -> {})) {
      var client =
          ImClient.connect(server.uri("/"), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
      var connection = server.connections.poll(5, TimeUnit.SECONDS);
      client.close();
      assertEquals(Integer.valueOf(1000), connection.closeCodes.poll(5, TimeUnit.SECONDS));
      assertFalse(client.isOpen());
    }
  }

  @Test
  void query_parameter_is_appended_with_the_right_separator() {
    assertEquals(
        URI.create("ws://h/?subprotocol=lc.json.3"),
        ImClient.withQueryParameter(URI.create("ws://h/"), "subprotocol", "lc.json.3"));
    assertEquals(
        URI.create("ws://h/p?a=b&subprotocol=lc.json.3"),
        ImClient.withQueryParameter(URI.create("ws://h/p?a=b"), "subprotocol", "lc.json.3"));
  }
}
