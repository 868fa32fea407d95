package io.parley.node.gateway;

import io.parley.node.metrics.NodeMetrics;
import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import scala.runtime.BoxedUnit;

/**
 * Glue between one WebSocket and its {@link SessionActor}, as one stage: it starts the session
 * actor when the connection's stream starts, feeds it the inbound messages one at a time (the next
 * is read only when the session has taken the previous one, so a slow session slows the socket),
 * and sends what the session tells it to the socket through a <b>bounded</b> queue: a client that
 * stops reading is closed with 1008 rather than buffered without limit. Either side ending ends
 * both.
 *
 * <p>One stage with its own actor ref replaces a pre-materialized actor source, an actor sink and
 * the coupling between them: a login then materializes one small graph, not three.
 */
final class ConnectionFlow extends GraphStage<FlowShape<SessionActor.Inbound, Outbound>> {

  /** RFC 6455 "policy violation": LeanCloud has no code for a client that stops reading. */
  static final int SLOW_CONSUMER_CLOSE = 1008;

  private static final AtomicLong CONNECTIONS = new AtomicLong();

  private final Inlet<SessionActor.Inbound> in = Inlet.create("ConnectionFlow.in");
  private final Outlet<Outbound> out = Outlet.create("ConnectionFlow.out");
  private final FlowShape<SessionActor.Inbound, Outbound> shape = FlowShape.of(in, out);
  private final ActorSystem<?> system;
  private final Function<ActorRef<Outbound>, Behavior<SessionActor.Command>> session;
  private final int outboundBuffer;
  private final String remoteAddress;
  private final LocalSessions localSessions;

  /** {@code session} makes the session's behavior from the ref it sends its output to. */
  ConnectionFlow(
      ActorSystem<?> system,
      Function<ActorRef<Outbound>, Behavior<SessionActor.Command>> session,
      int outboundBuffer,
      String remoteAddress,
      LocalSessions localSessions) {
    this.system = system;
    this.session = session;
    this.outboundBuffer = outboundBuffer;
    this.remoteAddress = remoteAddress;
    this.localSessions = localSessions;
  }

  /** Starts a connection's session actor and counts it among the node's sessions. */
  static ActorRef<SessionActor.Command> spawn(
      ActorSystem<?> system, Behavior<SessionActor.Command> session, LocalSessions localSessions) {
    ActorRef<SessionActor.Command> actor =
        system.systemActorOf(session, "session-" + CONNECTIONS.incrementAndGet(), Props.empty());
    localSessions.add(actor);
    return actor;
  }

  @Override
  public FlowShape<SessionActor.Inbound, Outbound> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<Outbound> queue = new ArrayDeque<>();
      private ActorRef<SessionActor.Command> actor;
      private ActorRef<SessionActor.Ack> acks;
      private boolean closed;
      private boolean sessionGone;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                actor.tell(new SessionActor.FrameReceived(acks, grab(in)));
              }

              @Override
              public void onUpstreamFinish() {
                actor.tell(SessionActor.StreamCompleted.INSTANCE);
              }

              @Override
              public void onUpstreamFailure(Throwable cause) {
                actor.tell(new SessionActor.StreamFailed(cause));
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
        StageActor stageActor =
            getStageActor(
                message -> {
                  onMessage(message._2());
                  return BoxedUnit.UNIT;
                });
        ActorRef<Outbound> outbound = Adapter.toTyped(stageActor.ref());
        acks = Adapter.toTyped(stageActor.ref());
        actor = spawn(system, session.apply(outbound), localSessions);
        stageActor.watch(Adapter.toClassic(actor));
        pull(in);
      }

      private void onMessage(Object message) {
        if (message instanceof SessionActor.Ack) {
          if (!isClosed(in) && !hasBeenPulled(in)) {
            pull(in);
          }
        } else if (message instanceof Outbound outbound) {
          onOutbound(outbound);
        } else if (message instanceof Terminated) {
          sessionGone = true;
          flush();
        }
      }

      private void onOutbound(Outbound outbound) {
        if (closed) {
          return;
        }
        if (outbound instanceof Outbound.Close) {
          closed = true;
        } else if (queue.size() >= outboundBuffer) {
          system
              .log()
              .warn(
                  "Dropping connection from {}: it stopped reading with {} frames queued",
                  remoteAddress,
                  outboundBuffer);
          queue.clear();
          NodeMetrics.get(system).refused("close", SLOW_CONSUMER_CLOSE);
          outbound = new Outbound.Close(SLOW_CONSUMER_CLOSE, "SLOW_CONSUMER");
          closed = true;
        }
        queue.add(outbound);
        flush();
      }

      private void flush() {
        if (isAvailable(out) && !queue.isEmpty()) {
          Outbound next = queue.poll();
          push(out, next);
          if (next instanceof Outbound.Close) {
            complete(out);
            return;
          }
        }
        if (sessionGone && queue.isEmpty()) {
          completeStage();
        }
      }

      @Override
      public void postStop() {
        if (actor != null) {
          localSessions.remove(actor);
          if (!sessionGone) {
            // The connection was torn down under us: the session ends too.
            actor.tell(SessionActor.StreamCompleted.INSTANCE);
          }
        }
      }
    };
  }
}
