package io.parley.node.presence;

import io.parley.node.conversation.Notice;
import io.parley.node.serialization.CborSerializable;
import io.parley.node.session.SessionActor;
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
 * Where one client ({@code appId:clientId}) is online right now: a sharded, <b>non-persistent</b> entity
 * holding the session actors (on any node, any number of devices) that have this client logged in.
 * Conversations deliver to members through it, so nothing writes to a database per member and no actor
 * knows every session. Sharding passivates it when idle. Sessions re-register periodically, which rebuilds the set after a node crash or a
 * shard move; dead sessions are dropped through death watch.
 */
public final class ClientPresence extends AbstractBehavior<ClientPresence.Command> {

  public sealed interface Command extends CborSerializable {}

  /** A session has this client logged in and receives its notices; acknowledged with {@link Registered}. */
  public record Register(ActorRef<SessionActor.Command> session, ActorRef<Registered> replyTo) implements Command {}

  public record Registered(String clientId) implements CborSerializable {}

  /** The client logged out of that session. */
  public record Unregister(ActorRef<SessionActor.Command> session) implements Command {}

  /** Hands {@code notice} to every session of this client. */
  public record Deliver(Notice notice) implements Command {}

  /** Replies whether at least one session has this client logged in. */
  public record IsOnline(ActorRef<Online> replyTo) implements Command {}

  public record Online(String clientId, boolean online) implements CborSerializable {}

  private record SessionTerminated(ActorRef<SessionActor.Command> session) implements Command {}

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "ClientPresence");

  private final String clientId;
  private final Set<ActorRef<SessionActor.Command>> sessions = new HashSet<>();

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId())));
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
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(IsOnline.class, this::onIsOnline)
        .build();
  }

  private Behavior<Command> onRegister(Register register) {
    if (sessions.add(register.session())) {
      getContext().watchWith(register.session(), new SessionTerminated(register.session()));
    }
    register.replyTo().tell(new Registered(clientId));
    return this;
  }

  private Behavior<Command> forget(ActorRef<SessionActor.Command> session) {
    if (sessions.remove(session)) {
      getContext().unwatch(session);
    }
    return this;
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    SessionActor.Delivery delivery = new SessionActor.Delivery(clientId, deliver.notice());
    sessions.forEach(session -> session.tell(delivery));
    if (getContext().getLog().isTraceEnabled()) {
      getContext().getLog().trace("{} to {} session(s) of {}", deliver.notice(), sessions.size(), clientId);
    }
    return this;
  }

  private Behavior<Command> onIsOnline(IsOnline query) {
    query.replyTo().tell(new Online(clientId, !sessions.isEmpty()));
    return this;
  }

  /** Presence through Cluster Sharding: how sessions register and conversations reach members. */
  public static final class Directory implements SessionActor.Presence {
    private final ClusterSharding sharding;
    private final java.time.Duration askTimeout;

    public Directory(ClusterSharding sharding, java.time.Duration askTimeout) {
      this.sharding = sharding;
      this.askTimeout = askTimeout;
    }

    @Override
    public java.util.concurrent.CompletionStage<org.apache.pekko.Done> register(
        String appId, String clientId, ActorRef<SessionActor.Command> session) {
      return sharding.entityRefFor(ENTITY_KEY, entityId(appId, clientId))
          .<Registered>ask(replyTo -> new Register(session, replyTo), askTimeout)
          .thenApply(registered -> org.apache.pekko.Done.getInstance());
    }

    @Override
    public void unregister(String appId, String clientId, ActorRef<SessionActor.Command> session) {
      sharding.entityRefFor(ENTITY_KEY, entityId(appId, clientId)).tell(new Unregister(session));
    }

    @Override
    public java.util.concurrent.CompletionStage<Boolean> isOnline(String appId, String clientId) {
      return sharding.entityRefFor(ENTITY_KEY, entityId(appId, clientId))
          .<Online>ask(IsOnline::new, askTimeout)
          .thenApply(Online::online);
    }

    /** Sends {@code notice} to each client's presence entity, for conversations of {@code appId}. */
    public void deliver(String appId, List<String> clientIds, Notice notice) {
      for (String client : clientIds) {
        sharding.entityRefFor(ENTITY_KEY, entityId(appId, client)).tell(new Deliver(notice));
      }
    }
  }
}
