package io.parley.node.gateway;

import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Frame;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.LongConsumer;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import scala.Option;

/**
 * Between Pekko HTTP's frame handling and a session: turns message parts into {@link
 * SessionActor.Inbound} values and {@link Outbound} into frames, in one stage, with no
 * materialization per message.
 *
 * <ul>
 *   <li>Inbound: a message in one frame (all the SDKs send) is one value; a fragmented one is
 *       collected up to {@code maxMessageSize} (the rest is read and dropped, then it is reported
 *       {@link SessionActor.TooLong}), and one not complete within {@code assemblyTimeout} is
 *       reported {@link SessionActor.Incomplete}.
 *   <li>Outbound: {@link Outbound.Send} becomes one final frame; {@link Outbound.Close} asks the
 *       frame handler to close with that code (it sends the close frame and waits, bounded, for the
 *       peer's).
 *   <li>Control traffic the frame handler produces (pongs, the close handshake) passes through to
 *       the socket; the queue of it is bounded, and a client that keeps sending control frames
 *       without reading is slowed down rather than buffered.
 * </ul>
 */
final class MessageLayer
    extends GraphStage<BidiShape<Object, SessionActor.Inbound, Outbound, Object>> {

  private static final Protocol.Opcode TEXT = Protocol.Opcode$.MODULE$.forCode((byte) 0x1);
  private static final Protocol.Opcode BINARY = Protocol.Opcode$.MODULE$.forCode((byte) 0x2);

  /** Control frames queued towards the socket before the client's input is no longer read. */
  private static final int MAX_QUEUED_CONTROL = 16;

  private static final String ASSEMBLY_TIMER = "assembly";
  private static final String CLOSE_TICK = "close-tick";
  private static final Duration CLOSE_TICK_INTERVAL = Duration.ofMillis(500);

  private final Inlet<Object> fromFrames = Inlet.create("MessageLayer.fromFrames");
  private final Outlet<SessionActor.Inbound> toSession = Outlet.create("MessageLayer.toSession");
  private final Inlet<Outbound> fromSession = Inlet.create("MessageLayer.fromSession");
  private final Outlet<Object> toFrames = Outlet.create("MessageLayer.toFrames");
  private final BidiShape<Object, SessionActor.Inbound, Outbound, Object> shape =
      BidiShape.of(fromFrames, toSession, fromSession, toFrames);
  private final int maxMessageSize;
  private final Duration assemblyTimeout;
  private final LongConsumer onActivity;

  /**
   * {@code onActivity} gets the nano time of everything the client sends (data, pings): the
   * read-idle clock.
   */
  MessageLayer(int maxMessageSize, Duration assemblyTimeout, LongConsumer onActivity) {
    this.maxMessageSize = maxMessageSize;
    this.assemblyTimeout = assemblyTimeout;
    this.onActivity = onActivity;
  }

  @Override
  public BidiShape<Object, SessionActor.Inbound, Outbound, Object> shape() {
    return shape;
  }

  @Override
  public TimerGraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private final ArrayDeque<Object> queued = new ArrayDeque<>();

      /** The message being collected: null between messages. */
      private StringBuilder text;

      private ByteStringBuilder binary;
      private long seen;

      /** The message timed out and was reported: its remaining parts are read and dropped. */
      private boolean discarding;

      private boolean closing;

      {
        setHandler(
            fromFrames,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                onActivity.accept(System.nanoTime());
                onFrameOutput(grab(fromFrames));
              }

              @Override
              public void onUpstreamFinish() {
                complete(toSession);
              }
            });
        setHandler(
            toSession,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                pullFrames();
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromFrames, cause);
              }
            });
        setHandler(
            fromSession,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                onOutbound(grab(fromSession));
              }

              @Override
              public void onUpstreamFinish() {
                offer(FrameHandler.UserHandlerCompleted$.MODULE$);
                startClosing();
              }

              @Override
              public void onUpstreamFailure(Throwable cause) {
                offer(new FrameHandler.UserHandlerErredOut(cause));
                startClosing();
              }
            });
        setHandler(
            toFrames,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                if (!queued.isEmpty()) {
                  push(toFrames, queued.poll());
                  pullFrames();
                } else if (!closing && !hasBeenPulled(fromSession) && !isClosed(fromSession)) {
                  pull(fromSession);
                }
              }
            });
      }

      private void pullFrames() {
        if (isAvailable(toSession)
            && queued.size() < MAX_QUEUED_CONTROL
            && !hasBeenPulled(fromFrames)
            && !isClosed(fromFrames)) {
          pull(fromFrames);
        }
      }

      /** Towards the socket: pushed now if it can take it, else queued behind what waits. */
      private void offer(Object element) {
        if (queued.isEmpty() && isAvailable(toFrames)) {
          push(toFrames, element);
        } else {
          queued.add(element);
        }
      }

      private void onFrameOutput(Object output) {
        if (output instanceof FrameHandler.TextMessagePart part) {
          onPart(part.data(), null, part.last());
        } else if (output instanceof FrameHandler.BinaryMessagePart part) {
          onPart(null, part.data(), part.last());
        } else if (output instanceof FrameHandler.PeerClosed
            || output instanceof FrameHandler.ActivelyCloseWithCode) {
          // The peer closed, or the frame handler is closing on a protocol error: the session ends,
          // and the
          // frame handler finishes the close handshake once the session's side has completed.
          offer(output);
          complete(toSession);
        } else if (output instanceof FrameHandler.BypassEvent) {
          offer(output);
          pullFrames();
        } else {
          pullFrames();
        }
      }

      private void onPart(String textPart, ByteString binaryPart, boolean last) {
        if (discarding) {
          discarding = !last;
          pullFrames();
          return;
        }
        if (text == null && binary == null) {
          if (last) {
            push(
                toSession,
                checked(
                    textPart != null
                        ? new Frame.Text(textPart)
                        : new Frame.Binary(binaryPart.toArray())));
            return;
          }
          seen = 0;
          if (textPart != null) {
            text = new StringBuilder();
          } else {
            binary = new ByteStringBuilder();
          }
          scheduleOnce(ASSEMBLY_TIMER, assemblyTimeout);
        }
        long size = textPart != null ? textPart.length() : binaryPart.size();
        seen += size;
        if (seen <= maxMessageSize) {
          if (textPart != null) {
            text.append(textPart);
          } else {
            binary.append(binaryPart);
          }
        }
        if (!last) {
          pullFrames();
          return;
        }
        cancelTimer(ASSEMBLY_TIMER);
        SessionActor.Inbound assembled =
            seen > maxMessageSize
                ? new SessionActor.TooLong((int) Math.min(Integer.MAX_VALUE, seen))
                : checked(
                    text != null
                        ? new Frame.Text(text.toString())
                        : new Frame.Binary(binary.result().toArray()));
        text = null;
        binary = null;
        push(toSession, assembled);
      }

      private SessionActor.Inbound checked(Frame frame) {
        return MessageLayer.checked(frame, maxMessageSize);
      }

      private void onOutbound(Outbound outbound) {
        if (outbound instanceof Outbound.Send send) {
          offer(render(send.frame()));
        } else if (outbound instanceof Outbound.SendAll all) {
          all.frames().forEach(frame -> offer(render(frame)));
        } else if (outbound instanceof Outbound.Close close) {
          offer(new FrameHandler.ActivelyCloseWithCode(Option.apply(close.code()), close.reason()));
          startClosing();
        }
      }

      /** The frame handler waits for the peer's close frame; its deadline is checked on ticks. */
      private void startClosing() {
        if (!closing) {
          closing = true;
          scheduleWithFixedDelay(CLOSE_TICK, CLOSE_TICK_INTERVAL, CLOSE_TICK_INTERVAL);
        }
      }

      @Override
      public void onTimer(Object key) {
        if (CLOSE_TICK.equals(key)) {
          if (queued.isEmpty() && isAvailable(toFrames)) {
            push(toFrames, WebSocket.Tick$.MODULE$);
          }
        } else if (ASSEMBLY_TIMER.equals(key) && (text != null || binary != null)) {
          // Reported now (the session closes with 4114); the rest of the message is read and
          // dropped.
          text = null;
          binary = null;
          discarding = true;
          if (isAvailable(toSession)) {
            push(
                toSession,
                new SessionActor.Incomplete("message not complete within " + assemblyTimeout));
          }
        }
      }
    };
  }

  /** A complete message for the session, or {@link SessionActor.TooLong} over the cap. */
  static SessionActor.Inbound checked(Frame frame, int maxMessageSize) {
    int size = frame.size();
    return size > maxMessageSize ? new SessionActor.TooLong(size) : new SessionActor.Data(frame);
  }

  private static FrameStart render(Frame frame) {
    if (frame instanceof Frame.Binary binary) {
      return FrameEvent$.MODULE$.fullFrame(
          BINARY,
          Option.empty(),
          ByteString.fromArrayUnsafe(binary.bytes()),
          true,
          false,
          false,
          false);
    }
    return FrameEvent$.MODULE$.fullFrame(
        TEXT,
        Option.empty(),
        ByteString.fromString(((Frame.Text) frame).text()),
        true,
        false,
        false,
        false);
  }
}
