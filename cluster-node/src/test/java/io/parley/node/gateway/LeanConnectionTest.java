package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The lean edge's own HTTP head reading and RFC 6455 framing, byte for byte, with hand-made client
 * frames. The session behind it is a plain echo (the real session and the official SDKs run over
 * the same stage in {@code GatewayIT}, {@code ConnectionLimitsIT} and the SDK tests).
 */
class LeanConnectionTest {

  /**
   * Shared with {@code LeanConnectionPropertyTest} (either may run first); it ends with the test
   * JVM (Pekko's shutdown hook).
   */
  static final ActorTestKit TEST_KIT = ActorTestKit.create();

  static final int MAX_MESSAGE = 64;

  /** RFC 6455 §1.3's example key and its answer. */
  static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

  static final String UPGRADE =
      "GET /?appId=x HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: "
          + KEY
          + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: lc.json.3\r\n\r\n";

  /** Echoes every message; "close" makes it close with 4107; reports what the edge told it. */
  static final WebSocketSessions ECHO =
      new WebSocketSessions() {
        @Override
        public Handshake handshake(List<String> offered, Optional<String> queried) {
          return offered.contains("refused")
              ? new Handshake.Refused(400, 400, "unsupported subprotocol " + offered)
              : new Handshake.Accepted(
                  Subprotocol.LEGACY, offered.isEmpty() ? null : offered.get(0));
        }

        @Override
        public Flow<SessionActor.Inbound, Outbound, NotUsed> session(
            Subprotocol subprotocol, String remoteAddress, AtomicLong lastInbound) {
          return Flow.<SessionActor.Inbound>create().map(LeanConnectionTest::echo);
        }

        @Override
        public ActorRef<SessionActor.Command> start(
            Subprotocol subprotocol,
            String remoteAddress,
            AtomicLong lastInbound,
            ActorRef<Outbound> out) {
          return TEST_KIT.spawn(echoSession(out));
        }

        @Override
        public void ended(ActorRef<SessionActor.Command> session) {}

        @Override
        public int outboundBuffer() {
          return 16;
        }
      };

  /** A session actor that answers each message with {@link #echo} and stops at the stream's end. */
  static Behavior<SessionActor.Command> echoSession(ActorRef<Outbound> out) {
    return Behaviors.receive(SessionActor.Command.class)
        .onMessage(
            SessionActor.FrameReceived.class,
            received -> {
              out.tell(echo(received.inbound()));
              received.ackTo().tell(SessionActor.Ack.INSTANCE);
              return Behaviors.same();
            })
        .onMessageEquals(SessionActor.StreamCompleted.INSTANCE, Behaviors::stopped)
        .onMessage(SessionActor.StreamFailed.class, failed -> Behaviors.stopped())
        .build();
  }

  /** Stands in for Pekko HTTP: answers every chunk it gets with that chunk, marked. */
  static Flow<ByteString, ByteString, NotUsed> markedEcho(int chunks) {
    return Flow.<ByteString>create()
        .map(b -> ByteString.fromString("HTTP:").concat(b))
        .take(chunks);
  }

  static Outbound echo(SessionActor.Inbound inbound) {
    if (inbound instanceof SessionActor.TooLong tooLong) {
      return new Outbound.Send(new Frame.Text("too long:" + tooLong.size()));
    }
    if (inbound instanceof SessionActor.Incomplete) {
      return new Outbound.Send(new Frame.Text("incomplete"));
    }
    Frame frame = ((SessionActor.Data) inbound).frame();
    if (frame instanceof Frame.Text text) {
      return text.text().equals("close")
          ? new Outbound.Close(4107, "READ_TIMEOUT")
          : new Outbound.Send(new Frame.Text("echo:" + text.text()));
    }
    return new Outbound.Send(frame);
  }

  /** What the server wrote, once it closed the connection. */
  static ByteString serve(List<ByteString> chunks) throws Exception {
    return serve(chunks, null, markedEcho(1));
  }

  /** The client's close frame comes 300 ms after the rest, once the session answered. */
  static ByteString serveThenClose(int code, ByteString... chunks) throws Exception {
    return serve(List.of(chunks), close(code), markedEcho(1));
  }

  static ByteString serve(
      List<ByteString> chunks, ByteString later, Flow<ByteString, ByteString, ?> http)
      throws Exception {
    return serve(
        chunks,
        later == null
            ? Source.<ByteString>empty()
            : Source.single(later).initialDelay(Duration.ofMillis(300)),
        http,
        written -> {});
  }

  /**
   * As {@link #serve}, the client's {@code close} sent as soon as the server has written {@code
   * answers} text frames (the session answered every message), at most 5 s later.
   */
  static ByteString serveThenCloseAfter(List<ByteString> chunks, ByteString close, int answers)
      throws Exception {
    java.util.concurrent.CompletableFuture<ByteString> answered =
        new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<ByteString> written =
        new java.util.concurrent.atomic.AtomicReference<>(ByteString.emptyByteString());
    return serve(
        chunks,
        Source.completionStage(answered.completeOnTimeout(close, 5, TimeUnit.SECONDS)),
        markedEcho(1),
        bytes -> {
          if (textFrames(written.updateAndGet(all -> all.concat(bytes))) >= answers) {
            answered.complete(close);
          }
        });
  }

