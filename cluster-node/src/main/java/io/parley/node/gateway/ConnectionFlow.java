package io.parley.node.gateway;

import io.parley.node.Futures;
import io.parley.node.NodeSettings;
import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Subprotocol;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * Glue between one WebSocket and its {@link SessionActor}: inbound messages (already collected under the
 * size cap by {@link MessageLayer}) are fed to the actor with backpressure, so a slow session slows the
 * socket; the actor's output goes through a <b>bounded</b> buffer that closes the connection when the client
 * stops reading, instead of buffering without limit. Either side ending ends both.
 */
public final class ConnectionFlow {

  private static final AtomicLong CONNECTIONS = new AtomicLong();

  /** RFC 6455 "policy violation": LeanCloud has no code for a client that stops reading. */
  static final int SLOW_CONSUMER_CLOSE = 1008;

  private ConnectionFlow() {}

  /** A new flow for one accepted connection; the session actor starts when the flow is materialized. */
  public static Flow<SessionActor.Inbound, Outbound, NotUsed> create(
      ActorSystem<?> system,
      NodeSettings.Session settings,
      Subprotocol subprotocol,
      AtomicLong lastInboundNanos,
      String remoteAddress,
      SessionActor.Dependencies dependencies,
      LocalSessions localSessions) {
    return Flow.<SessionActor.Inbound, Outbound, NotUsed>fromMaterializer(
            (materializer, attributes) -> {
              Pair<ActorRef<Outbound>, Source<Outbound, NotUsed>> outbound =
                  ActorSource.<Outbound>actorRef(
                          out -> false, out -> Optional.empty(), settings.outboundBuffer(), OverflowStrategy.fail())
                      .preMaterialize(system);
              Behavior<SessionActor.Command> behavior =
                  SessionActor.create(dependencies, subprotocol, outbound.first(), lastInboundNanos, remoteAddress);
              ActorRef<SessionActor.Command> session =
                  system.systemActorOf(behavior, "session-" + CONNECTIONS.incrementAndGet(), Props.empty());
              localSessions.add(session);
              Sink<SessionActor.Inbound, NotUsed> toSession =
                  ActorSink.actorRefWithBackpressure(
                      session,
                      SessionActor.FrameReceived::new,
                      SessionActor.StreamStarted::new,
                      SessionActor.Ack.INSTANCE,
                      SessionActor.StreamCompleted.INSTANCE,
                      SessionActor.StreamFailed::new);
              Source<Outbound, NotUsed> fromSession =
                  outbound.second()
                      .watchTermination((notUsed, done) -> {
                        Futures.direct(done).whenComplete((ok, failure) -> localSessions.remove(session));
                        return NotUsed.getInstance();
                      })
                      .takeWhile(out -> !(out instanceof Outbound.Close), true)
                      .recoverWithRetries(
                          1,
                          BufferOverflowException.class,
                          () -> {
                            system.log().warn(
                                "Dropping connection from {}: it stopped reading with {} frames queued",
                                remoteAddress, settings.outboundBuffer());
                            return Source.single(new Outbound.Close(SLOW_CONSUMER_CLOSE, "SLOW_CONSUMER"));
                          });
              return Flow.fromSinkAndSourceCoupled(toSession, fromSession);
            })
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }
}
