package io.parley.node.gateway;

import io.parley.node.metrics.NodeMetrics;
import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Frame;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import scala.runtime.BoxedUnit;

/**
 * One TCP connection of the lean edge, as one stage: it reads the HTTP/1.1 request head (under a
 * size cap and a deadline), and then either
 *
 * <ul>
 *   <li>for a WebSocket upgrade on the IM path, answers {@code 101} itself (subprotocol rules of
 *       {@link WebSocketSessions#handshake}) and runs RFC 6455 framing in this same stage:
 *       unmasking, pings answered and counted as activity, the close handshake (bounded by {@link
 *       #CLOSE_TIMEOUT}), fragments collected under the message cap and the assembly deadline; the
 *       session actor is fed by this stage itself (through its stage actor: one message at a time,
 *       the next when the session acked), with no second stage or interpreter per connection (what
 *       {@link ConnectionFlow} does for the Pekko HTTP edge);
 *   <li>for anything else (router, REST, health, a malformed upgrade) hands the connection, with
 *       the bytes already read, to Pekko HTTP's server layer, so those answers do not change.
 * </ul>
 *
 * <p>Inbound messages have the same semantics as {@link MessageLayer} (one value per message, the
 * next read only when the session took the previous one, {@link SessionActor.TooLong} and {@link
 * SessionActor.Incomplete}); writes towards the socket are bounded the same way: the session's next
 * frame is written only when the socket took the previous one, at most {@link
 * WebSocketSessions#outboundBuffer} frames wait (a client that stops reading is closed with 1008,
 * as {@link ConnectionFlow} does), and a client that keeps sending control frames without reading
 * is no longer read.
 */
final class LeanConnection extends GraphStage<FlowShape<ByteString, ByteString>> {

  /** How long a close handshake waits for the peer's close frame before the socket is closed. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

  /** Frames queued towards the socket before the client's input is no longer read. */
  private static final int MAX_QUEUED_WRITES = 16;

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(LeanConnection.class);

  private static final String HEAD_TIMER = "head";
  private static final String CLOSE_TIMER = "close";
  private static final String ASSEMBLY_TIMER = "assembly";

  /** What a connection needs from the node; one per listener. */
  record Context(
      WebSocketSessions sessions,
      java.util.function.Function<java.net.InetSocketAddress, Flow<ByteString, ByteString, ?>> http,
      int maxRequestHead,
      Duration requestHeadTimeout,
      int maxMessageSize,
      Duration assemblyTimeout) {}

  private final Inlet<ByteString> in = Inlet.create("LeanConnection.in");
  private final Outlet<ByteString> out = Outlet.create("LeanConnection.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final Context context;
  private final java.net.InetSocketAddress remote;
  private final Runnable onStop;

  LeanConnection(Context context, java.net.InetSocketAddress remote, Runnable onStop) {
    this.context = context;
    this.remote = remote;
    this.onStop = onStop;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public TimerGraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  private final class Logic extends TimerGraphStageLogic {

    /** Bytes read and not consumed yet. */
    private ByteString buffer = ByteString.emptyByteString();

    private final ArrayDeque<ByteString> writes = new ArrayDeque<>(4);

    /** Close the socket once every queued write went out. */
    private boolean finishing;

    private boolean headRead;

    // The WebSocket, once accepted: its session actor, and the stage actor it talks to.
    private ActorRef<SessionActor.Command> session;
    private ActorRef<SessionActor.Ack> acks;

    /** The session took the last message (acked): it may get the next. */
    private boolean sessionTakes;

    /** The session was told the stream ended: it gets no more messages. */
    private boolean sessionInputClosed;

    /** The session actor stopped. */
    private boolean sessionGone;

    /** The session's frames not yet handed to the socket, oldest first (bounded). */
    private final ArrayDeque<Outbound> fromSession = new ArrayDeque<>(2);

    private AtomicLong lastInbound;

    /** A message read and not yet taken by the session (it takes one at a time). */
    private SessionActor.Inbound ready;

    /** The fragmented message being collected: null between messages. */
    private ByteStringBuilder fragments;

    private int fragmentsOpcode;
    private long seen;

    /** The current message is over the cap (or timed out): its parts are dropped. */
    private boolean discarding;

    private boolean timedOut;

    /** Payload bytes of the current frame still to drop, and whether it ends its message. */
    private long skip;

    private boolean skipping;
    private boolean skipEndsMessage;
    private boolean closeSent;
    private boolean closeReceived;
    private boolean reading;

    Logic() {
      super(shape);
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              buffer = buffer.concat(grab(in));
              if (headRead) {
                readFrames();
              } else {
                readHead();
              }
            }

            @Override
            public void onUpstreamFinish() {
              completeStage();
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              flush();
            }
          });
    }

