package io.parley.node.session;

import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.security.SignatureGuard;
import io.parley.node.security.SignedRequest;
import io.parley.node.security.TokenRevocation;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.ProtocolException;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One actor per WebSocket connection: the protocol state machine of docs/protocol.md §3–§5. It
 * decodes frames with the connection's codec, keeps the IM sessions (clientIds) logged in on this
 * socket, answers session commands itself and hands conversation commands to {@link
 * ConversationCommands}.
 *
 * <p>Guarantees: every request that carries an {@code i} gets exactly one reply with that {@code
 * i}; undecodable input closes only this connection (4114), with the LeanCloud close code; a
 * connection without a login within the login timeout is closed with 4108, one that stays silent
 * past the read-idle timeout (pings included) with 4107.
 */
public final class SessionActor extends AbstractBehavior<SessionActor.Command> {

  /** What the session needs from the node. */
  public record Dependencies(
      NodeSettings settings,
      SessionTokens tokens,
      ConversationCommands.Factory conversations,
      MessageCommands.Factory messages,
      NodeDirectory directory,
      ClientPresence.Directory presence,
      SignatureGuard signatures,
      TokenRevocation revocations,
      io.parley.node.hooks.Hooks hooks,
      Clock clock,
      LoginThrottle logins) {

    /** Without a login throttle of its own: one from the settings' limits. */
    public Dependencies(
        NodeSettings settings,
        SessionTokens tokens,
        ConversationCommands.Factory conversations,
        MessageCommands.Factory messages,
        NodeDirectory directory,
        ClientPresence.Directory presence,
        SignatureGuard signatures,
        TokenRevocation revocations,
        io.parley.node.hooks.Hooks hooks,
        Clock clock) {
      this(
          settings,
          tokens,
          conversations,
          messages,
          directory,
          presence,
          signatures,
          revocations,
          hooks,
          clock,
          new LoginThrottle(
              settings.limits().loginsPerAddressPerMinute(), settings.limits().trackedAddresses()));
    }
  }

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

  /** The ack window of one client and conversation closed (see {@code MessageCommands#onAck}). */
  record AckWindowClosed(String key) implements Command {}

  /** A conversation notice for one of this session's clients, through this node's directory. */
  private record Delivered(Delivery delivery) implements Command {}

  private enum Refresh implements Command {
    INSTANCE
  }

  /** A login whose signature or session token was checked and accepted: it completes. */
  private record LoginVerified(GenericCommand open, String clientId, String tag, String deviceId)
      implements Command {}

  /** A login refused after its signature or session token was checked: the error reply to send. */
  private record LoginRefused(GenericCommand reply) implements Command {}

  /** A conversation or blacklist request whose signature was checked and accepted: it is routed. */
  private record RequestVerified(GenericCommand command, String clientId) implements Command {}

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
   * restarted.
   */
  private static final Duration REFRESH = Duration.ofSeconds(30);

  /** Bounds of the shared-socket order: notices held, and reply keys remembered. */
  static final int MAX_HELD = 1000;

  static final int MAX_REPLIED = 256;

  private final Dependencies dependencies;
  private final NodeSettings.Session settings;
  private final Subprotocol subprotocol;
  private final CommandCodec codec;
  private final ActorRef<Outbound> out;
  private final AtomicLong lastInboundNanos;
  private final String remoteAddress;
  private final TimerScheduler<Command> timers;
  private final ConversationCommands conversations;
  private final MessageCommands messages;
  private final CommandRoutes routes;

  /** Request rates of this connection's clients, and its refusals (docs/protocol.md §17). */
  private final ClientRates rates;

  /**
   * This session as conversations and presence know it (one adapter ref, also used for echo
   * checks).
   */
  private final ActorRef<Delivery> inbox;

  private final ActorRef<ClientPresence.Kicked> kicks;
  private final NodeMetrics metrics;
  private final PresenceHooks presenceHooks;

  /**
   * The code this connection was closed with by the server, for {@code _clientOffline} (null: not
   * by the server).
   */
  private ErrorCode closedWith;

  /**
   * Member events held back until this session's reply about the same conversation has gone out.
   */
  private final Map<String, List<Delivery>> deferred = new java.util.HashMap<>();

  /**
   * Pushes this session's own {@code direct} or {@code patch} caused for another client on this
   * socket, held until the reply to that command has gone out (key: {@code m:}message id, {@code
   * p:}patch time), oldest first; at most {@link #MAX_HELD} notices in all.
   */
  private final LinkedHashMap<String, List<Delivery>> held = new LinkedHashMap<>();

  private int heldCount;

