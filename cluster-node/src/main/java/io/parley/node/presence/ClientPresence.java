package io.parley.node.presence;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Residency;
import io.parley.node.serialization.CborSerializable;
import io.parley.protocol.ErrorCode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The arbiter of single-device login (§5.1 step 4) for one client ({@code appId:clientId}): a
 * sharded, <b>non-persistent</b> entity holding the sessions, on any node, that logged this client
 * in with a tag. Only tagged logins come here (untagged ones never conflict); delivery does not go
 * through it (see {@link NodeDirectory}). Sharding passivates it when idle; sessions re-register
 * periodically, which rebuilds it after a node crash or a shard move; dead sessions are dropped
 * through death watch.
 */
public final class ClientPresence extends AbstractBehavior<ClientPresence.Command> {

  public sealed interface Command extends CborSerializable {}

  /**
   * A session has this client logged in and receives its notices; acknowledged with {@link
   * Registered}. {@code tag}/{@code deviceId} drive single-device login (§5.1 step 4): another
   * session with the same tag on another device is kicked, unless this is an automatic re-login
   * ({@code reconnect}), which then loses. {@code replyTo} is null for periodic renewals (an ignore
   * ref would not survive serialization).
   */
  public record Register(
      ActorRef<Kicked> session,
      String tag,
      String deviceId,
      boolean reconnect,
      ActorRef<Registered> replyTo)
      implements Command {}

  /** {@code conflict}: refused, another device holds the tag (the re-login gets 4111). */
  public record Registered(String clientId, boolean conflict) implements CborSerializable {}

  private record Login(String tag, String deviceId) {}

  /** The client logged out of that session. */
  public record Unregister(ActorRef<Kicked> session) implements Command {}

  /** Another device logged in with the same tag: the session's login of {@code clientId} ends. */
  public record Kicked(String clientId, int code, String reason) implements CborSerializable {
    public Kicked(String clientId, ErrorCode code) {
      this(clientId, code.code(), code.reason());
    }

    /** Whether the kick carries {@code code}. */
    public boolean is(ErrorCode code) {
      return this.code == code.code();
    }
  }

  private record SessionTerminated(ActorRef<Kicked> session) implements Command {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "ClientPresence");

  private final String clientId;
  private final Set<ActorRef<Kicked>> sessions = new HashSet<>();
  private final java.util.Map<ActorRef<Kicked>, Login> logins = new java.util.HashMap<>();

  /**
   * With at most {@code residency.limit()} arbiters per node, each stopped after its idle timeout.
   */
  public static void init(ActorSystem<?> system, Residency residency) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, context -> create(context.getEntityId()))
                .withSettings(residency.sharding(system)));
  }

  public static Behavior<Command> create(String entityId) {
    return Behaviors.setup(context -> new ClientPresence(context, entityId));
  }

  /** The entity id of {@code clientId} of {@code appId}. */
  public static String entityId(String appId, String clientId) {
    return appId + ":" + clientId;
  }

  private ClientPresence(ActorContext<Command> context, String entityId) {
    super(context);
    this.clientId = entityId.substring(entityId.indexOf(':') + 1);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
        .onMessage(Unregister.class, unregister -> forget(unregister.session()))
        .onMessage(SessionTerminated.class, terminated -> forget(terminated.session()))
        .build();
  }

  private Behavior<Command> onRegister(Register register) {
    boolean tagged =
        register.tag() != null && !register.tag().isEmpty() && !register.tag().equals("default");
    if (tagged) {
      List<ActorRef<Kicked>> rivals =
          logins.entrySet().stream()
              .filter(entry -> !entry.getKey().equals(register.session()))
              .filter(entry -> register.tag().equals(entry.getValue().tag()))
              .filter(
                  entry ->
                      register.deviceId() == null
                          || !register.deviceId().equals(entry.getValue().deviceId()))
              .map(java.util.Map.Entry::getKey)
              .toList();
      if (!rivals.isEmpty() && register.reconnect()) {
        if (register.replyTo() != null) {
          register.replyTo().tell(new Registered(clientId, true));
        }
        return this;
      }
      // The new login wins: the old devices are told their session is closed (4111).
      rivals.forEach(
          rival -> {
            rival.tell(new Kicked(clientId, ErrorCode.SESSION_CONFLICT));
            forget(rival);
          });
    }
    if (sessions.add(register.session())) {
      getContext().watchWith(register.session(), new SessionTerminated(register.session()));
    }
    if (register.tag() != null || !logins.containsKey(register.session())) {
      // A periodic re-registration carries no tag: it keeps what the login said.
      logins.put(register.session(), new Login(register.tag(), register.deviceId()));
    }
    if (register.replyTo() != null) {
      register.replyTo().tell(new Registered(clientId, false));
    }
    return this;
  }

  private Behavior<Command> forget(ActorRef<Kicked> session) {
    logins.remove(session);
    if (sessions.remove(session)) {
      getContext().unwatch(session);
    }
    return this;
  }

  /** Registrations through Cluster Sharding: how sessions take part in single-device login. */
  public static final class Directory {
    private final ClusterSharding sharding;
    private final java.time.Duration askTimeout;

    public Directory(ClusterSharding sharding, java.time.Duration askTimeout) {
      this.sharding = sharding;
      this.askTimeout = askTimeout;
    }

    /**
     * Completes when the client's presence knows this session: {@code true}, or {@code false} when
     * another device holds the login's tag and this automatic re-login lost (§5.1 step 4).
     */
    public java.util.concurrent.CompletionStage<Boolean> register(
        String appId,
        String clientId,
        ActorRef<Kicked> session,
        String tag,
        String deviceId,
        boolean reconnect) {
      return Futures.direct(
              sharding
                  .entityRefFor(ENTITY_KEY, entityId(appId, clientId))
                  .<Registered>ask(
                      replyTo -> new Register(session, tag, deviceId, reconnect, replyTo),
                      askTimeout))
          .thenApply(registered -> !registered.conflict());
    }

    /** Renews a registration without waiting for an answer (no tag: never a conflict). */
    public void refresh(String appId, String clientId, ActorRef<Kicked> session) {
      sharding
          .entityRefFor(ENTITY_KEY, entityId(appId, clientId))
          .tell(new Register(session, null, null, true, null));
    }

    public void unregister(String appId, String clientId, ActorRef<Kicked> session) {
      sharding.entityRefFor(ENTITY_KEY, entityId(appId, clientId)).tell(new Unregister(session));
    }
  }
}