    @Override
    public void preStart() {
      scheduleOnce(HEAD_TIMER, context.requestHeadTimeout());
      pull(in);
    }

    @Override
    public void postStop() {
      if (session != null) {
        context.sessions().ended(session);
        if (!sessionGone && !sessionInputClosed) {
          // The connection was torn down under us: the session ends too.
          session.tell(SessionActor.StreamCompleted.INSTANCE);
        }
      }
      onStop.run();
    }

    // --- the request head

    private void readHead() {
      int end = RequestHead.end(buffer);
      if (end < 0 || end > context.maxRequestHead()) {
        if (buffer.size() > context.maxRequestHead()) {
          refuse(431, 431, "the request head exceeds " + context.maxRequestHead() + " bytes");
        } else {
          pull(in);
        }
        return;
      }
      headRead = true;
      cancelTimer(HEAD_TIMER);
      RequestHead head = RequestHead.parse(buffer.take(end)).orElse(null);
      if (head != null
          && head.webSocketUpgrade()
          && !head.path().equals(GatewayRoutes.ROUTER_PATH)) {
        buffer = buffer.drop(end);
        accept(head);
      } else {
        handOff();
      }
    }

    /** An HTTP error in the REST API's shape, then the socket closes. */
    private void refuse(int status, int code, String error) {
      headRead = true;
      cancelTimer(HEAD_TIMER);
      byte[] body = GatewayRoutes.jsonBody(code, error).getBytes(StandardCharsets.UTF_8);
      String head =
          "HTTP/1.1 "
              + status
              + " "
              + reason(status)
              + "\r\nContent-Type: application/json\r\nAccess-Control-Allow-Origin: *"
              + "\r\nContent-Length: "
              + body.length
              + "\r\nConnection: close\r\n\r\n";
      finishing = true;
      write(
          ByteString.fromString(head, StandardCharsets.ISO_8859_1)
              .concat(ByteString.fromArrayUnsafe(body)));
    }