  /**
   * Keys whose reply went out while several clients shared this socket: their pushes need no wait.
   */
  private final Map<String, Boolean> replied =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX_REPLIED;
        }
      };

  /**
   * Logged-in clients on this socket, in login order: the first one answers for requests without
   * peerId.
   */
  private final Map<String, LoggedIn> sessions = new LinkedHashMap<>();

  private NodeSettings.App app;

  /** The inbound stream's ack, held back while too many sends are pending. */
  private ActorRef<Ack> heldAck;

  private boolean closing;

  /** The unknown app a Java SDK named in its push-service login: its session/open gets 4100. */
  private String unknownApp;

  /** Closed by the server to move the client elsewhere: not an abnormal end, so no will message. */
  private boolean goingAway;

  private record LoggedIn(String clientId, String tag, String deviceId) {
    /** Only tagged logins take part in single-device login (§5.1 step 4). */
    boolean tagged() {
      return tag != null && !tag.isEmpty() && !tag.equals("default");
    }
  }

  public static Behavior<Command> create(
      Dependencies dependencies,
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
      Dependencies dependencies,
      Subprotocol subprotocol,
      ActorRef<Outbound> out,
      AtomicLong lastInboundNanos,
      String remoteAddress) {
    super(context);
    this.dependencies = dependencies;
    this.settings = dependencies.settings().session();
    this.subprotocol = subprotocol;
    this.codec = subprotocol.newCodec();
    this.out = out;
    this.lastInboundNanos = lastInboundNanos;
    this.remoteAddress = remoteAddress;
    this.timers = timers;
    this.inbox = context.messageAdapter(Delivery.class, Delivered::new);
    this.kicks = context.messageAdapter(ClientPresence.Kicked.class, Kicked::new);
    this.metrics = NodeMetrics.get(context.getSystem());
    this.conversations = dependencies.conversations().create(context, inbox);
    this.messages = dependencies.messages().create(context, inbox, remoteAddress);
    this.routes = new CommandRoutes(conversations, messages);
    this.rates = new ClientRates(dependencies.settings().limits());
    this.presenceHooks = new PresenceHooks(dependencies.hooks());
    lastInboundNanos.set(System.nanoTime());
    timers.startSingleTimer(LoginTimedOut.INSTANCE, settings.loginTimeout());
    Duration idleCheck = settings.readIdleTimeout().dividedBy(4);
    timers.startTimerWithFixedDelay(IdleCheck.INSTANCE, idleCheck);
    timers.startTimerWithFixedDelay(Refresh.INSTANCE, REFRESH);
    context.getLog().debug("Connection from {} with subprotocol {}", remoteAddress, subprotocol);
  }

  @Override
  public Receive<Command> createReceive() {
    // One case, not one per message type: a builder case list per session was ~1.4 KB of every
    // idle session's heap (LeanConnection's W3 heap histogram).
    return newReceiveBuilder()
        .onAnyMessage(this::dispatch)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, stop -> onStopped())
        .build();
  }

  private Behavior<Command> dispatch(Command command) {
    if (command instanceof FrameReceived received) {
      return onFrame(received);
    } else if (command instanceof Emit emit) {
      return onEmit(emit);
    } else if (command instanceof AckWindowClosed closed) {
      messages.ackWindowClosed(closed.key());
      return this;
    } else if (command instanceof Delivered delivered) {
      return onDelivery(delivered.delivery());
    } else if (command == Refresh.INSTANCE) {
      return onRefresh();
    } else if (command == GoAway.INSTANCE) {
      return onGoAway();
    } else if (command instanceof Kicked kicked) {
      return onKicked(kicked);
    } else if (command instanceof LoginVerified verified) {
      return completeOpen(
          verified.open(), verified.clientId(), verified.tag(), verified.deviceId());
    } else if (command instanceof RequestVerified verified) {
      return onRequestVerified(verified);
    } else if (command instanceof LoginRefused refused) {
      metrics.loginRefused();
      return send(refused.reply());
    } else if (command instanceof LoginConflict conflict) {
      return onLoginConflict(conflict);
    } else if (command == LoginTimedOut.INSTANCE) {
      return onLoginTimedOut();
    } else if (command == IdleCheck.INSTANCE) {
      return onIdleCheck();
    } else if (command == ClosingTimedOut.INSTANCE) {
      return Behaviors.stopped();
    } else if (command == StreamCompleted.INSTANCE || command instanceof StreamFailed) {
      return onStreamEnded();
    }
    return Behaviors.unhandled();
  }

  /**
   * The next frame is read only while fewer than {@code max-pending-sends} messages of this
   * connection await their ack; otherwise the socket waits (backpressure) until one is answered.
   */
  private Behavior<Command> onFrame(FrameReceived received) {
    Behavior<Command> next = handleFrame(received);
    if (messages.sendsInFlight() < settings.maxPendingSends()) {
      received.ackTo().tell(Ack.INSTANCE);
    } else {
      heldAck = received.ackTo();
    }
    return next;
  }

  private Behavior<Command> onEmit(Emit emit) {
    send(emit.command());
    if (heldAck != null && messages.sendsInFlight() < settings.maxPendingSends()) {
      heldAck.tell(Ack.INSTANCE);
      heldAck = null;
    }
    return this;
  }

  private Behavior<Command> handleFrame(FrameReceived received) {
    if (closing) {
      return this;
    }
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
    if (getContext().getLog().isTraceEnabled()) {
      getContext().getLog().trace("{} <- {}", remoteAddress, command);
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
      send(Replies.error(requestId.get(), null, e.code(), e.getMessage()));
      return this;
    }
    getContext().getLog().debug("Closing {}: undecodable frame: {}", remoteAddress, e.getMessage());
    return close(e.code(), e.getMessage());
  }

  private Behavior<Command> onCommand(GenericCommand command) {
    if (!command.hasCmd()) {
      return onHeartbeat(command);
    }
    if (command.hasAppId() && app != null && !app.appId().equals(command.getAppId())) {
      return close(ErrorCode.APP_NOT_AVAILABLE, "this connection belongs to another app");
    }
    if (command.getCmd() == CommandType.direct) {
      metrics.messageIn();
    }
    return switch (command.getCmd()) {
      case echo -> send(Replies.echo(command));
      case login -> onPushServiceLogin(command);
      case session -> onSessionCommand(command);
      default -> onLoggedInCommand(command);
    };
  }

  /** JSON {@code {}} is the .NET and legacy JS heartbeat and is answered with {@code {}} (§4). */
  private Behavior<Command> onHeartbeat(GenericCommand command) {
    if (command.hasI()) {
      return send(
          Replies.error(command.getI(), null, ErrorCode.UNPARSEABLE_RAW_MESSAGE, "missing cmd"));
    }
    if (subprotocol.encoding() == Subprotocol.Encoding.JSON
        || subprotocol.encoding() == Subprotocol.Encoding.DETECT) {
      return send(GenericCommand.getDefaultInstance());
    }
    return this;
  }

  /**
   * The Java SDK's push-service login (§3.4): accepted, no reply. It opens no session, so it does
   * not stop the login timeout: a connection that never opens a session is closed with 4108 all the
   * same.
   */
  private Behavior<Command> onPushServiceLogin(GenericCommand command) {
    if (command.hasAppId() && !command.getAppId().isEmpty()) {
      Optional<NodeSettings.App> named = dependencies.settings().app(command.getAppId());
      if (named.isEmpty()) {
        // Answered at the session/open that follows, in the frame the SDK reports at once (§16.1).
        unknownApp = command.getAppId();
        return this;
      }
      app = app == null ? named.get() : app;
    }
    return this;
  }

  private Behavior<Command> onSessionCommand(GenericCommand command) {
    OpType op = command.getOp();
    if (op == OpType.open) {
      return onOpen(command);
    }
    Optional<LoggedIn> session = resolve(command);
    if (session.isEmpty()) {
      return sessionRequired(command);
    }
    ClientRates.Kind kind = ClientRates.kindOf(command);
    if (kind != null && !rates.tryTake(session.get().clientId(), kind, 1)) {
      return overRate(command, session.get().clientId(), kind);
    }
    return switch (op) {
      case close -> onClose(command, session.get());
      case refresh -> onRefresh(command, session.get());
      case query -> onOnlineQuery(command, session.get());
      default -> send(Replies.unsupported(command, session.get().clientId()));
    };
  }

  private Behavior<Command> onOpen(GenericCommand command) {
    if (command.hasAppId()
        && !command.getAppId().isEmpty()
        && app != null
        && !app.appId().equals(command.getAppId())) {
      return close(ErrorCode.APP_NOT_AVAILABLE, "this connection belongs to another app");
    }
    Optional<NodeSettings.App> requested = appOf(command);
    if (requested.isEmpty()) {
      metrics.loginRefused();
      return appNotAvailable(command);
    }
    app = requested.get();
    String clientId = command.hasPeerId() ? command.getPeerId() : generatedClientId();
    if (!ClientIds.valid(clientId, settings.maxClientIdLength())) {
      String detail = ClientIds.rule(settings.maxClientIdLength());
      metrics.loginRefused();
      return command.hasI()
          ? send(
              Replies.error(command.getI(), command.getPeerId(), ErrorCode.INVALID_LOGIN, detail))
          : close(ErrorCode.INVALID_LOGIN, detail);
    }
    if (!sessions.containsKey(clientId)
        && sessions.size() >= dependencies.settings().limits().sessionsPerConnection()) {
      metrics.loginRefused();
      return refuse(
          command,
          clientId,
          ErrorCode.APP_QUOTA_EXCEEDED,
          "at most "
              + dependencies.settings().limits().sessionsPerConnection()
              + " clients per connection");
    }
    if (!dependencies.logins().tryLogin(remoteAddress)) {
      metrics.loginRefused();
      return refuse(
          command,
          clientId,
          ErrorCode.APP_QUOTA_EXCEEDED,
          "too many logins from this address, retry later");
    }
    SessionCommand request = command.getSessionMessage();
    String tag = request.hasTag() ? request.getTag() : null;
    String deviceId = request.hasDeviceId() ? request.getDeviceId() : null;
    Integer requestId = command.hasI() ? command.getI() : null;
    if (request.hasSt()) {
      // A session token is a credential (§14.7): no signature needed, unless it was revoked since.
      Optional<SessionTokens.Grant> grant =
          dependencies
              .tokens()
              .verify(app, clientId, request.getSt(), dependencies.clock().instant());
      if (grant.isEmpty()) {
        metrics.loginRefused();
        return send(
            Replies.error(
                requestId,
                clientId,
                ErrorCode.SESSION_TOKEN_EXPIRED,
                "invalid or expired session token"));
      }
      String grantedTag = tag != null ? tag : emptyToNull(grant.get().tag());
      String grantedDevice = deviceId != null ? deviceId : emptyToNull(grant.get().deviceId());
      getContext()
          .pipeToSelf(
              dependencies.revocations().isRevoked(app.appId(), clientId, grant.get().issuedAt()),
              (revoked, failure) ->
                  failure != null
                      ? new LoginRefused(
                          Replies.error(
                              requestId,
                              clientId,
                              ErrorCode.INTERNAL_ERROR,
                              "cannot check the session token, retry"))
                      : revoked
                          ? new LoginRefused(
                              Replies.error(
                                  requestId,
                                  clientId,
                                  ErrorCode.SESSION_TOKEN_EXPIRED,
                                  "session token revoked"))
                          : new LoginVerified(command, clientId, grantedTag, grantedDevice));
      return this;
    }
    Optional<SignedRequest> signed = SignedRequest.of(app, clientId, command);
    if (signed.isPresent()) {
      String signedTag = tag;
      String signedDevice = deviceId;
      getContext()
          .pipeToSelf(
              dependencies.signatures().verify(app, signed.get()),
              (verdict, failure) ->
                  verdict != null && verdict.accepted()
                      ? new LoginVerified(command, clientId, signedTag, signedDevice)
                      : new LoginRefused(refusal(requestId, clientId, signed.get(), verdict)));
      return this;
    }
    return completeOpen(command, clientId, tag, deviceId);
  }

  /** The error reply of a refused signature (§16.1): the request's {@code i}, the action's code. */
  private static GenericCommand refusal(
      Integer requestId, String clientId, SignedRequest request, SignatureGuard.Verdict verdict) {
    return verdict == null
        ? Replies.error(
            requestId, clientId, ErrorCode.INTERNAL_ERROR, "signature check failed, retry")
        : Replies.error(requestId, clientId, verdict.refusal(), verdict.detail());
  }

  /**
   * Unknown or disabled app (§16.2, 4100), reported at once by every SDK, then the connection
   * closes with 4100 (fatal for JS: no reconnect). An open that names the app (JS, .NET) gets
   * {@code session/closed} with the code and the request's {@code i}; the Java SDK named it only in
   * its push-service login and settles its open only on an {@code error} with that {@code i} (it
   * ignores {@code session/closed} there): docs/protocol.md §16.1.
   */
  private Behavior<Command> appNotAvailable(GenericCommand command) {
    boolean namedInOpen = command.hasAppId() && !command.getAppId().isEmpty();
    String detail = "unknown appId " + (namedInOpen ? command.getAppId() : unknownApp);
    if (!namedInOpen && unknownApp != null) {
      send(
          Replies.error(
              command.hasI() ? command.getI() : null,
              command.hasPeerId() ? command.getPeerId() : null,
              ErrorCode.APP_NOT_AVAILABLE,
              detail));
      return close(ErrorCode.APP_NOT_AVAILABLE, detail);
    }
    GenericCommand.Builder closed =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.closed)
            .setSessionMessage(
                SessionCommand.newBuilder()
                    .setCode(ErrorCode.APP_NOT_AVAILABLE.code())
                    .setReason(ErrorCode.APP_NOT_AVAILABLE.reason())
                    .setDetail(detail));
    if (command.hasI()) {
      closed.setI(command.getI());
    }
    if (command.hasPeerId()) {
      closed.setPeerId(command.getPeerId());
    }
    send(closed.build());
    return close(ErrorCode.APP_NOT_AVAILABLE, detail);
  }

  /** The login is accepted (signature or token checked where needed): the session opens. */
  private Behavior<Command> completeOpen(
      GenericCommand command, String clientId, String tag, String deviceId) {
    if (closing) {
      return this;
    }
    SessionCommand request = command.getSessionMessage();
    LoggedIn login = new LoggedIn(clientId, tag, deviceId);
    boolean firstLogin = sessions.put(clientId, login) == null;
    timers.cancel(LoginTimedOut.INSTANCE);
    getContext()
        .getLog()
        .debug("{} logged in on {} (re-login: {})", clientId, remoteAddress, request.getR());
    String token =
        dependencies.tokens().issue(app, clientId, tag, deviceId, dependencies.clock().instant());
    GenericCommand opened =
        Replies.opened(
            command, clientId, token, dependencies.tokens().ttl(), dependencies.clock().millis());
    if (!firstLogin) {
      return send(opened);
    }
    // Reachable before `opened` goes out: a notice sent right after it must find the client.
    dependencies.directory().register(app.appId(), clientId, inbox);
    String loginTag = tag;
    if (!login.tagged()) {
      messages.afterLogin(app.appId(), clientId, subprotocol.version(), request.getLastPatchTime());
      presenceHooks.online(app.appId(), clientId, remoteAddress, loginTag, request.getR());
      return send(opened);
    }
    getContext()
        .pipeToSelf(
            dependencies
                .presence()
                .register(app.appId(), clientId, kicks, tag, deviceId, request.getR()),
            (accepted, failure) -> {
              if (failure != null) {
                LOG.warn("Presence registration of {} is late: {}", clientId, failure.toString());
              } else if (!accepted) {
                return new LoginConflict(command, clientId);
              }
              messages.afterLogin(
                  app.appId(), clientId, subprotocol.version(), request.getLastPatchTime());
              presenceHooks.online(app.appId(), clientId, remoteAddress, loginTag, request.getR());
              return new Emit(opened);
            });
    return this;
  }

  /**
   * The app of a login: the one named, else the one this connection already belongs to (the Java
   * SDK names it only in its `login` command), else the one whose key signed the session token,
   * else the only one.
   */
  private Optional<NodeSettings.App> appOf(GenericCommand command) {
    NodeSettings nodeSettings = dependencies.settings();
    if (command.hasAppId() && !command.getAppId().isEmpty()) {
      return nodeSettings.app(command.getAppId());
    }
    if (app != null) {
      return Optional.of(app);
    }
    if (unknownApp != null) {
      return Optional.empty();
    }
    SessionCommand request = command.getSessionMessage();
    if (request.hasSt() && command.hasPeerId()) {
      Optional<NodeSettings.App> signer =
          nodeSettings.apps().values().stream()
              .filter(
                  candidate ->
                      dependencies
                          .tokens()
                          .verify(
                              candidate,
                              command.getPeerId(),
                              request.getSt(),
                              dependencies.clock().instant())
                          .isPresent())
              .findFirst();
      if (signer.isPresent()) {
        return signer;
      }
    }
    return nodeSettings.apps().size() == 1
        ? nodeSettings.apps().values().stream().findFirst()
        : Optional.empty();
  }

  /** A planned logout: the socket stays open for the other clients on it (§5.2). */
  private Behavior<Command> onClose(GenericCommand command, LoggedIn session) {
    sessions.remove(session.clientId());
    rates.forget(session.clientId());
    dependencies.directory().unregister(app.appId(), session.clientId(), inbox);
    if (session.tagged()) {
      dependencies.presence().unregister(app.appId(), session.clientId(), kicks);
    }
    conversations.loggedOut(session.clientId());
    messages.loggedOut(session.clientId());
    messages.flushAcks();
    getContext().getLog().debug("{} logged out on {}", session.clientId(), remoteAddress);
    presenceHooks.offline(
        app.appId(), session.clientId(), PresenceHooks.LOGOUT, remoteAddress, session.tag(), null);
    return send(Replies.closed(command, session.clientId()));
  }

  private Behavior<Command> onRefresh(GenericCommand command, LoggedIn session) {
    String token =
        dependencies
            .tokens()
            .issue(
                app,
                session.clientId(),
                session.tag(),
                session.deviceId(),
                dependencies.clock().instant());
    return send(Replies.refreshed(command, session.clientId(), token, dependencies.tokens().ttl()));
  }

  /**
   * session/query (§5.4): which of up to {@code online-query-ids} clients are online anywhere in
   * the cluster.
   */
  private Behavior<Command> onOnlineQuery(GenericCommand command, LoggedIn session) {
    List<String> asked = command.getSessionMessage().getSessionPeerIdsList();
    int most = dependencies.settings().limits().onlineQueryIds();
    if (asked.size() > most) {
      return refuse(
          command,
          session.clientId(),
          ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED,
          "at most " + most + " ids per session/query");
    }
    getContext()
        .pipeToSelf(
            dependencies.directory().online(app.appId(), asked),
            (online, failure) -> {
              SessionCommand.Builder result = SessionCommand.newBuilder();
              for (String id : asked) {
                if (failure == null && online.contains(id)) {
                  result.addOnlineSessionPeerIds(id);
                }
              }
              return new Emit(
                  Replies.replyTo(
                          command, CommandType.session, OpType.query_result, session.clientId())
                      .setSessionMessage(result)
                      .build());
            });
    return this;
  }

  private Behavior<Command> onDelivery(Delivery delivery) {
    if (!sessions.containsKey(delivery.clientId()) || isEcho(delivery)) {
      return this;
    }
    Notice notice = delivery.notice();
    if (notice instanceof Notice.SessionClosed closed) {
      return onKicked(
          new Kicked(
              new ClientPresence.Kicked(delivery.clientId(), closed.code(), closed.reason())));
    }
    boolean memberEvent =
        !(notice instanceof Notice.Message
            || notice instanceof Notice.Receipt
            || notice instanceof Notice.UnreadChanged
            || notice instanceof Notice.Patched);
    if (memberEvent && conversations.awaitingReply(notice.cid())) {
      deferred.computeIfAbsent(notice.cid(), cid -> new java.util.ArrayList<>()).add(delivery);
      return this;
    }
    String key = ownPushKey(delivery);
    if (key != null && !replied.containsKey(key) && awaitingOwnReply(notice)) {
      hold(key, delivery);
      return this;
    }
    return send(NoticeFrames.toPush(delivery.clientId(), notice));
  }

  /**
   * The reply key of a push that this very session's command caused for another client on this
   * socket (a socket-mate): {@code m:}message id or {@code p:}patch time; null for anything else,
   * and always while only one client is logged in here. Such a push can overtake the reply (the
   * conversation answers the ask and tells the node's directory separately, possibly from another
   * node over another lane), and a client that multiplexes its clients on one socket must see the
   * reply first (issue 9 point 4).
   */
  private String ownPushKey(Delivery delivery) {
    if (sessions.size() < 2) {
      return null;
    }
    Notice notice = delivery.notice();
    if (notice instanceof Notice.Message message
        && inbox.equals(message.origin())
        && !message.message().from().equals(delivery.clientId())) {
      return "m:" + message.message().id();
    }
    if (notice instanceof Notice.Patched patched
        && inbox.equals(patched.origin())
        && !patched.message().from().equals(delivery.clientId())) {
      return "p:" + patched.message().patchTimestamp();
    }
    return null;
  }

  /** A reply that the push could belong to has not gone out yet. */
  private boolean awaitingOwnReply(Notice notice) {
    return notice instanceof Notice.Message
        ? messages.sendsInFlight() > 0
        : messages.patchesInFlight() > 0;
  }

  private void hold(String key, Delivery delivery) {
    held.computeIfAbsent(key, k -> new java.util.ArrayList<>(2)).add(delivery);
    heldCount++;
    while (heldCount > MAX_HELD) {
      // Bounded: the oldest held pushes go out as they are.
      var oldest = held.entrySet().iterator().next();
      held.remove(oldest.getKey());
      release(oldest.getValue());
    }
  }

  private void release(List<Delivery> deliveries) {
    heldCount -= deliveries.size();
    for (Delivery delivery : deliveries) {
      if (sessions.containsKey(delivery.clientId())) {
        send(NoticeFrames.toPush(delivery.clientId(), delivery.notice()));
      }
    }
  }

  /**
   * After a reply went out: the pushes held for its key follow it at once; while several clients
   * share the socket the key is remembered, so a push that arrives after its reply (the usual case)
   * is not held. Once no {@code direct} or {@code patch} of this session awaits an answer, nothing
   * is held any more (a reply lost to a timeout releases its pushes then).
   */
  private void afterReply(GenericCommand reply) {
    if (sessions.size() <= 1 && held.isEmpty()) {
      return; // one client on the socket: nothing of its own can overtake (the usual case, on every
      // ack)
    }
    String key = replyKey(reply);
    if (key != null) {
      if (sessions.size() > 1) {
        replied.put(key, Boolean.TRUE);
      }
      List<Delivery> waiting = held.remove(key);
      if (waiting != null) {
        release(waiting);
      }
    }
    if (!held.isEmpty() && messages.sendsInFlight() == 0 && messages.patchesInFlight() == 0) {
      List<List<Delivery>> rest = List.copyOf(held.values());
      held.clear();
      rest.forEach(this::release);
    }
  }

  /**
   * The key of an {@code ack} (its {@code uid}) or {@code patch/modified} reply (its {@code
   * lastPatchTime}).
   */
  private static String replyKey(GenericCommand reply) {
    if (reply.getCmd() == CommandType.ack
        && reply.hasAckMessage()
        && reply.getAckMessage().hasUid()) {
      return "m:" + reply.getAckMessage().getUid();
    }
    if (reply.getCmd() == CommandType.patch
        && reply.getOp() == OpType.modified
        && reply.hasPatchMessage()) {
      return "p:" + reply.getPatchMessage().getLastPatchTime();
    }
    return null;
  }

  /**
   * The session a message, read or patch came from does not get it back; the client's other devices
   * do.
   */
  private boolean isEcho(Delivery delivery) {
    Notice notice = delivery.notice();
    ActorRef<Delivery> self = inbox;
    if (notice instanceof Notice.Message message) {
      return self.equals(message.origin()) && message.message().from().equals(delivery.clientId());
    }
    if (notice instanceof Notice.UnreadChanged unread) {
      return self.equals(unread.origin());
    }
    if (notice instanceof Notice.Patched patched) {
      return self.equals(patched.origin()) && patched.message().from().equals(delivery.clientId());
    }
    return false;
  }

  /** §5.5: the kicked client's session ends (no will message); the socket stays for the others. */
  private Behavior<Command> onKicked(Kicked command) {
    ClientPresence.Kicked kicked = command.kicked();
    LoggedIn ended = sessions.remove(kicked.clientId());
    if (ended != null) {
      rates.forget(kicked.clientId());
      presenceHooks.offline(
          app.appId(),
          kicked.clientId(),
          kicked.is(ErrorCode.SESSION_CONFLICT)
              ? PresenceHooks.KICKED_BY_TAG
              : PresenceHooks.KICKED_BY_APP,
          remoteAddress,
          ended.tag(),
          null);
      dependencies.directory().unregister(app.appId(), kicked.clientId(), inbox);
      conversations.loggedOut(kicked.clientId());
      messages.loggedOut(kicked.clientId());
      send(
          GenericCommand.newBuilder()
              .setCmd(CommandType.session)
              .setOp(OpType.closed)
              .setPeerId(kicked.clientId())
              .setSessionMessage(
                  SessionCommand.newBuilder().setCode(kicked.code()).setReason(kicked.reason()))
              .build());
    }
    return this;
  }

  /**
   * An automatic re-login lost to the device that now holds the tag: error 4111, the old login
   * wins.
   */
  record LoginConflict(GenericCommand open, String clientId) implements Command {}

  private Behavior<Command> onLoginConflict(LoginConflict conflict) {
    sessions.remove(conflict.clientId());
    dependencies.directory().unregister(app.appId(), conflict.clientId(), inbox);
    GenericCommand open = conflict.open();
    metrics.loginRefused();
    return send(
        Replies.error(
            open.hasI() ? open.getI() : null,
            conflict.clientId(),
            ErrorCode.SESSION_CONFLICT,
            "another device holds this login"));
  }

  private Behavior<Command> onGoAway() {
    if (!closing) {
      send(GenericCommand.newBuilder().setCmd(CommandType.goaway).build());
      closing = true;
      goingAway = true;
      out.tell(new Outbound.Close(1001, "GOING_AWAY"));
      timers.cancelAll();
      timers.startSingleTimer(ClosingTimedOut.INSTANCE, CLOSING_GRACE);
    }
    return this;
  }

  private Behavior<Command> onRefresh() {
    if (app != null) {
      // Re-registration heals presence; it is never a new login, so it never conflicts.
      sessions.values().stream()
          .filter(LoggedIn::tagged)
          .forEach(login -> dependencies.presence().refresh(app.appId(), login.clientId(), kicks));
      conversations.refresh();
    }
    return this;
  }

  private Behavior<Command> onLoggedInCommand(GenericCommand command) {
    Optional<LoggedIn> session = resolve(command);
    if (session.isEmpty()) {
      return sessionRequired(command);
    }
    ClientRates.Kind kind = ClientRates.kindOf(command);
    if (kind == ClientRates.Kind.RECEIPTS
        && !rates.tryTake(session.get().clientId(), kind, ClientRates.idsNamed(command))) {
      // Acks and reads are cumulative positions: one over the rate is skipped (a later one carries
      // it), never
      // refused, so a busy client is never disconnected for acking what it receives. Requests with
      // `i` get
      // their usual empty answer.
      if (command.hasI()) {
        send(Replies.replyTo(command, command.getCmd(), null, session.get().clientId()).build());
      }
      return this;
    }
    if (kind != null
        && kind != ClientRates.Kind.RECEIPTS
        && !rates.tryTake(session.get().clientId(), kind, ClientRates.idsNamed(command))) {
      return overRate(command, session.get().clientId(), kind);
    }
    Optional<SignedRequest> signed = SignedRequest.of(app, session.get().clientId(), command);
    if (signed.isPresent()) {
      String clientId = session.get().clientId();
      Integer requestId = command.hasI() ? command.getI() : null;
      getContext()
          .pipeToSelf(
              dependencies.signatures().verify(app, signed.get()),
              (verdict, failure) ->
                  verdict != null && verdict.accepted()
                      ? new RequestVerified(command, clientId)
                      : new Emit(refusal(requestId, clientId, signed.get(), verdict)));
      return this;
    }
    return route(command, session.get());
  }

  /** A signed request was accepted: routed now, if its client is still logged in here. */
  private Behavior<Command> onRequestVerified(RequestVerified verified) {
    LoggedIn session = sessions.get(verified.clientId());
    if (session == null || closing) {
      return sessionRequired(verified.command());
    }
    return route(verified.command(), session);
  }

  private Behavior<Command> route(GenericCommand command, LoggedIn session) {
    if (routes.route(app.appId(), session.clientId(), command)) {
      return this;
    }
    if (command.hasI()) {
      send(Replies.unsupported(command, session.clientId()));
    }
    return this;
  }

  /** Over its rate (§17): refused with 4116, a {@code direct} in its ack as the SDKs expect. */
  private Behavior<Command> overRate(
      GenericCommand command, String clientId, ClientRates.Kind kind) {
    return refuse(
        command,
        clientId,
        ErrorCode.MESSAGE_SENT_QUOTA_EXCEEDED,
        "over the rate of "
            + kind.name().toLowerCase(java.util.Locale.ROOT)
            + " requests per minute, retry later");
  }

  /**
   * A request refused for a limit: answered with {@code code} when it has an {@code i}; a
   * connection refused more than {@code refusals-per-minute} times is closed with 4116 (the others
   * on the node are not affected).
   */
  private Behavior<Command> refuse(
      GenericCommand command, String clientId, ErrorCode code, String detail) {
    if (command.hasI()) {
      send(
          command.getCmd() == CommandType.direct
              ? Replies.replyTo(command, CommandType.ack, null, clientId)
                  .setAckMessage(
                      io.parley.protocol.wire.AckCommand.newBuilder()
                          .setCode(code.code())
                          .setReason(code.reason()))
                  .build()
              : Replies.error(command.getI(), clientId, code, detail));
      return this; // send counted the refusal
    }
    if (command.getCmd() == CommandType.session && command.getOp() == OpType.open) {
      // The Java SDK re-opens without `i` and expects the error with the peerId (§16.1).
      send(Replies.error(null, clientId, code, detail));
      return this;
    }
    return countRefusal();
  }

  private Behavior<Command> countRefusal() {
    if (!rates.refused() && !closing) {
      LOG.info(
          "Closing {}: over {} refused requests per minute",
          remoteAddress,
          dependencies.settings().limits().refusalsPerMinute());
      return close(ErrorCode.MESSAGE_SENT_QUOTA_EXCEEDED, "too many refused requests");
    }
    return this;
  }

  private Behavior<Command> sessionRequired(GenericCommand command) {
    if (command.hasI()) {
      send(
          Replies.error(
              command.getI(),
              command.hasPeerId() ? command.getPeerId() : null,
              ErrorCode.SESSION_REQUIRED,
              "no open session" + (command.hasPeerId() ? " for " + command.getPeerId() : "")));
    }
    return this;
  }

  /** §3.3: the named session, or the first one opened on this connection that is still open. */
  private Optional<LoggedIn> resolve(GenericCommand command) {
    if (command.hasPeerId()) {
      return Optional.ofNullable(sessions.get(command.getPeerId()));
    }
    return sessions.values().stream().findFirst();
  }

  private Behavior<Command> onLoginTimedOut() {
    if (sessions.isEmpty() && !closing) {
      return close(
          ErrorCode.LOGIN_TIMEOUT, "no login within " + settings.loginTimeout().toSeconds() + " s");
    }
    return this;
  }

  private Behavior<Command> onIdleCheck() {
    long idleNanos = System.nanoTime() - lastInboundNanos.get();
    if (!closing && idleNanos > settings.readIdleTimeout().toNanos()) {
      return close(
          ErrorCode.READ_TIMEOUT, "no frame for " + settings.readIdleTimeout().toSeconds() + " s");
    }
    return this;
  }

  private Behavior<Command> onStreamEnded() {
    // The connection died without a session/close for these clients: their will messages go out
    // (§7.6).
    if (!sessions.isEmpty() && !goingAway) {
      messages.connectionLost();
    }
    getContext()
        .getLog()
        .debug("Connection from {} ended with {} session(s) open", remoteAddress, sessions.size());
    return Behaviors.stopped();
  }

  /** However the actor ends, this node stops delivering to it. */
  private Behavior<Command> onStopped() {
    if (app != null) {
      sessions
          .keySet()
          .forEach(clientId -> dependencies.directory().unregister(app.appId(), clientId, inbox));
      sessions
          .values()
          .forEach(
              login ->
                  presenceHooks.offline(
                      app.appId(),
                      login.clientId(),
                      PresenceHooks.CONNECTION_LOST,
                      remoteAddress,
                      login.tag(),
                      closedWith));
    }
    conversations.stopped();
    messages.flushAcks();
    return this;
  }

  private Behavior<Command> send(GenericCommand command) {
    if (closing) {
      return this;
    }
    if (getContext().getLog().isTraceEnabled()) {
      getContext().getLog().trace("{} -> {}", remoteAddress, command);
    }
    out.tell(new Outbound.Send(codec.encode(command)));
    count(command);
    if (ClientIds.isQuotaRefusal(command)) {
      countRefusal();
    }
    if (command.hasI()) {
      String settled = conversations.answered(command.getI());
      List<Delivery> waiting = settled == null ? null : deferred.remove(settled);
      if (waiting != null) {
        waiting.forEach(
            delivery -> send(NoticeFrames.toPush(delivery.clientId(), delivery.notice())));
      }
    }
    afterReply(command);
    return this;
  }

  /** What the metrics count of a frame going out: pushes, logins and every refusal by its code. */
  private void count(GenericCommand command) {
    switch (command.getCmd()) {
      case direct -> metrics.messageOut();
      case error -> metrics.refused("error", command.getErrorMessage().getCode());
      case ack -> {
        if (command.hasAckMessage() && command.getAckMessage().hasCode()) {
          metrics.refused("ack", command.getAckMessage().getCode());
        }
      }
      case session -> {
        if (command.getOp() == OpType.opened) {
          metrics.loginOpened();
        } else if (command.getOp() == OpType.closed && command.getSessionMessage().hasCode()) {
          // With an `i` it answers a login (4100 unknown app), without one it ends a session (4111,
          // 4115).
          metrics.refused(command.hasI() ? "error" : "kick", command.getSessionMessage().getCode());
        }
      }
      default -> {}
    }
  }

  /**
   * Closes with a LeanCloud code; waits for the stream to end (bounded) so the close frame gets
   * out.
   */
  private Behavior<Command> close(ErrorCode code, String detail) {
    if (!closing) {
      closing = true;
      closedWith = code;
      metrics.refused("close", code.code());
      getContext()
          .getLog()
          .debug("Closing {} with {} {}: {}", remoteAddress, code.code(), code.reason(), detail);
      out.tell(new Outbound.Close(code.code(), code.reason()));
      timers.cancelAll();
      timers.startSingleTimer(ClosingTimedOut.INSTANCE, CLOSING_GRACE);
    }
    return this;
  }

  private static String generatedClientId() {
    return UUID.randomUUID().toString();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