  /** The complete text frames in what the server has written so far. */
  private static int textFrames(ByteString written) {
    int end = RequestHead.end(written);
    ByteString rest = end < 0 ? ByteString.emptyByteString() : written.drop(end);
    int texts = 0;
    for (WebSocketFrames.Header header = WebSocketFrames.header(rest);
        header != null && rest.size() >= header.headerLength() + header.length();
        header = WebSocketFrames.header(rest)) {
      texts += header.opcode() == WebSocketFrames.TEXT ? 1 : 0;
      rest = rest.drop(header.headerLength() + (int) header.length());
    }
    return texts;
  }

  private static ByteString serve(
      List<ByteString> chunks,
      Source<ByteString, ?> later,
      Flow<ByteString, ByteString, ?> http,
      org.apache.pekko.japi.function.Procedure<ByteString> onWritten)
      throws Exception {
    AtomicInteger stopped = new AtomicInteger();
    LeanConnection.Context context =
        new LeanConnection.Context(
            ECHO, remote -> http, 1024, Duration.ofSeconds(5), MAX_MESSAGE, Duration.ofSeconds(5));
    ByteString written =
        Source.from(chunks)
            .concat(later)
            .concat(Source.maybe())
            .via(
                new LeanConnection(
                    context, new InetSocketAddress("127.0.0.1", 5000), stopped::incrementAndGet))
            .wireTap(onWritten)
            .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), TEST_KIT.system())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertEquals(1, stopped.get(), "the connection counts itself out once");
    return written;
  }

  /** A client frame: masked with a fixed key, as browsers and SDKs send them. */
  static ByteString clientFrame(boolean fin, int opcode, byte[] payload) {
    int mask = 0x37fa213d;
    int length = payload.length;
    int extra = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
    byte[] bytes = new byte[2 + extra + 4 + length];
    bytes[0] = (byte) ((fin ? 0x80 : 0) | opcode);
    int position = 2;
    if (length < 126) {
      bytes[1] = (byte) (0x80 | length);
    } else if (length <= 0xffff) {
      bytes[1] = (byte) (0x80 | 126);
      bytes[2] = (byte) (length >>> 8);
      bytes[3] = (byte) length;
      position = 4;
    } else {
      bytes[1] = (byte) (0x80 | 127);
      for (int i = 0; i < 8; i++) {
        bytes[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
      }
      position = 10;
    }
    for (int i = 0; i < 4; i++) {
      bytes[position + i] = (byte) (mask >>> (24 - 8 * i));
    }
    position += 4;
    for (int i = 0; i < length; i++) {
      bytes[position + i] = (byte) (payload[i] ^ (mask >>> (24 - 8 * (i & 3))));
    }
    return ByteString.fromArrayUnsafe(bytes);
  }

  static ByteString text(boolean fin, int opcode, String text) {
    return clientFrame(fin, opcode, text.getBytes(StandardCharsets.UTF_8));
  }

  static ByteString close(int code) {
    return clientFrame(true, WebSocketFrames.CLOSE, new byte[] {(byte) (code >>> 8), (byte) code});
  }

  static ByteString ascii(String text) {
    return ByteString.fromString(text, StandardCharsets.ISO_8859_1);
  }

  /** The server's answer: its HTTP head, then its frames as "opcode:payload" (close: "8:code"). */
  record Answer(String head, List<String> frames) {}

  static Answer parse(ByteString written) {
    int end = RequestHead.end(written);
    String head = written.take(end).decodeString(StandardCharsets.ISO_8859_1);
    ByteString rest =
        head.startsWith("HTTP/1.1 101 ") ? written.drop(end) : ByteString.emptyByteString();
    List<String> frames = new ArrayList<>();
    while (!rest.isEmpty()) {
      WebSocketFrames.Header header = WebSocketFrames.header(rest);
      assertTrue(header.fin() && !header.masked(), "server frames are final and unmasked");
      byte[] payload = WebSocketFrames.payload(rest, header);
      frames.add(
          header.opcode() == WebSocketFrames.CLOSE
              ? "8:" + WebSocketFrames.closeCode(payload)
              : header.opcode() + ":" + new String(payload, StandardCharsets.UTF_8));
      rest = rest.drop(header.headerLength() + payload.length);
    }
    return new Answer(head, frames);
  }

  @Test
  void the_upgrade_is_answered_with_101_the_accept_key_and_the_chosen_subprotocol()
      throws Exception {
    Answer answer = parse(serveThenClose(1000, ascii(UPGRADE)));
    assertTrue(answer.head().startsWith("HTTP/1.1 101 Switching Protocols\r\n"), answer.head());
    assertTrue(
        answer.head().contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assertTrue(answer.head().contains("\r\nSec-WebSocket-Protocol: lc.json.3\r\n"));
    assertEquals(List.of("8:1000"), answer.frames(), "the peer's close is answered with its code");
  }

  @Test
  void a_masked_frame_arriving_one_byte_at_a_time_is_one_message() throws Exception {
    ByteString all = ascii(UPGRADE).concat(text(true, WebSocketFrames.TEXT, "héllo"));
    List<ByteString> bytes = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      bytes.add(all.slice(i, i + 1));
    }
    assertEquals(
        List.of("1:echo:héllo", "8:1000"),
        parse(serve(bytes, close(1000), markedEcho(1))).frames());
  }

  @Test
  void fragments_are_assembled_and_a_ping_between_them_is_answered_first() throws Exception {
    Answer answer =
        parse(
            serveThenClose(
                1001,
                ascii(UPGRADE)
                    .concat(text(false, WebSocketFrames.TEXT, "hel"))
                    .concat(text(false, WebSocketFrames.CONTINUATION, "lo "))
                    .concat(text(true, WebSocketFrames.PING, "are you there"))
                    .concat(text(true, WebSocketFrames.CONTINUATION, "world"))
                    .concat(clientFrame(true, WebSocketFrames.BINARY, new byte[] {1, 2}))));
    assertEquals(
        List.of("10:are you there", "1:echo:hello world", "2:\u0001\u0002", "8:1001"),
        answer.frames());
  }

  @Test
  void the_sessions_close_code_is_sent_and_the_socket_closes_after_the_peers_close()
      throws Exception {
    Answer answer =
        parse(serveThenClose(1000, ascii(UPGRADE), text(true, WebSocketFrames.TEXT, "close")));
    // Our close carries the session's code; the peer's close (1000) only ends the handshake.
    assertEquals(List.of("8:4107"), answer.frames());
  }

  @Test
  void a_message_over_the_cap_is_reported_with_its_size_and_the_connection_serves_on()
      throws Exception {
    String big = "x".repeat(MAX_MESSAGE + 1);
    Answer answer =
        parse(
            serveThenClose(
                1000,
                ascii(UPGRADE),
                text(true, WebSocketFrames.TEXT, big),
                text(false, WebSocketFrames.TEXT, "y".repeat(40)),
                text(true, WebSocketFrames.CONTINUATION, "y".repeat(40)),
                text(true, WebSocketFrames.TEXT, "still here")));
    assertEquals(
        List.of("1:too long:65", "1:too long:80", "1:echo:still here", "8:1000"), answer.frames());
  }

  @Test
  void protocol_errors_close_with_1002_and_invalid_text_with_1007() throws Exception {
    ByteString unmasked = ByteString.fromArrayUnsafe(new byte[] {(byte) 0x81, 1, 'a'});
    assertEquals(List.of("8:1002"), parse(serve(List.of(ascii(UPGRADE), unmasked))).frames());
    ByteString continuation = text(true, WebSocketFrames.CONTINUATION, "a");
    assertEquals(List.of("8:1002"), parse(serve(List.of(ascii(UPGRADE), continuation))).frames());
    ByteString invalid = clientFrame(true, WebSocketFrames.TEXT, new byte[] {(byte) 0xc3, 0x28});
    assertEquals(List.of("8:1007"), parse(serve(List.of(ascii(UPGRADE), invalid))).frames());
  }

  @Test
  void a_refused_handshake_gets_the_json_error_and_the_socket_closes() throws Exception {
    String head = parse(serve(List.of(ascii(UPGRADE.replace("lc.json.3", "refused"))))).head();
    assertTrue(head.startsWith("HTTP/1.1 400 Bad Request\r\n"), head);
    assertTrue(head.contains("Connection: close"), head);
  }

  @Test
  void other_requests_reach_pekko_http_with_the_bytes_already_read() throws Exception {
    String request = "GET /v1/route?appId=x HTTP/1.1\r\nHost: a\r\n\r\n";
    ByteString written =
        serve(
            List.of(
                ascii(request.substring(0, 10)),
                ascii(request.substring(10) + "next"),
                ascii("more")),
            null,
            markedEcho(2));
    assertEquals("HTTP:" + request + "nextHTTP:more", written.utf8String());
    // The router's path is never upgraded here, even when the request asks for it.
    String routerUpgrade = UPGRADE.replace("GET /?appId=x", "GET /v1/route");
    assertEquals("HTTP:" + routerUpgrade, serve(List.of(ascii(routerUpgrade))).utf8String());
  }

  @Test
  void a_request_head_over_the_cap_gets_431() throws Exception {
    String head = parse(serve(List.of(ascii("GET / HTTP/1.1\r\nX: " + "a".repeat(2000))))).head();
    assertTrue(head.startsWith("HTTP/1.1 431 "), head);
  }
}
