package io.parley.node.gateway;

import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import java.time.Duration;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.scaladsl.settings.ServerSettings$;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * The WebSocket protocol under a session: Pekko HTTP's frame layers (masking, control frames, the
 * close handshake) with our own {@link MessageLayer} on top instead of Pekko's message API.
 *
 * <p>Why not the public API: it always closes with 1000 or 1011, while the SDKs act on LeanCloud's
 * 4xxx close codes (4100 is fatal for JS, 4107/4108/4109/4114 are reported to hooks); it hides the
 * pings the Java SDK heartbeats with, which must count for the read-idle timeout; and it
 * materializes a sub-stream for every inbound message, which was the hottest spot of the message
 * path. Here a strict frame is handled as a value and only a fragmented message is collected, under
 * the frame cap.
 *
 * <p>This uses Pekko HTTP internals ({@code handleFrames}, {@code
 * WebSocket.masking/frameHandling}), pinned by the build to pekko-http 1.3.0 and covered end to end
 * by {@code GatewayIT} and {@code ConnectionLimitsIT}.
 */
public final class WebSocketStack {

  private static final FiniteDuration CLOSE_TIMEOUT = FiniteDuration.create(3, "s");

  /** Pekko's frame layers: a blueprint built once per node, materialized per connection. */
  @SuppressWarnings("rawtypes")
  private final org.apache.pekko.stream.scaladsl.BidiFlow frames;

  private final int maxMessageSize;
  private final Duration assemblyTimeout;

  /**
   * Reads the WebSocket settings once: parsing them per connection cost more than the rest of a
   * login.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public WebSocketStack(ActorSystem system, int maxMessageSize, Duration assemblyTimeout) {
    WebSocketSettings settings =
        ServerSettings$.MODULE$.apply(system.settings().config()).websocketSettings();
    LoggingAdapter log = system.log();
    this.frames =
        ((org.apache.pekko.stream.scaladsl.BidiFlow)
                WebSocket$.MODULE$.masking(true, settings.randomFactory()))
            .atop(WebSocket$.MODULE$.frameHandling(true, CLOSE_TIMEOUT, log));
    this.maxMessageSize = maxMessageSize;
    this.assemblyTimeout = assemblyTimeout;
  }

  /**
   * Answers the upgrade with {@code session} as the handler of the connection's messages, echoing
   * {@code subprotocol} if non-null, and calling {@code onInboundFrame} with the current nano time
   * whenever the client sent something (data, or a ping).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public HttpResponse handle(
      WebSocketUpgrade upgrade,
      Flow<SessionActor.Inbound, Outbound, ?> session,
      String subprotocol,
      LongConsumer onInboundFrame) {
    org.apache.pekko.stream.scaladsl.BidiFlow messages =
        BidiFlow.fromGraph(new MessageLayer(maxMessageSize, assemblyTimeout, onInboundFrame))
            .asScala();
    org.apache.pekko.stream.scaladsl.Flow handler =
        ((org.apache.pekko.stream.scaladsl.BidiFlow) frames.atop(messages)).join(session.asScala());
    return ((UpgradeToWebSocketLowLevel) upgrade).handleFrames(handler, Option.apply(subprotocol));
  }
}
