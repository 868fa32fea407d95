package io.parley.node.conversation;

import io.parley.node.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One conversation: a sharded, event-sourced entity that owns the conversation's truth (creator, ordered
 * members, attributes exactly as the SDK sent them). Entity ids are {@code appId:cid}, so apps never see
 * each other's conversations. Replies carry plain records, never wire types.
 */
public final class Conversation
    extends EventSourcedBehaviorWithEnforcedReplies<Conversation.Command, Conversation.Event, Conversation.State> {

  public sealed interface Command extends CborSerializable {}

  /**
   * Creates the conversation with {@code members} plus the creator; replies {@link Accepted} with the new
   * state, or {@link Rejected} if the id is taken.
   */
  public record Start(
      String creator,
      List<String> members,
      String attributesJson,
      boolean transientRoom,
      boolean unique,
      long timestamp,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** Replies {@link Accepted} with the current state, or {@link Rejected} when it does not exist. */
  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(Snapshot conversation) implements Reply {}

  /** A refusal with the LeanCloud error code the client must get. */
  public record Rejected(int code, String detail) implements Reply {}

  /** What readers see of a conversation. */
  public record Snapshot(
      String id,
      String creator,
      List<String> members,
      String attributesJson,
      boolean transientRoom,
      boolean unique,
      long createdAt,
      long updatedAt)
      implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record Started(
      String creator,
      List<String> members,
      String attributesJson,
      boolean transientRoom,
      boolean unique,
      long timestamp)
      implements Event {}

  /** Empty until {@link Started}; members keep their order and have no duplicates. */
  public record State(
      boolean exists,
      String creator,
      List<String> members,
      String attributesJson,
      boolean transientRoom,
      boolean unique,
      long createdAt,
      long updatedAt)
      implements CborSerializable {

    static State empty() {
      return new State(false, null, List.of(), "{}", false, false, 0, 0);
    }

    State started(Started event) {
      return new State(
          true,
          event.creator(),
          List.copyOf(event.members()),
          event.attributesJson(),
          event.transientRoom(),
          event.unique(),
          event.timestamp(),
          event.timestamp());
    }

    Snapshot snapshot(String id) {
      return new Snapshot(id, creator, members, attributesJson, transientRoom, unique, createdAt, updatedAt);
    }
  }

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Conversation");

  /** Error codes used in rejections (PROTOCOL.md §16.2). */
  static final int CONVERSATION_NOT_FOUND = 4303;

  static final int CONVERSATION_INTERNAL_ERROR = 4300;

  private final String entityId;

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId())));
  }

  public static Behavior<Command> create(String entityId) {
    return new Conversation(entityId);
  }

  /** The entity id of conversation {@code cid} of app {@code appId}. */
  public static String entityId(String appId, String cid) {
    return appId + ":" + cid;
  }

  private Conversation(String entityId) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.entityId = entityId;
  }

  private String cid() {
    return entityId.substring(entityId.indexOf(":") + 1);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(Get.class, this::onGet)
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Started.class, State::started).build();
  }

  private ReplyEffect<Event, State> onStart(State state, Start start) {
    if (state.exists()) {
      return Effect().reply(start.replyTo(), new Rejected(CONVERSATION_INTERNAL_ERROR, "conversation id already in use"));
    }
    // The initiator is always a member (§6.1), whether or not the SDK listed it.
    LinkedHashSet<String> unique = new LinkedHashSet<>(start.members());
    unique.add(start.creator());
    List<String> members = new ArrayList<>(unique);
    Started started =
        new Started(
            start.creator(), members, start.attributesJson(), start.transientRoom(), start.unique(), start.timestamp());
    return Effect()
        .persist(started)
        .thenReply(start.replyTo(), created -> new Accepted(created.snapshot(cid())));
  }

  private ReplyEffect<Event, State> onGet(State state, Get get) {
    if (!state.exists()) {
      return Effect().reply(get.replyTo(), new Rejected(CONVERSATION_NOT_FOUND, "no conversation " + cid()));
    }
    return Effect().reply(get.replyTo(), new Accepted(state.snapshot(cid())));
  }
}
