package io.parley.node.gateway;

import io.parley.node.NodeSettings;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * Glue between one WebSocket and its {@link SessionActor}: frames are collected (streamed messages too,
 * under a size cap and a timeout) and fed to the actor with backpressure, so a slow session slows the
 * socket; the actor's output goes through a <b>bounded</b> buffer that fails the connection when the client
 * stops reading, instead of buffering without limit. Either side ending ends both.
 */
public final class ConnectionFlow {

  /** What a session sends towards its socket. */
  public sealed interface Out {}

  /** One frame to the client. */
  public record Send(Frame frame) implements Out {}

  /** Close the connection with a LeanCloud close code; nothing is sent after it. */
  public record Close(int code, String reason) implements Out {}

  private static final AtomicLong CONNECTIONS = new AtomicLong();

  /** RFC 6455 "policy violation": LeanCloud has no code for a client that stops reading. */
  static final int SLOW_CONSUMER_CLOSE = 1008;

  private ConnectionFlow() {}

  /** A new flow for one accepted connection; the session actor starts when the flow is materialized. */
  public static Flow<Message, Message, NotUsed> create(
      ActorSystem<?> system,
      NodeSettings.Session settings,
      Subprotocol subprotocol,
      AtomicLong lastInboundNanos,
      String remoteAddress,
      SessionActor.Dependencies dependencies,
      LocalSessions localSessions) {
    return Flow.fromMaterializer(
            (materializer, attributes) -> {
              Pair<ActorRef<Out>, Source<Out, NotUsed>> outbound =
                  ActorSource.<Out>actorRef(
                          out -> false, out -> Optional.empty(), settings.outboundBuffer(), OverflowStrategy.fail())
                      .preMaterialize(system);
              Behavior<SessionActor.Command> behavior =
                  SessionActor.create(
                      dependencies, subprotocol, outbound.first(), lastInboundNanos, remoteAddress);
              ActorRef<SessionActor.Command> session =
                  system.systemActorOf(
                      behavior, "session-" + CONNECTIONS.incrementAndGet(), Props.empty());
              localSessions.add(session);
              Sink<Message, NotUsed> toSession =
                  Flow.<Message>create()
                      .mapAsync(1, message -> collect(message, settings, system))
                      .to(
                          ActorSink.actorRefWithBackpressure(
                              session,
                              SessionActor.FrameReceived::new,
                              SessionActor.StreamStarted::new,
                              SessionActor.Ack.INSTANCE,
                              SessionActor.StreamCompleted.INSTANCE,
                              SessionActor.StreamFailed::new));
              Source<Message, NotUsed> fromSession =
                  outbound.second()
                      .watchTermination((notUsed, done) -> {
                        done.whenComplete((ok, failure) -> localSessions.remove(session));
                        return NotUsed.getInstance();
                      })
                      .takeWhile(out -> !(out instanceof Close), true)
                      .map(ConnectionFlow::render)
                      .recoverWithRetries(
                          1,
                          BufferOverflowException.class,
                          () -> {
                            system.log().warn(
                                "Dropping connection from {}: it stopped reading with {} frames queued",
                                remoteAddress, settings.outboundBuffer());
                            return Source.single(WebSocketStack.closeMessage(SLOW_CONSUMER_CLOSE, "SLOW_CONSUMER"));
                          });
              return Flow.fromSinkAndSourceCoupled(toSession, fromSession);
            })
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private static Message render(Out out) {
    if (out instanceof Close close) {
      return WebSocketStack.closeMessage(close.code(), close.reason());
    }
    Frame frame = ((Send) out).frame();
    if (frame instanceof Frame.Binary binary) {
      return BinaryMessage.create(ByteString.fromArray(binary.bytes()));
    }
    return TextMessage.create(((Frame.Text) frame).text());
  }

  /** Collects one message, strict or streamed, into an inbound frame, or reports that it is too long. */
  private static CompletionStage<SessionActor.Inbound> collect(
      Message message, NodeSettings.Session settings, ActorSystem<?> system) {
    int cap = settings.maxFrameSize();
    Materializer materializer = Materializer.matFromSystem(system);
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      if (text.isStrict()) {
        return CompletableFuture.completedFuture(checked(new Frame.Text(text.getStrictText()), cap));
      }
      return assemble(
          text.getStreamedText(), part -> (long) part.length(), new StringBuilder(), StringBuilder::append,
          builder -> new Frame.Text(builder.toString()), settings, materializer);
    }
    BinaryMessage binary = message.asBinaryMessage();
    if (binary.isStrict()) {
      return CompletableFuture.completedFuture(checked(new Frame.Binary(binary.getStrictData().toArray()), cap));
    }
    return assemble(
        binary.getStreamedData(), bytes -> (long) bytes.size(), ByteString.emptyByteString(), ByteString::concat,
        bytes -> new Frame.Binary(bytes.toArray()), settings, materializer);
  }

  /**
   * Collects a streamed message. Parts past the cap are read and dropped rather than failing or cancelling
   * the part stream (either would end the whole connection without our close code), so an oversized message
   * costs at most the cap in memory and is then refused with 4109.
   */
  private static <P, A> CompletionStage<SessionActor.Inbound> assemble(
      Source<P, ?> parts,
      java.util.function.Function<P, Long> weight,
      A zero,
      org.apache.pekko.japi.function.Function2<A, P, A> append,
      java.util.function.Function<A, Frame> toFrame,
      NodeSettings.Session settings,
      Materializer materializer) {
    int cap = settings.maxFrameSize();
    AtomicLong seen = new AtomicLong();
    long deadline = System.nanoTime() + settings.frameAssemblyTimeout().toNanos();
    return parts
        .takeWithin(settings.frameAssemblyTimeout())
        .runFold(
            zero,
            (assembled, part) -> seen.addAndGet(weight.apply(part)) <= cap ? append.apply(assembled, part) : assembled,
            materializer)
        .thenApply(
            assembled -> {
              if (seen.get() > cap) {
                return (SessionActor.Inbound) new SessionActor.TooLong((int) Math.min(Integer.MAX_VALUE, seen.get()));
              }
              if (System.nanoTime() >= deadline) {
                return new SessionActor.Incomplete("message not complete within " + settings.frameAssemblyTimeout());
              }
              return checked(toFrame.apply(assembled), cap);
            });
  }

  private static SessionActor.Inbound checked(Frame frame, int cap) {
    int size = frame.size();
    return size > cap ? new SessionActor.TooLong(size) : new SessionActor.Data(frame);
  }
}