    /** Everything but a WebSocket upgrade: Pekko HTTP serves the rest of the connection. */
    private void handOff() {
      SubSourceOutlet<ByteString> toHttp = new SubSourceOutlet<>("LeanConnection.toHttp");
      SubSinkInlet<ByteString> fromHttp = new SubSinkInlet<>("LeanConnection.fromHttp");
      toHttp.setHandler(
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!buffer.isEmpty()) {
                toHttp.push(buffer);
                buffer = ByteString.emptyByteString();
              } else if (isClosed(in)) {
                toHttp.complete();
              } else if (!hasBeenPulled(in)) {
                pull(in);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              cancel(in, cause);
            }
          });
      fromHttp.setHandler(
          new AbstractInHandler() {
            @Override
            public void onPush() {
              push(out, fromHttp.grab());
            }

            @Override
            public void onUpstreamFinish() {
              completeStage();
            }

            @Override
            public void onUpstreamFailure(Throwable cause) {
              failStage(cause);
            }
          });
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              toHttp.push(grab(in));
            }

            @Override
            public void onUpstreamFinish() {
              if (buffer.isEmpty()) {
                toHttp.complete();
              }
            }

            @Override
            public void onUpstreamFailure(Throwable cause) {
              toHttp.fail(cause);
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              fromHttp.pull();
            }
          });
      Source.fromGraph(toHttp.source())
          .via(context.http().apply(remote))
          .runWith(fromHttp.sink(), subFusingMaterializer());
      if (isAvailable(out)) {
        fromHttp.pull();
      }
    }

    // --- the WebSocket

    private void accept(RequestHead head) {
      WebSocketSessions.Handshake handshake =
          context
              .sessions()
              .handshake(
                  head.values("Sec-WebSocket-Protocol"),
                  GatewayRoutes.queryParameter(head.rawQuery(), "subprotocol"));
      if (handshake instanceof WebSocketSessions.Handshake.Refused refused) {
        refuse(refused.status(), refused.code(), refused.error());
        return;
      }
      WebSocketSessions.Handshake.Accepted accepted =
          (WebSocketSessions.Handshake.Accepted) handshake;
      String key = head.header("Sec-WebSocket-Key").orElseThrow();
      write(
          ByteString.fromString(
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade"
                  + "\r\nSec-WebSocket-Accept: "
                  + WebSocketFrames.accept(key)
                  + (accepted.echo() == null
                      ? ""
                      : "\r\nSec-WebSocket-Protocol: " + accepted.echo())
                  + "\r\n\r\n",
              StandardCharsets.ISO_8859_1));
      lastInbound = new AtomicLong(System.nanoTime());
      String address =
          remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
      StageActor stageActor =
          getStageActor(
              message -> {
                onSessionMessage(message._2());
                return BoxedUnit.UNIT;
              });
      ActorRef<Outbound> outbound = Adapter.toTyped(stageActor.ref());
      acks = Adapter.toTyped(stageActor.ref());
      session = context.sessions().start(accepted.subprotocol(), address, lastInbound, outbound);
      stageActor.watch(Adapter.toClassic(session));
      sessionTakes = true;
      readFrames();
    }

    /** From the session actor: an ack, a frame or close for the socket, or its end. */
    private void onSessionMessage(Object message) {
      if (message instanceof SessionActor.Ack) {
        sessionTakes = true;
        readFrames();
      } else if (message instanceof Outbound outbound) {
        if (closeSent) {
          return;
        }
        if (fromSession.size() >= context.sessions().outboundBuffer()) {
          LOG.warn(
              "Dropping connection from {}: it stopped reading with {} frames queued",
              remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress(),
              fromSession.size());
          fromSession.clear();
          NodeMetrics.get(Adapter.toTyped(materializer().system()))
              .refused("close", ConnectionFlow.SLOW_CONSUMER_CLOSE);
          fromSession.add(new Outbound.Close(ConnectionFlow.SLOW_CONSUMER_CLOSE, "SLOW_CONSUMER"));
        } else {
          fromSession.add(outbound);
        }
        flush();
      } else if (message instanceof Terminated) {
        sessionGone = true;
        sessionInputClosed = true;
        flush();
      }
    }

    /** Hands one message to the session (which acks it when it wants the next). */
    private void toSession(SessionActor.Inbound inbound) {
      sessionTakes = false;
      session.tell(new SessionActor.FrameReceived(acks, inbound));
    }

    private void onOutbound(Outbound outbound) {
      if (closeSent) {
        return;
      }
      if (outbound instanceof Outbound.Send send) {
        write(render(send.frame()));
      } else if (outbound instanceof Outbound.SendAll all) {
        // One write for the batch: the socket takes it in one pull.
        org.apache.pekko.util.ByteStringBuilder bytes = ByteString.createBuilder();
        for (Frame frame : all.frames()) {
          bytes.append(render(frame));
        }
        write(bytes.result());
      } else if (outbound instanceof Outbound.Close close) {
        sendClose(close.code(), close.reason());
      }
    }

    private ByteString render(Frame frame) {
      return frame instanceof Frame.Binary binary
          ? WebSocketFrames.frame(WebSocketFrames.BINARY, binary.bytes())
          : WebSocketFrames.frame(
              WebSocketFrames.TEXT, ((Frame.Text) frame).text().getBytes(StandardCharsets.UTF_8));
    }

    /** Sends our close frame and waits, bounded, for the peer's (at once if it came already). */
    private void sendClose(int code, String reason) {
      if (closeSent) {
        return;
      }
      closeSent = true;
      fromSession.clear();
      if (!sessionInputClosed) {
        sessionInputClosed = true;
        session.tell(SessionActor.StreamCompleted.INSTANCE);
      }
      if (closeReceived) {
        finishing = true;
      } else {
        scheduleOnce(CLOSE_TIMER, CLOSE_TIMEOUT);
      }
      write(WebSocketFrames.close(code, reason));
      readFrames();
    }

    private void write(ByteString bytes) {
      writes.add(bytes);
      flush();
    }

    private void flush() {
      if (isAvailable(out) && !writes.isEmpty()) {
        push(out, writes.poll());
      }
      if (!writes.isEmpty()) {
        return;
      }
      if (finishing) {
        completeStage();
      } else if (session != null) {
        // The session's next frame only once the socket took the previous one.
        if (!closeSent && !fromSession.isEmpty()) {
          onOutbound(fromSession.poll());
          return;
        }
        if (sessionGone && !closeSent) {
          // Everything the session sent is written: the socket closes normally.
          sendClose(WebSocketFrames.NORMAL_CLOSURE, "");
          return;
        }
        readFrames();
      }
    }

    /** Reads as many frames as the session and the socket let it; pulls when it needs bytes. */
    private void readFrames() {
      if (reading || session == null || finishing) {
        return;
      }
      reading = true;
      Step step;
      try {
        do {
          if (ready != null && (sessionInputClosed || sessionTakes)) {
            if (!sessionInputClosed) {
              toSession(ready);
            }
            ready = null;
          }
          step = readFrame();
        } while (step == Step.PROGRESS && !finishing);
      } finally {
        reading = false;
      }
      if (step == Step.NEED_BYTES
          && !finishing
          && writes.size() < MAX_QUEUED_WRITES
          && !hasBeenPulled(in)
          && !isClosed(in)) {
        pull(in);
      }
    }

    /** Consumes at most one frame, or the part of a dropped one that has arrived. */
    private Step readFrame() {
      if (ready != null || closeReceived) {
        return Step.WAIT;
      }
      if (skipping) {
        long dropped = Math.min(skip, buffer.size());
        buffer = buffer.drop((int) dropped);
        skip -= dropped;
        if (skip > 0) {
          return Step.NEED_BYTES;
        }
        skipping = false;
        if (skipEndsMessage) {
          endMessage(null);
        }
        return Step.PROGRESS;
      }
      WebSocketFrames.Header header = WebSocketFrames.header(buffer);
      if (header == null) {
        return Step.NEED_BYTES;
      }
      if (header.rsv() != 0 || !header.masked() || !header.knownOpcode()) {
        failConnection(WebSocketFrames.PROTOCOL_ERROR, "malformed frame");
        return Step.WAIT;
      }
      if (header.control()) {
        return controlFrame(header);
      }
      boolean continuation = header.opcode() == WebSocketFrames.CONTINUATION;
      boolean inMessage = fragments != null || discarding;
      if (continuation != inMessage) {
        failConnection(WebSocketFrames.PROTOCOL_ERROR, "unexpected continuation");
        return Step.WAIT;
      }
      lastInbound.set(System.nanoTime());
      // Counted once the frame is consumed: its header is read again while its payload arrives.
      long total = Math.min(Long.MAX_VALUE / 2, (inMessage ? seen : 0) + header.length());
      if (closeSent || discarding || total > context.maxMessageSize()) {
        // Read and dropped: over the cap (reported once complete), timed out, or closing.
        if (!inMessage) {
          timedOut = false;
          if (!header.fin()) {
            scheduleOnce(ASSEMBLY_TIMER, context.assemblyTimeout());
          }
        }
        seen = total;
        discarding = true;
        fragments = null;
        buffer = buffer.drop(header.headerLength());
        skip = header.length();
        skipping = true;
        skipEndsMessage = header.fin();
        return readFrame();
      }
      if (buffer.size() < header.headerLength() + header.length()) {
        return Step.NEED_BYTES;
      }
      seen = total;
      if (!inMessage) {
        timedOut = false;
        fragmentsOpcode = header.opcode();
      }
      byte[] payload = WebSocketFrames.payload(buffer, header);
      buffer = buffer.drop(header.headerLength() + (int) header.length());
      if (header.fin() && fragments == null) {
        ready = message(fragmentsOpcode, payload);
        return Step.PROGRESS;
      }
      if (fragments == null) {
        fragments = new ByteStringBuilder();
        scheduleOnce(ASSEMBLY_TIMER, context.assemblyTimeout());
      }
      fragments.putBytes(payload);
      if (header.fin()) {
        byte[] message = fragments.result().toArray();
        fragments = null;
        endMessage(message);
      }
      return Step.PROGRESS;
    }

    /** A message's last frame: its value for the session (none if it timed out or is closing). */
    private void endMessage(byte[] message) {
      cancelTimer(ASSEMBLY_TIMER);
      boolean report = !timedOut && !closeSent;
      discarding = false;
      if (!report) {
        return;
      }
      ready =
          message == null
              ? new SessionActor.TooLong((int) Math.min(Integer.MAX_VALUE, seen))
              : message(fragmentsOpcode, message);
    }

    private SessionActor.Inbound message(int opcode, byte[] payload) {
      if (opcode == WebSocketFrames.BINARY) {
        return MessageLayer.checked(new Frame.Binary(payload), context.maxMessageSize());
      }
      try {
        return MessageLayer.checked(
            new Frame.Text(WebSocketFrames.utf8(payload)), context.maxMessageSize());
      } catch (CharacterCodingException e) {
        failConnection(WebSocketFrames.INVALID_PAYLOAD, "invalid UTF-8");
        return null;
      }
    }

    private Step controlFrame(WebSocketFrames.Header header) {
      if (!header.fin() || header.length() > WebSocketFrames.MAX_CONTROL_PAYLOAD) {
        failConnection(WebSocketFrames.PROTOCOL_ERROR, "malformed control frame");
        return Step.WAIT;
      }
      if (buffer.size() < header.headerLength() + header.length()) {
        return Step.NEED_BYTES;
      }
      byte[] payload = WebSocketFrames.payload(buffer, header);
      buffer = buffer.drop(header.headerLength() + (int) header.length());
      lastInbound.set(System.nanoTime());
      switch (header.opcode()) {
        case WebSocketFrames.PING -> {
          if (!closeSent) {
            write(WebSocketFrames.frame(WebSocketFrames.PONG, payload));
          }
        }
        case WebSocketFrames.CLOSE -> peerClosed(payload);
        default -> {
          // A pong: activity only.
        }
      }
      return Step.PROGRESS;
    }

    /** The peer closed: the session ends, and our close frame answers theirs. */
    private void peerClosed(byte[] payload) {
      closeReceived = true;
      if (closeSent) {
        cancelTimer(CLOSE_TIMER);
        finishing = true;
        flush();
        return;
      }
      int code = WebSocketFrames.closeCode(payload);
      sendClose(code < 0 ? WebSocketFrames.NORMAL_CLOSURE : code, "");
    }

    /** A protocol error: the session ends, and the socket closes with {@code code}. */
    private void failConnection(int code, String reason) {
      buffer = ByteString.emptyByteString();
      closeReceived = true; // nothing more is read
      if (closeSent) {
        finishing = true;
        flush();
      } else {
        sendClose(code, reason);
      }
    }

    @Override
    public void onTimer(Object key) {
      if (HEAD_TIMER.equals(key) || CLOSE_TIMER.equals(key)) {
        completeStage();
      } else if (ASSEMBLY_TIMER.equals(key) && (fragments != null || discarding)) {
        // Reported now (the session closes with 4114); the rest of the message is read and dropped.
        fragments = null;
        discarding = true;
        timedOut = true;
        if (ready == null && sessionTakes && !sessionInputClosed) {
          toSession(
              new SessionActor.Incomplete(
                  "message not complete within " + context.assemblyTimeout()));
        }
      }
    }
  }

  private enum Step {
    /** Consumed something: go on. */
    PROGRESS,
    /** The next frame has not fully arrived. */
    NEED_BYTES,
    /** The session has not taken the last message, or nothing more is read. */
    WAIT
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }
}
