package io.parley.node.session;

import io.parley.node.conversation.Delivery;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.SessionCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The IM clients logged in on one socket, owned by its {@link SessionActor}: the app they belong
 * to, and their registrations with the node from login to logout, kick or the socket's end: this
 * node's directory (what reaches them), the cluster's presence (single-device login, tagged logins
 * only), the presence hooks, and the handlers' and rate limiter's per-client state. It answers no
 * frame itself: the actor and {@link Login} decide, this class keeps the books.
 */
final class SocketClients {

  /** One client logged in on the socket. */
  record LoggedIn(String clientId, String tag, String deviceId) {
    /** Only tagged logins take part in single-device login (§5.1 step 4). */
    boolean tagged() {
      return tag != null && !tag.isEmpty() && !tag.equals("default");
    }
  }

  /** In login order: the first one answers for requests without peerId. */
  private final Map<String, LoggedIn> logins = new LinkedHashMap<>();

  private final NodeDirectory directory;
  private final ClientPresence.Directory presence;
  private final PresenceHooks hooks;
  private final ClientRates rates;
  private final ConversationCommands conversations;
  private final MessageCommands messages;

  /** This session as conversations and this node's directory know it. */
  private final ActorRef<Delivery> inbox;

  /** Where the cluster's presence tells this session that another device took a tagged login. */
  private final ActorRef<ClientPresence.Kicked> kicks;

  private final String remoteAddress;
  private final int protocolVersion;

  /** The connection's app: set by the first login (or the Java SDK's push-service login). */
  private NodeSettings.App app;

  SocketClients(
      SessionDependencies dependencies,
      ClientRates rates,
      ConversationCommands conversations,
      MessageCommands messages,
      ActorRef<Delivery> inbox,
      ActorRef<ClientPresence.Kicked> kicks,
      String remoteAddress,
      int protocolVersion) {
    this.directory = dependencies.directory();
    this.presence = dependencies.presence();
    this.hooks = new PresenceHooks(dependencies.hooks());
    this.rates = rates;
    this.conversations = conversations;
    this.messages = messages;
    this.inbox = inbox;
    this.kicks = kicks;
    this.remoteAddress = remoteAddress;
    this.protocolVersion = protocolVersion;
  }

  NodeSettings.App app() {
    return app;
  }

  void app(NodeSettings.App app) {
    this.app = app;
  }

  /** The logged-in clients by clientId, live (read by the {@link DeliveryGate}). */
  Map<String, LoggedIn> byId() {
    return logins;
  }

  boolean isEmpty() {
    return logins.isEmpty();
  }

  int size() {
    return logins.size();
  }

  boolean contains(String clientId) {
    return logins.containsKey(clientId);
  }

  /** The client logged in here as {@code clientId}, or null. */
  LoggedIn get(String clientId) {
    return logins.get(clientId);
  }

  /** §3.3: the named client, or the first one logged in here that still is; null if none. */
  LoggedIn resolve(GenericCommand command) {
    if (command.hasPeerId()) {
      return logins.get(command.getPeerId());
    }
    return logins.isEmpty() ? null : logins.values().iterator().next();
  }

  /**
   * An accepted login; true when the client is new on this socket, which makes it reachable here at
   * once (a notice sent right after its {@code opened} must find it).
   */
  boolean accept(LoggedIn login) {
    boolean first = logins.put(login.clientId(), login) == null;
    if (first) {
      directory.register(app.appId(), login.clientId(), inbox);
    }
    return first;
  }

  /** A tagged login claims its tag in the cluster: false when another device holds it. */
  CompletionStage<Boolean> claimTag(LoggedIn login, boolean reconnect) {
    return presence.register(
        app.appId(), login.clientId(), kicks, login.tag(), login.deviceId(), reconnect);
  }

  /** A new client on this socket: its offline messages and unread counts, and the online hook. */
  void loggedIn(LoggedIn login, SessionCommand request) {
    messages.afterLogin(app.appId(), login.clientId(), protocolVersion, request.getLastPatchTime());
    hooks.online(app.appId(), login.clientId(), remoteAddress, login.tag(), request.getR());
  }

  /** A login that lost its tag to another device is undone (it was never reported online). */
  void lostTag(String clientId) {
    logins.remove(clientId);
    directory.unregister(app.appId(), clientId, inbox);
  }

  /** A planned logout (§5.2): the client leaves, the socket stays for the others. */
  void logout(LoggedIn login) {
    logins.remove(login.clientId());
    rates.forget(login.clientId());
    directory.unregister(app.appId(), login.clientId(), inbox);
    if (login.tagged()) {
      presence.unregister(app.appId(), login.clientId(), kicks);
    }
    conversations.loggedOut(login.clientId());
    messages.loggedOut(login.clientId());
    messages.flushAcks();
    hooks.offline(
        app.appId(), login.clientId(), PresenceHooks.LOGOUT, remoteAddress, login.tag(), null);
  }

  /**
   * Another device took the tag, or the app kicked the client (§5.5): it leaves without a will
   * message; returns whether it was logged in here.
   */
  boolean kicked(ClientPresence.Kicked kicked) {
    LoggedIn ended = logins.remove(kicked.clientId());
    if (ended == null) {
      return false;
    }
    rates.forget(kicked.clientId());
    hooks.offline(
        app.appId(),
        kicked.clientId(),
        kicked.is(ErrorCode.SESSION_CONFLICT)
            ? PresenceHooks.KICKED_BY_TAG
            : PresenceHooks.KICKED_BY_APP,
        remoteAddress,
        ended.tag(),
        null);
    directory.unregister(app.appId(), kicked.clientId(), inbox);
    conversations.loggedOut(kicked.clientId());
    messages.loggedOut(kicked.clientId());
    return true;
  }

  /**
   * Renews the registrations (tagged presence, chatrooms), healing entities that moved or
   * restarted; a renewal is never a new login, so it never conflicts.
   */
  void renew() {
    for (LoggedIn login : logins.values()) {
      if (login.tagged()) {
        presence.refresh(app.appId(), login.clientId(), kicks);
      }
    }
    conversations.refresh();
  }

  /**
   * The socket's actor stopped: this node stops delivering to its clients; {@code closedWith}: the
   * server's close code, for {@code _clientOffline} (null: not closed by the server).
   */
  void stopped(ErrorCode closedWith) {
    for (LoggedIn login : logins.values()) {
      directory.unregister(app.appId(), login.clientId(), inbox);
      hooks.offline(
          app.appId(),
          login.clientId(),
          PresenceHooks.CONNECTION_LOST,
          remoteAddress,
          login.tag(),
          closedWith);
    }
    conversations.stopped();
    messages.flushAcks();
  }
}
