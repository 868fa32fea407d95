package io.parley.node.session;

import io.parley.node.metrics.NodeMetrics;
import io.parley.node.presence.ClientPresence;
import io.parley.node.security.WarmUpApp;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The {@code session} commands of one socket, owned by its {@link SessionActor}, and the Java SDK's
 * push-service {@code login}. A {@code session/open} (docs/protocol.md §5.1) is checked against the
 * app, the clientId rules and the login limits, then its credentials ({@link Credentials}, possibly
 * asynchronously: {@link SessionActor.LoginChecked}); a tagged login claims its tag in the cluster
 * ({@link SessionActor.PresenceRegistered}), and the client is in ({@link SocketClients}). {@code
 * session/close} logs a client out (§5.2), {@code refresh} renews its token (§14.7), {@code query}
 * asks who is online (§5.4). Each step returns the actor's next behavior and answers through the
 * actor's {@code reply}, {@code send} and {@code close}; the actor's messages stay the actor's.
 */
final class SessionCommands {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SessionCommands.class);

  private final SessionActor session;
  private final ActorContext<SessionActor.Command> context;
  private final SessionDependencies dependencies;
  private final Credentials credentials;
  private final SocketClients clients;
  private final ClientRates rates;
  private final Refusals refusals;
  private final NodeMetrics metrics;
  private final String remoteAddress;

  /** The unknown app a Java SDK named in its push-service login: its session/open gets 4100. */
  private String unknownApp;

  SessionCommands(
      SessionActor session,
      ActorContext<SessionActor.Command> context,
      SessionDependencies dependencies,
      Credentials credentials,
      SocketClients clients,
      ClientRates rates,
      Refusals refusals,
      NodeMetrics metrics,
      String remoteAddress) {
    this.session = session;
    this.context = context;
    this.dependencies = dependencies;
    this.credentials = credentials;
    this.clients = clients;
    this.rates = rates;
    this.refusals = refusals;
    this.metrics = metrics;
    this.remoteAddress = remoteAddress;
  }

  /**
   * A {@code session} command: {@code open} logs a client in; the others name a client logged in
   * here (§3.3) and count against its rate (§17).
   */
  Behavior<SessionActor.Command> onSessionCommand(GenericCommand command) {
    OpType op = command.getOp();
    if (op == OpType.open) {
      return onOpen(command);
    }
    SocketClients.LoggedIn login = clients.resolve(command);
    if (login == null) {
      return refusals.sessionRequired(command);
    }
    ClientRates.Kind kind = ClientRates.kindOf(command);
    if (kind != null && !rates.tryTake(login.clientId(), kind, 1)) {
      return refusals.overRate(command, login.clientId(), kind);
    }
    return switch (op) {
      case close -> onClose(command, login);
      case refresh -> onTokenRefresh(command, login);
      case query -> onOnlineQuery(command, login);
      default -> session.reply(Replies.unsupported(command, login.clientId()));
    };
  }

  /**
   * The Java SDK's push-service login (§3.4): accepted, no reply. It opens no session, so it does
   * not stop the login timeout: a connection that never opens a session is closed with 4108 all the
   * same.
   */
  Behavior<SessionActor.Command> onPushServiceLogin(GenericCommand command) {
    if (command.hasAppId() && !command.getAppId().isEmpty()) {
      Optional<NodeSettings.App> named = dependencies.settings().app(command.getAppId());
      if (named.isEmpty()) {
        // Answered at the session/open that follows, in the frame the SDK reports at once (§16.1).
        unknownApp = command.getAppId();
        return Behaviors.same();
      }
      if (clients.app() == null) {
        clients.app(named.get());
      }
    }
    return Behaviors.same();
  }

  private Behavior<SessionActor.Command> onOpen(GenericCommand command) {
    NodeSettings.App app = clients.app();
    if (command.hasAppId()
        && !command.getAppId().isEmpty()
        && app != null
        && !app.appId().equals(command.getAppId())) {
      return session.close(ErrorCode.APP_NOT_AVAILABLE, "this connection belongs to another app");
    }
    Optional<NodeSettings.App> requested = credentials.appOf(command, app, unknownApp);
    if (requested.isEmpty()) {
      metrics.loginRefused();
      return appNotAvailable(command);
    }
    app = requested.get();
    clients.app(app);
    int maxLength = dependencies.settings().session().maxClientIdLength();
    String clientId = command.hasPeerId() ? command.getPeerId() : UUID.randomUUID().toString();
    if (!ClientIds.valid(clientId, maxLength)) {
      String detail = ClientIds.rule(maxLength);
      metrics.loginRefused();
      return command.hasI()
          ? session.reply(
              Replies.error(command.getI(), command.getPeerId(), ErrorCode.INVALID_LOGIN, detail))
          : session.close(ErrorCode.INVALID_LOGIN, detail);
    }
    int most = dependencies.settings().limits().sessionsPerConnection();
    if (!clients.contains(clientId) && clients.size() >= most) {
      metrics.loginRefused();
      return refusals.refuse(
          command,
          clientId,
          ErrorCode.APP_QUOTA_EXCEEDED,
          "at most " + most + " clients per connection");
    }
    // The node's own warm-up logs in thousands of clients from one address before it is ready.
    if (!WarmUpApp.isWarmUp(app) && !dependencies.logins().tryLogin(remoteAddress)) {
      metrics.loginRefused();
      return refusals.refuse(
          command,
          clientId,
          ErrorCode.APP_QUOTA_EXCEEDED,
          "too many logins from this address, retry later");
    }
    SessionCommand request = command.getSessionMessage();
    CompletionStage<Credentials.Check> check =
        credentials.checkLogin(
            app,
            clientId,
            command,
            request.hasTag() ? request.getTag() : null,
            request.hasDeviceId() ? request.getDeviceId() : null);
    if (check instanceof CompletableFuture<Credentials.Check> known && known.isDone()) {
      // No token and no signature to check (or a token refused at once): answered in this turn.
      return onLoginChecked(new SessionActor.LoginChecked(command, clientId, known.join()));
    }
    context.pipeToSelf(
        check, (checked, failure) -> new SessionActor.LoginChecked(command, clientId, checked));
    return Behaviors.same();
  }

  /**
   * Unknown or disabled app (§16.2, 4100), reported at once by every SDK, then the connection
   * closes with 4100 (fatal for JS: no reconnect). An open that names the app (JS, .NET) gets
   * {@code session/closed} with the code and the request's {@code i}; the Java SDK named it only in
   * its push-service login and settles its open only on an {@code error} with that {@code i} (it
   * ignores {@code session/closed} there): docs/protocol.md §16.1.
   */
  private Behavior<SessionActor.Command> appNotAvailable(GenericCommand command) {
    boolean namedInOpen = command.hasAppId() && !command.getAppId().isEmpty();
    String detail = "unknown appId " + (namedInOpen ? command.getAppId() : unknownApp);
    Integer requestId = command.hasI() ? command.getI() : null;
    String peerId = command.hasPeerId() ? command.getPeerId() : null;
    if (!namedInOpen && unknownApp != null) {
      session.send(Replies.error(requestId, peerId, ErrorCode.APP_NOT_AVAILABLE, detail));
      return session.close(ErrorCode.APP_NOT_AVAILABLE, detail);
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
    if (requestId != null) {
      closed.setI(requestId);
    }
    if (peerId != null) {
      closed.setPeerId(peerId);
    }
    session.send(closed.build());
    return session.close(ErrorCode.APP_NOT_AVAILABLE, detail);
  }

  /**
   * The login's credentials were checked: refused with its error, or accepted and the session
   * opens.
   */
  Behavior<SessionActor.Command> onLoginChecked(SessionActor.LoginChecked checked) {
    GenericCommand command = checked.open();
    String clientId = checked.clientId();
    if (!(checked.check() instanceof Credentials.Accepted accepted)) {
      Credentials.Refused refused =
          checked.check() instanceof Credentials.Refused known
              ? known
              : new Credentials.Refused(ErrorCode.INTERNAL_ERROR, "login check failed, retry");
      metrics.loginRefused();
      return session.reply(
          Replies.error(
              command.hasI() ? command.getI() : null, clientId, refused.code(), refused.detail()));
    }
    SessionCommand request = command.getSessionMessage();
    SocketClients.LoggedIn login =
        new SocketClients.LoggedIn(clientId, accepted.tag(), accepted.deviceId());
    NodeSettings.App app = clients.app();
    if (WarmUpApp.isWarmUp(app)) {
      rates.lift(); // the node's own warm-up, signed with its key: sends in bursts like a busy app
    }
    // A new client is reachable before `opened` goes out: a notice sent right after it finds it.
    boolean firstLogin = clients.accept(login);
    LOG.debug("{} logged in on {} (re-login: {})", clientId, remoteAddress, request.getR());
    String token = credentials.issue(app, clientId, login.tag(), login.deviceId());
    GenericCommand opened =
        Replies.opened(
            command, clientId, token, credentials.tokenTtl(), dependencies.clock().millis());
    if (!firstLogin) {
      return session.reply(opened);
    }
    if (!login.tagged()) {
      clients.loggedIn(login, request);
      return session.reply(opened);
    }
    context.pipeToSelf(
        clients.claimTag(login, request.getR()),
        (registered, failure) ->
            new SessionActor.PresenceRegistered(command, clientId, opened, registered, failure));
    return Behaviors.same();
  }

  /**
   * A tagged login's presence answered: it is in (late registrations too: the renewal heals them),
   * or it lost to the device that now holds the tag (error 4111, the old login wins).
   */
  Behavior<SessionActor.Command> onPresenceRegistered(SessionActor.PresenceRegistered registered) {
    SocketClients.LoggedIn login = clients.get(registered.clientId());
    if (login == null) {
      return Behaviors.same();
    }
    if (registered.failure() != null) {
      LOG.warn(
          "Presence registration of {} is late: {}",
          registered.clientId(),
          registered.failure().toString());
    } else if (!registered.accepted()) {
      return onLoginConflict(registered.open(), registered.clientId());
    }
    clients.loggedIn(login, registered.open().getSessionMessage());
    return session.reply(registered.opened());
  }

  private Behavior<SessionActor.Command> onLoginConflict(GenericCommand open, String clientId) {
    clients.lostTag(clientId);
    metrics.loginRefused();
    return session.reply(
        Replies.error(
            open.hasI() ? open.getI() : null,
            clientId,
            ErrorCode.SESSION_CONFLICT,
            "another device holds this login"));
  }

  /** session/refresh (§14.7): a new session token for the client. */
  private Behavior<SessionActor.Command> onTokenRefresh(
      GenericCommand command, SocketClients.LoggedIn login) {
    String token =
        credentials.issue(clients.app(), login.clientId(), login.tag(), login.deviceId());
    return session.reply(
        Replies.refreshed(command, login.clientId(), token, credentials.tokenTtl()));
  }

  /** A planned logout: the socket stays open for the other clients on it (§5.2). */
  private Behavior<SessionActor.Command> onClose(
      GenericCommand command, SocketClients.LoggedIn login) {
    clients.logout(login);
    LOG.debug("{} logged out on {}", login.clientId(), remoteAddress);
    return session.reply(Replies.closed(command, login.clientId()));
  }

  /**
   * session/query (§5.4): which of up to {@code online-query-ids} clients are online anywhere in
   * the cluster.
   */
  private Behavior<SessionActor.Command> onOnlineQuery(
      GenericCommand command, SocketClients.LoggedIn login) {
    List<String> asked = command.getSessionMessage().getSessionPeerIdsList();
    int most = dependencies.settings().limits().onlineQueryIds();
    if (asked.size() > most) {
      return refusals.refuse(
          command,
          login.clientId(),
          ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED,
          "at most " + most + " ids per session/query");
    }
    context.pipeToSelf(
        dependencies.directory().online(clients.app().appId(), asked),
        (online, failure) ->
            new SessionActor.Emit(onlineResult(command, login.clientId(), asked, online)));
    return Behaviors.same();
  }

  /**
   * Another device took the tag, or the app kicked the client (§5.5): its session ends with {@code
   * session/closed} (no will message); the socket stays for the others.
   */
  Behavior<SessionActor.Command> onKicked(ClientPresence.Kicked kicked) {
    if (clients.kicked(kicked)) {
      session.send(
          GenericCommand.newBuilder()
              .setCmd(CommandType.session)
              .setOp(OpType.closed)
              .setPeerId(kicked.clientId())
              .setSessionMessage(
                  SessionCommand.newBuilder().setCode(kicked.code()).setReason(kicked.reason()))
              .build());
    }
    return Behaviors.same();
  }

  /** The ids asked that are online, in the order asked (none when the directory did not answer). */
  private static GenericCommand onlineResult(
      GenericCommand command, String clientId, List<String> asked, Set<String> online) {
    SessionCommand.Builder result = SessionCommand.newBuilder();
    for (String id : asked) {
      if (online != null && online.contains(id)) {
        result.addOnlineSessionPeerIds(id);
      }
    }
    return Replies.replyTo(command, CommandType.session, OpType.query_result, clientId)
        .setSessionMessage(result)
        .build();
  }
}
