package io.parley.node.session;

import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.presence.ClientPresence;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.Codecs;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.ProtocolException;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One actor per WebSocket connection: the protocol state machine of docs/protocol.md §3–§5, one
 * behavior per state: {@link #awaitingOpen()} (no login accepted yet, the login timeout runs) →
 * {@link #open()} (clients logged in on this socket) → {@link #closing} (the close frame is out;
 * only the stream's end matters). It decodes frames with the connection's codec and routes each
 * command and answer to the collaborator it owns for it: {@link SessionCommands} ({@code session/*}
 * and logins), {@link Requests} (every other command, through {@link CommandRoutes} to its
 * handler), {@link Refusals} (how a request over a limit is refused), {@link SocketClients} (the
 * clients logged in here and their registrations), {@link DeliveryGate} (the order of pushes behind
 * replies) and {@link FrameWriter} (what goes to the socket). Who a login is (app, token,
 * signature) is {@link Credentials}' question.
 *
 * <p>Guarantees: every request that carries an {@code i} gets exactly one reply with that {@code
 * i}; undecodable input closes only this connection (4114), with the LeanCloud close code; a
 * connection without a login within the login timeout is closed with 4108, one that stays silent
 * past the read-idle timeout (pings included) with 4107.
 */
public final class SessionActor extends AbstractBehavior<SessionActor.Command> {

  public sealed interface Command {}

  /** One inbound WebSocket message, assembled. */
  public sealed interface Inbound {}

  public record Data(Frame frame) implements Inbound {}

  /** A message over the size cap; {@code size} is what was seen before giving up. */
  public record TooLong(int size) implements Inbound {}

  /** A fragmented message that did not complete in time. */
  public record Incomplete(String detail) implements Inbound {}

  public record FrameReceived(ActorRef<Ack> ackTo, Inbound inbound) implements Command {}

  public enum StreamCompleted implements Command {
    INSTANCE
  }

  public record StreamFailed(Throwable cause) implements Command {}

  /** Sent back to the inbound stream to ask for the next frame. */
  public enum Ack {
    INSTANCE
  }

  /**
   * A reply or push computed elsewhere (a conversation's answer), to send in order with the rest.
   */
  public record Emit(GenericCommand command) implements Command {}

  /** Frames for the socket in this order, in one message (a login's queued offline messages). */
  public record EmitAll(List<GenericCommand> commands) implements Command {}

  /** The ack window of one client and conversation closed (see {@code ReceiptCommands#onAck}). */
  record AckWindowClosed(String key) implements Command {}

  /** A conversation notice for one of this session's clients, through this node's directory. */
  private record Delivered(Delivery delivery) implements Command {}

  /** A login's credentials were checked: it opens, or gets the refusal. */
  record LoginChecked(GenericCommand open, String clientId, Credentials.Check check)
      implements Command {}

  /**
   * A tagged login's presence registration answered ({@code accepted} false: another device holds
   * the tag; {@code failure}: late).
   */
  record PresenceRegistered(
      GenericCommand open,
      String clientId,
      GenericCommand opened,
      Boolean accepted,
      Throwable failure)
      implements Command {}

  /** A conversation or blacklist request's signature was checked: it is routed, or refused. */
  record RequestChecked(GenericCommand command, String clientId, Credentials.Check check)
      implements Command {}

  /** A {@code conv/add} was answered: the translator turns it into its reply (and joins rooms). */
  record AddAnswered(MembershipCommands.AddAnswer answer) implements Command {}

  /** A {@code direct} or {@code patch} was answered: the translator turns it into its reply. */
  record Answered(SendCommands.Answer answer) implements Command {}

  /**
   * Another device logged in with the same tag (or the app kicked the client): {@code
   * session/closed}.
   */
  private record Kicked(ClientPresence.Kicked kicked) implements Command {}

  /** The node is shutting down: tell the client to reconnect elsewhere, then close. */
  public enum GoAway implements Command {
    INSTANCE
  }

  private enum LoginTimedOut implements Command {
    INSTANCE
  }

  private enum IdleCheck implements Command {
    INSTANCE
  }

  private enum ClosingTimedOut implements Command {
    INSTANCE
  }

  private static final Duration CLOSING_GRACE = Duration.ofSeconds(10);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SessionActor.class);

  /**
   * How often registrations (presence, chatrooms) are renewed, healing entities that moved or
   * restarted: at most this long between the socket's periodic checks ({@link IdleCheck}), which
   * renew them once a client has logged in.
   */
  private static final Duration RENEW = Duration.ofSeconds(30);

  private final NodeSettings.Session settings;
  private final Subprotocol subprotocol;
  private final CommandCodec codec;
  private final FrameWriter writer;
  private final AtomicLong lastInboundNanos;
  private final String remoteAddress;
  private final TimerScheduler<Command> timers;
  private final ConversationCommands conversations;
  private final MessageCommands messages;
  private final NodeMetrics metrics;

  // The collaborators this actor owns, one each per socket (see their class comments).
  private final SocketClients clients;
  private final SessionCommands sessionCommands;
  private final Requests requests;
  private final Refusals refusals;
  private final DeliveryGate gate;

  /** The inbound stream's ack, held back while too many sends are pending. */
  private ActorRef<Ack> heldAck;

  public static Behavior<Command> create(
      SessionDependencies dependencies,
      Subprotocol subprotocol,
      ActorRef<Outbound> out,
      AtomicLong lastInboundNanos,
      String remoteAddress) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context ->
                    new SessionActor(
                        context,
                        timers,
                        dependencies,
                        subprotocol,
                        out,
                        lastInboundNanos,
                        remoteAddress)));
  }

  private SessionActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      SessionDependencies dependencies,
      Subprotocol subprotocol,
      ActorRef<Outbound> out,
      AtomicLong lastInboundNanos,
      String remoteAddress) {
    super(context);
    this.settings = dependencies.settings().session();
    this.subprotocol = subprotocol;
    this.codec = Codecs.forSubprotocol(subprotocol);
    this.lastInboundNanos = lastInboundNanos;
    this.remoteAddress = remoteAddress;
    this.timers = timers;
    // This session as conversations and presence know it (one adapter ref, also used for echo
    // checks).
    ActorRef<Delivery> inbox = context.messageAdapter(Delivery.class, Delivered::new);
    ActorRef<ClientPresence.Kicked> kicks =
        context.messageAdapter(ClientPresence.Kicked.class, Kicked::new);
    this.metrics = NodeMetrics.get(context.getSystem());
    this.writer = new FrameWriter(codec, out, metrics, remoteAddress);
    this.conversations = dependencies.conversations().create(context, inbox);
    this.messages = dependencies.messages().create(context, inbox, remoteAddress);
    // Request rates of this connection's clients, and its refusals (docs/protocol.md §17).
    ClientRates rates = new ClientRates(dependencies.settings().limits());
    Credentials credentials =
        new Credentials(
            dependencies.settings(),
            dependencies.tokens(),
            dependencies.signatures(),
            dependencies.revocations(),
            dependencies.warmUp(),
            dependencies.clock());
    this.clients =
        new SocketClients(
            dependencies,
            rates,
            conversations,
            messages,
            inbox,
            kicks,
            remoteAddress,
            subprotocol.version());
    this.refusals =
        new Refusals(
            this, rates, dependencies.settings().limits().refusalsPerMinute(), remoteAddress);
    this.sessionCommands =
        new SessionCommands(
            this,
            context,
            dependencies,
            credentials,
            clients,
            rates,
            refusals,
            metrics,
            remoteAddress);
    this.requests =
        new Requests(
            this,
            context,
            clients,
            rates,
            refusals,
            credentials,
            new CommandRoutes(conversations, messages));
    this.gate =
        new DeliveryGate(
            inbox, clients.byId(), DeliveryGate.sessionOf(conversations, messages, this::send));
    lastInboundNanos.set(System.nanoTime());
    timers.startSingleTimer(LoginTimedOut.INSTANCE, settings.loginTimeout());
    // One periodic timer per socket: the read-idle check, and once logged in the renewals.
    Duration idleCheck = settings.readIdleTimeout().dividedBy(4);
    timers.startTimerWithFixedDelay(
        IdleCheck.INSTANCE, idleCheck.compareTo(RENEW) < 0 ? idleCheck : RENEW);
    // The class's logger, not context.getLog(): that builds a logger and an MDC per actor (its
    // path as a string), and then sets and clears the MDC around every message.
    LOG.debug("Connection from {} with subprotocol {}", remoteAddress, subprotocol);
  }

  @Override
  public Receive<Command> createReceive() {
    return awaitingOpen();
  }

  // ------------------------------------------------------------------------------------- states

  // Each state is one small Receive that dispatches with instanceof, not a ReceiveBuilder's: a
  // built receive holds about 20 cases, their lambdas and Scala lists per actor (about 1.4 KB per
  // idle session, and their allocation at every login).

  /**
   * No login accepted yet: frames are served (only echo, heartbeats and logins succeed; anything
   * else needs a session), and the login timeout closes a connection that never opens one.
   */
  private Receive<Command> awaitingOpen() {
    return new Connected() {
      @Override
      public Behavior<Command> receiveMessage(Command message) {
        if (message instanceof FrameReceived received) {
          return openOnFirstLogin(onFrame(received));
        } else if (message instanceof LoginChecked checked) {
          return openOnFirstLogin(sessionCommands.onLoginChecked(checked));
        } else if (message == LoginTimedOut.INSTANCE) {
          return onLoginTimedOut();
        }
        return connected(message);
      }
    };
  }

  /**
   * What a connection that is not closing handles in every state: the read-idle check, the node's
   * goaway, the stream's end and the actor's stop.
   */
  private abstract class Connected extends Receive<Command> {
    Behavior<Command> connected(Command message) {
      if (message == IdleCheck.INSTANCE) {
        return onIdleCheck();
      } else if (message == GoAway.INSTANCE) {
        return onGoAway();
      } else if (message == StreamCompleted.INSTANCE || message instanceof StreamFailed) {
        return onStreamEnded();
      }
      return Behaviors.unhandled();
    }

    @Override
    public Behavior<Command> receiveSignal(Signal signal) {
      return signal instanceof PostStop ? onStopped(null) : Behaviors.unhandled();
    }
  }

  /**
   * The first accepted login stops the login timeout and moves the connection to {@link #open()}.
   */
  private Behavior<Command> openOnFirstLogin(Behavior<Command> next) {
    if (clients.isEmpty() || next != Behaviors.<Command>same()) {
      return next;
    }
    timers.cancel(LoginTimedOut.INSTANCE);
    return open();
  }

  /**
   * At least one login was accepted: clients on this socket send, receive and log in or out; their
   * registrations are renewed. The socket stays in this state when every client has logged out.
   */
  private Receive<Command> open() {
    return new Connected() {
      @Override
      public Behavior<Command> receiveMessage(Command message) {
        if (message instanceof FrameReceived received) {
          return onFrame(received);
        } else if (message instanceof Delivered delivered) {
          return onDelivery(delivered.delivery());
        } else if (message instanceof Emit emit) {
          return onEmit(emit.command());
        } else if (message instanceof EmitAll all) {
          return onEmitAll(all);
        } else if (message instanceof Answered answered) {
          return onEmit(messages.sends().onAnswered(answered.answer()));
        } else if (message instanceof AckWindowClosed closed) {
          return onAckWindowClosed(closed);
        } else if (message instanceof LoginChecked checked) {
          return sessionCommands.onLoginChecked(checked);
        } else if (message instanceof PresenceRegistered registered) {
          return sessionCommands.onPresenceRegistered(registered);
        } else if (message instanceof RequestChecked checked) {
          return requests.onChecked(checked);
        } else if (message instanceof AddAnswered added) {
          return reply(conversations.membership().onAdded(added.answer()));
        } else if (message instanceof Kicked kicked) {
          return sessionCommands.onKicked(kicked.kicked());
        }
        return connected(message);
      }
    };
  }

  /**
   * The close frame is out: frames are drained unread, answers still arriving are dropped, and the
   * actor stops when the stream ends (or after a grace period). {@code closedWith} is the server's
   * close code for {@code _clientOffline} (null for a goaway); {@code goingAway}: the clients were
   * moved elsewhere, which is not an abnormal end, so no will message goes out.
   */
  private Receive<Command> closing(ErrorCode closedWith, boolean goingAway) {
    return new Receive<>() {
      @Override
      public Behavior<Command> receiveMessage(Command message) {
        if (message instanceof FrameReceived received) {
          received.ackTo().tell(Ack.INSTANCE);
          return Behaviors.same();
        } else if (message == ClosingTimedOut.INSTANCE) {
          return Behaviors.stopped();
        } else if (message == StreamCompleted.INSTANCE || message instanceof StreamFailed) {
          return onStreamEnded(goingAway);
        }
        return Behaviors.same();
      }

      @Override
      public Behavior<Command> receiveSignal(Signal signal) {
        return signal instanceof PostStop ? onStopped(closedWith) : Behaviors.unhandled();
      }
    };
  }

  // ------------------------------------------------------------------------------------- frames

  /**
   * The next frame is read only while fewer than {@code max-pending-sends} messages of this
   * connection await their ack; otherwise the socket waits (backpressure) until one is answered.
   */
  private Behavior<Command> onFrame(FrameReceived received) {
    Behavior<Command> next = handleFrame(received);
    if (messages.sends().sendsInFlight() < settings.maxPendingSends()) {
      received.ackTo().tell(Ack.INSTANCE);
    } else {
      heldAck = received.ackTo();
    }
    return next;
  }

  /**
   * A reply or push computed elsewhere goes out; a held read of the socket resumes once few enough
   * sends are pending.
   */
  private Behavior<Command> onEmit(GenericCommand command) {
    Behavior<Command> next = reply(command);
    resumeHeldInput();
    return next;
  }

  /** Pushes only (never a refusal), so no refusal is counted. */
  private Behavior<Command> onEmitAll(EmitAll all) {
    sendAll(all.commands());
    resumeHeldInput();
    return Behaviors.same();
  }

  /** The socket's input, held at too many unanswered sends, goes on once an answer went out. */
  private void resumeHeldInput() {
    if (heldAck != null && messages.sends().sendsInFlight() < settings.maxPendingSends()) {
      heldAck.tell(Ack.INSTANCE);
      heldAck = null;
    }
  }

  private Behavior<Command> onAckWindowClosed(AckWindowClosed closed) {
    messages.receipts().ackWindowClosed(closed.key());
    return Behaviors.same();
  }

  private Behavior<Command> handleFrame(FrameReceived received) {
    if (received.inbound() instanceof TooLong tooLong) {
      return close(
          ErrorCode.FRAME_TOO_LONG,
          "frame of " + tooLong.size() + " bytes exceeds " + settings.maxFrameSize());
    }
    if (received.inbound() instanceof Incomplete incomplete) {
      return close(ErrorCode.UNPARSEABLE_RAW_MESSAGE, incomplete.detail());
    }
    Frame frame = ((Data) received.inbound()).frame();
    GenericCommand command;
    try {
      command = codec.decode(frame);
    } catch (ProtocolException e) {
      return onUndecodable(frame, e);
    }
    if (LOG.isTraceEnabled()) { // not getContext().getLog(): that sets the MDC on every call
      LOG.trace("{} <- {}", remoteAddress, command);
    }
    return onCommand(command);
  }

  /**
   * A JSON object that names a {@code cmd} we cannot map but carries an {@code i} gets an error
   * reply and the connection lives on (§2.3); anything else undecodable closes the connection with
   * 4114.
   */
  private Behavior<Command> onUndecodable(Frame frame, ProtocolException e) {
    Optional<Integer> requestId = JsonPeek.requestId(frame);
    if (requestId.isPresent()) {
      return reply(Replies.error(requestId.get(), null, e.code(), e.getMessage()));
    }
    LOG.debug("Closing {}: undecodable frame: {}", remoteAddress, e.getMessage());
    return close(e.code(), e.getMessage());
  }

  private Behavior<Command> onCommand(GenericCommand command) {
    if (!command.hasCmd()) {
      return onHeartbeat(command);
    }
    NodeSettings.App app = clients.app();
    if (command.hasAppId() && app != null && !app.appId().equals(command.getAppId())) {
      return close(ErrorCode.APP_NOT_AVAILABLE, "this connection belongs to another app");
    }
    if (command.getCmd() == CommandType.direct) {
      metrics.messageIn();
    }
    return switch (command.getCmd()) {
      case echo -> reply(Replies.echo(command));
      case login -> sessionCommands.onPushServiceLogin(command);
      case session -> sessionCommands.onSessionCommand(command);
      default -> requests.onRequest(command);
    };
  }

  /** JSON {@code {}} is the .NET and legacy JS heartbeat and is answered with {@code {}} (§4). */
  private Behavior<Command> onHeartbeat(GenericCommand command) {
    if (command.hasI()) {
      return reply(
          Replies.error(command.getI(), null, ErrorCode.UNPARSEABLE_RAW_MESSAGE, "missing cmd"));
    }
    if (subprotocol.encoding() == Subprotocol.Encoding.JSON
        || subprotocol.encoding() == Subprotocol.Encoding.DETECT) {
      return reply(GenericCommand.getDefaultInstance());
    }
    return Behaviors.same();
  }

  // ----------------------------------------------------------------------------------- delivery

  /**
   * A notice for a client here: a kick ends its session, the rest pass the {@link DeliveryGate}.
   */
  private Behavior<Command> onDelivery(Delivery delivery) {
    Notice notice = delivery.notice();
    if (notice instanceof Notice.SessionClosed closed) {
      return sessionCommands.onKicked(
          new ClientPresence.Kicked(delivery.clientId(), closed.code(), closed.reason()));
    }
    return gate.admit(delivery)
        ? reply(NoticeFrames.toPush(delivery.clientId(), notice))
        : Behaviors.same();
  }

  /** The node is shutting down: the clients are told to reconnect elsewhere, then it closes. */
  private Behavior<Command> onGoAway() {
    send(GenericCommand.newBuilder().setCmd(CommandType.goaway).build());
    writer.goingAway();
    timers.cancelAll();
    timers.startSingleTimer(ClosingTimedOut.INSTANCE, CLOSING_GRACE);
    return closing(null, true);
  }

  private Behavior<Command> onLoginTimedOut() {
    return close(
        ErrorCode.LOGIN_TIMEOUT, "no login within " + settings.loginTimeout().toSeconds() + " s");
  }

  private Behavior<Command> onIdleCheck() {
    long idleNanos = System.nanoTime() - lastInboundNanos.get();
    if (idleNanos > settings.readIdleTimeout().toNanos()) {
      return close(
          ErrorCode.READ_TIMEOUT, "no frame for " + settings.readIdleTimeout().toSeconds() + " s");
    }
    if (!clients.isEmpty()) {
      clients.renew();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onStreamEnded() {
    return onStreamEnded(false);
  }

  /**
   * The connection died without a session/close for these clients: their will messages go out
   * (§7.6), unless the server moved them elsewhere ({@code goingAway}).
   */
  private Behavior<Command> onStreamEnded(boolean goingAway) {
    if (!clients.isEmpty() && !goingAway) {
      messages.connectionLost();
    }
    LOG.debug("Connection from {} ended with {} session(s) open", remoteAddress, clients.size());
    return Behaviors.stopped();
  }

  /**
   * However the actor ends, this node stops delivering to it; {@code closedWith}: the server's
   * close code, for {@code _clientOffline} (null: not closed by the server).
   */
  private Behavior<Command> onStopped(ErrorCode closedWith) {
    clients.stopped(closedWith);
    return Behaviors.same();
  }

  /**
   * Sends a reply and closes the connection if it was one refusal too many (§17): what a handler
   * returns after answering.
   */
  Behavior<Command> reply(GenericCommand command) {
    send(command);
    return ClientIds.isQuotaRefusal(command) ? refusals.counted() : Behaviors.same();
  }

  /**
   * Writes one frame to the socket, then lets what waited for it follow: member events deferred
   * until this reply, and pushes held behind it (the shared-socket order).
   */
  void send(GenericCommand command) {
    writer.write(command);
    gate.sent(command);
  }

  /** Frames for the socket in this order, as one batch (see {@link FrameWriter#writeAll}). */
  private void sendAll(List<GenericCommand> commands) {
    writer.writeAll(commands);
    for (GenericCommand command : commands) {
      gate.sent(command);
    }
  }

  /**
   * Closes with a LeanCloud code; waits for the stream to end (bounded) so the close frame gets
   * out.
   */
  Behavior<Command> close(ErrorCode code, String detail) {
    writer.close(code, detail);
    timers.cancelAll();
    timers.startSingleTimer(ClosingTimedOut.INSTANCE, CLOSING_GRACE);
    return closing(code, false);
  }
}
