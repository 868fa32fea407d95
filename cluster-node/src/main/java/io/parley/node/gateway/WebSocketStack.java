package io.parley.node.gateway;

import java.nio.charset.StandardCharsets;
import java.util.function.LongConsumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.scaladsl.model.ws.Message;
import org.apache.pekko.http.scaladsl.settings.ServerSettings$;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko HTTP's WebSocket stack plus the two things its public API lacks and the LeanCloud protocol needs:
 *
 * <ul>
 *   <li><b>Close codes.</b> The SDKs act on 4xxx close codes (4100 is fatal for JS, 4107/4108/4109/4114 are
 *       reported to hooks), but Pekko's message API always closes with 1000 or 1011. The session sends a
 *       {@link #closeMessage close marker} as its last message; below the stack it is swapped for a real
 *       close frame with that code, and the stack's own later close frame is dropped.
 *   <li><b>Activity.</b> The Java SDK's heartbeats are WebSocket pings, which the stack answers without
 *       passing them up; every inbound frame is reported so the read-idle timeout counts pings too.
 * </ul>
 *
 * <p>This uses Pekko HTTP internals ({@code handleFrames}, {@code WebSocket.stack}), pinned by the build to
 * pekko-http 1.3.0; {@code WebSocketStackTest} exercises it end to end.
 */
public final class WebSocketStack {

  private static final String CLOSE_PREFIX = "\u0000parley-close\u0000";
  private static final ByteString CLOSE_PREFIX_BYTES = ByteString.fromString(CLOSE_PREFIX, StandardCharsets.UTF_8);
  private static final byte TEXT_OPCODE = 0x1;
  private static final FiniteDuration CLOSE_TIMEOUT = FiniteDuration.create(3, "s");

  private WebSocketStack() {}

  /** The last message a handler emits to close the connection with a LeanCloud close code. */
  public static org.apache.pekko.http.javadsl.model.ws.Message closeMessage(int code, String reason) {
    return org.apache.pekko.http.javadsl.model.ws.TextMessage.create(CLOSE_PREFIX + code + "\u0000" + reason);
  }

  /**
   * Answers the upgrade with {@code handler} for the messages, echoing {@code subprotocol} if non-null, and
   * calling {@code onInboundFrame} with the current nano time for every inbound frame (data or control).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static HttpResponse handle(
      ActorSystem system,
      WebSocketUpgrade upgrade,
      Flow<org.apache.pekko.http.javadsl.model.ws.Message, org.apache.pekko.http.javadsl.model.ws.Message, ?> handler,
      String subprotocol,
      LongConsumer onInboundFrame) {
    WebSocketSettings settings =
        ServerSettings$.MODULE$.apply(system.settings().config()).websocketSettings();
    LoggingAdapter log = system.log();
    org.apache.pekko.stream.scaladsl.BidiFlow<FrameEvent, Message, Message, FrameEvent, NotUsed> stack =
        WebSocket$.MODULE$.stack(true, settings, CLOSE_TIMEOUT, log);

    Flow<FrameEvent, FrameEvent, NotUsed> inbound =
        Flow.<FrameEvent>create()
            .map(
                frame -> {
                  onInboundFrame.accept(System.nanoTime());
                  return frame;
                });
    Flow<FrameEvent, FrameEvent, NotUsed> outbound = Flow.fromGraph(new CloseCodeStage());
    BidiFlow<FrameEvent, FrameEvent, FrameEvent, FrameEvent, NotUsed> edge =
        BidiFlow.fromFlows(inbound, outbound);

    Flow<Message, Message, ?> scalaHandler =
        Flow.<Message>create()
            .map(org.apache.pekko.http.javadsl.model.ws.Message::adapt)
            .via(handler)
            .map(org.apache.pekko.http.javadsl.model.ws.Message::asScala);

    org.apache.pekko.stream.scaladsl.Flow frames =
        ((org.apache.pekko.stream.scaladsl.BidiFlow) edge.asScala().atop(stack)).join(scalaHandler.asScala());
    return ((UpgradeToWebSocketLowLevel) upgrade).handleFrames(frames, Option.apply(subprotocol));
  }

  /** Replaces the close marker by a close frame with its code, and drops every frame after it. */
  private static final class CloseCodeStage
      extends org.apache.pekko.stream.stage.GraphStage<org.apache.pekko.stream.FlowShape<FrameEvent, FrameEvent>> {
    private final org.apache.pekko.stream.Inlet<FrameEvent> in = org.apache.pekko.stream.Inlet.create("close.in");
    private final org.apache.pekko.stream.Outlet<FrameEvent> out = org.apache.pekko.stream.Outlet.create("close.out");
    private final org.apache.pekko.stream.FlowShape<FrameEvent, FrameEvent> shape =
        org.apache.pekko.stream.FlowShape.of(in, out);

    @Override
    public org.apache.pekko.stream.FlowShape<FrameEvent, FrameEvent> shape() {
      return shape;
    }

    @Override
    public org.apache.pekko.stream.stage.GraphStageLogic createLogic(
        org.apache.pekko.stream.Attributes attributes) {
      return new org.apache.pekko.stream.stage.GraphStageLogic(shape) {
        private boolean closed;

        {
          setHandler(
              in,
              new org.apache.pekko.stream.stage.AbstractInHandler() {
                @Override
                public void onPush() {
                  FrameEvent event = grab(in);
                  if (closed) {
                    pull(in);
                  } else if (isCloseMarker(event)) {
                    closed = true;
                    push(out, toCloseFrame((FrameStart) event));
                  } else {
                    push(out, event);
                  }
                }
              });
          setHandler(
              out,
              new org.apache.pekko.stream.stage.AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }
              });
        }
      };
    }

    private static boolean isCloseMarker(FrameEvent event) {
      return event instanceof FrameStart start
          && start.header().opcode().code() == TEXT_OPCODE
          && start.data().take(CLOSE_PREFIX_BYTES.length()).equals(CLOSE_PREFIX_BYTES);
    }

    private static FrameStart toCloseFrame(FrameStart marker) {
      String body = marker.data().drop(CLOSE_PREFIX_BYTES.length()).utf8String();
      int separator = body.indexOf('\u0000');
      int code = Integer.parseInt(body.substring(0, separator));
      String reason = body.substring(separator + 1);
      return FrameEvent$.MODULE$.closeFrame(code, reason, Option.empty());
    }
  }
}
