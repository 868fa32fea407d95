package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.serialization.CborSerializable;
import io.parley.node.session.SessionActor;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One conversation: a sharded, event-sourced entity that owns the conversation's truth (kind, creator,
 * ordered members, muted members, attributes exactly as the SDK sent them) and tells members what changed
 * (PROTOCOL.md §11) through {@link Notices}. Entity ids are {@code appId:cid}, so apps never see each
 * other's conversations. Chatroom members are sessions attached in memory, never persisted.
 *
 * <p>Replies carry plain records, never wire types; every refusal carries its LeanCloud code.
 */
public final class Conversation
    extends EventSourcedBehaviorWithEnforcedReplies<Conversation.Command, Conversation.Event, ConversationState> {

  public sealed interface Command extends CborSerializable {}

  /**
   * Creates the conversation with {@code members} plus the creator. Replies {@link Created}; for a unique
   * conversation that already exists, {@link Created} with {@code existing} and nothing changes.
   */
  public record Start(
      String creator,
      List<String> members,
      String attributesJson,
      Kind kind,
      boolean unique,
      String uniqueId,
      long expiresAt,
      long timestamp,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** conv/add: invite others, or join. Replies {@link MembershipChanged} or {@link Rejected}. */
  public record Add(String initiator, List<String> clientIds, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** conv/remove: kick others, or quit. Replies {@link MembershipChanged} or {@link Rejected}. */
  public record Remove(String initiator, List<String> clientIds, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** Chatroom join by one session. Replies {@link MembershipChanged}. */
  public record JoinRoom(String clientId, ActorRef<SessionActor.Command> session, ActorRef<Reply> replyTo)
      implements Command {}

  /** Chatroom leave by one session (no reply: also sent when a session ends or joins another room). */
  public record LeaveRoom(String clientId, ActorRef<SessionActor.Command> session) implements Command {}

  /** conv/update: the new attributes are computed by the caller's {@link AttributeUpdate}. */
  public record Update(String initiator, String updateJson, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** conv/mute and conv/unmute for {@code clientId}. Replies {@link Accepted}. */
  public record Mute(String clientId, boolean mute, long timestamp, ActorRef<Reply> replyTo) implements Command {}

  /** Replies {@link Accepted} with the current state, or {@link Rejected} when it does not exist. */
  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Replies {@link Counted}: members, or clients online in a chatroom. */
  public record Count(ActorRef<Reply> replyTo) implements Command {}

  /** conv/member_info_update (§6.9): {@code clientId} becomes {@code role}. Replies {@link Accepted}. */
  public record ChangeRole(String initiator, String clientId, String role, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** add_shutup / remove_shutup (§6.10). Replies {@link MembershipChanged}. */
  public record Shutup(String initiator, List<String> clientIds, boolean add, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** blacklist block / unblock (§6.11). Replies {@link MembershipChanged}. */
  public record Block(String initiator, List<String> clientIds, boolean add, long timestamp, ActorRef<Reply> replyTo)
      implements Command {}

  /** query_shutup / blacklist query: a page of the list after {@code next}. Replies {@link Listed}. */
  public record ListModerated(boolean blacklist, int limit, String next, ActorRef<Reply> replyTo) implements Command {}

  /** What a client sends (§6.12); the server adds id, timestamp and sender. */
  public record MessageDraft(
      String data,
      boolean binary,
      List<String> mentionPids,
      boolean mentionAll,
      boolean receipt,
      boolean transientMessage,
      boolean deliverOnly,
      String dedupToken,
      String pushData)
      implements CborSerializable {

    /** Counted against the message cap: the payload and the push data (§6.12 step 3). */
    int size() {
      int payload = binary ? (data.length() * 3) / 4 : data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      return payload + (pushData == null ? 0 : pushData.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
  }

  /**
   * direct (§6.12): stores the message (unless transient or a will), then replies {@link Sent} and delivers
   * it to every member's sessions on any node, except {@code origin}, the sending session.
   */
  public record Send(String sender, MessageDraft draft, ActorRef<SessionActor.Command> origin, ActorRef<Reply> replyTo)
      implements Command {}

  /** ack (§6.13): {@code member} has received messages up to {@code toTimestamp} (or message {@code messageId}). */
  public record Acked(String member, long toTimestamp, String messageId) implements Command {}

  /** read (§6.14): {@code member} has read up to {@code timestamp} (or message {@code messageId}, or now). */
  public record MarkRead(String member, long timestamp, String messageId, ActorRef<SessionActor.Command> origin)
      implements Command {}

  /** Replies {@link Unread}: {@code member}'s unread count, mention flag and the last message (§8.4). */
  public record UnreadOf(String member, ActorRef<Reply> replyTo) implements Command {}

  /** Replies {@link Undelivered}: the offline queue of {@code member} (§8.3). */
  public record UndeliveredTo(String member, int limit, ActorRef<Reply> replyTo) implements Command {}

  /** Replies {@link Patches}: recent messages patched after {@code since} (patch sync at login, §10). */
  public record PatchesSince(long since, ActorRef<Reply> replyTo) implements Command {}

  /** conv/max_read (§6.8): replies {@link Positions} of the other member, {@code target}, or everyone. */
  public record MaxRead(String requester, String target, boolean all, ActorRef<Reply> replyTo) implements Command {}

  /** patch/modify (§6.16): recall or edit one's own message. Replies {@link PatchApplied}. */
  public record PatchMessage(
      String requester,
      String messageId,
      long timestamp,
      boolean recall,
      String data,
      boolean binary,
      List<String> mentionPids,
      boolean mentionAll,
      ActorRef<SessionActor.Command> origin,
      ActorRef<Reply> replyTo)
      implements Command {}

  private record RecentLoaded(List<io.parley.node.message.StoredMessage> messages, Throwable failure) implements Command {}

  private record BatchWritten(List<MessageLog.Pending> batch, Throwable failure) implements Command {}

  private record PatchLookedUp(PatchMessage patch, java.util.Optional<io.parley.node.message.StoredMessage> original,
      Throwable failure) implements Command {}

  private record PatchWritten(PatchMessage patch, io.parley.node.message.StoredMessage patched, Throwable failure)
      implements Command {}

  /** Persists the positions that moved; package-private so that tests can flush without waiting. */
  enum FlushPositions implements Command {
    INSTANCE
  }

  private record RoomSessionEnded(ActorRef<SessionActor.Command> session) implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(Snapshot conversation) implements Reply {}

  public record Created(Snapshot conversation, boolean existing) implements Reply {}

  /** Partial success (§6.2/§6.3): who was added or removed, and who failed with which code. */
  public record MembershipChanged(Snapshot conversation, List<String> allowed, List<Failure> failed) implements Reply {}

  public record Failure(int code, String reason, List<String> clientIds) implements CborSerializable {}

  public record Counted(int count) implements Reply {}

  public record Sent(String messageId, long timestamp) implements Reply {}

  public record Unread(String cid, int count, io.parley.node.message.StoredMessage last, boolean mentioned, int convType)
      implements Reply {}

  public record Undelivered(String cid, List<io.parley.node.message.StoredMessage> messages, boolean hasMore, int convType)
      implements Reply {}

  public record Position(String clientId, long acked, long read) implements CborSerializable {}

  public record Positions(List<Position> positions) implements Reply {}

  public record PatchApplied(long patchTimestamp) implements Reply {}

  public record Patches(String cid, List<io.parley.node.message.StoredMessage> messages) implements Reply {}

  /** A page of client ids and the cursor of the next page (null at the end). */
  public record Listed(List<String> clientIds, String next) implements Reply {}

  /** A refusal with the LeanCloud error code the client must get. */
  public record Rejected(int code, String reason, String detail) implements Reply {}

  /** What readers see of a conversation. */
  public record Snapshot(
      String id,
      Kind kind,
      String creator,
      List<String> members,
      List<String> muted,
      String attributesJson,
      boolean unique,
      String uniqueId,
      long createdAt,
      long updatedAt,
      long expiresAt,
      io.parley.node.message.StoredMessage lastMessage)
      implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record Started(
      String creator,
      List<String> members,
      String attributesJson,
      Kind kind,
      boolean unique,
      String uniqueId,
      long expiresAt,
      long timestamp)
      implements Event {}

  public record MembersAdded(String initBy, List<String> added, long timestamp) implements Event {}

  public record MembersRemoved(String initBy, List<String> removed, long timestamp) implements Event {}

  public record AttributesUpdated(String initBy, String attributesJson, long timestamp) implements Event {}

  public record MuteChanged(String clientId, boolean muted, long timestamp) implements Event {}

  public record RoleChanged(String initBy, String clientId, String role, long timestamp) implements Event {}

  public record ShutupChanged(String initBy, List<String> clientIds, boolean added, long timestamp) implements Event {}

  public record BlacklistChanged(String initBy, List<String> clientIds, boolean added, long timestamp)
      implements Event {}

  /** Members' delivered and read positions, coalesced: one event for many acks (never one per message). */
  public record PositionsAdvanced(Map<String, Long> acked, Map<String, Long> read) implements Event {}

  /** Where notices to members go: their presence entities, in production. */
  public interface Notices {
    void send(String appId, List<String> clientIds, Notice notice);
  }

  /** Where the per-member conversation index is kept up to date. */
  public interface MemberIndex {
    /** Records the members (and the removed) of a conversation; idempotent; completes when written. */
    java.util.concurrent.CompletionStage<org.apache.pekko.Done> record(String appId, Snapshot conversation, List<String> removed);

    MemberIndex NONE = (appId, conversation, removed) ->
        java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
  }

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Conversation");

  /** How often members' positions are persisted (one event for all that moved). */
  private static final Duration POSITION_FLUSH = Duration.ofSeconds(3);

  private final String appId;
  private final String cid;
  private final ActorContext<Command> context;
  private final ConversationSettings settings;
  private final Notices notices;
  private final MemberIndex index;
  private final io.parley.node.message.MessageArchive archive;
  private final Clock clock;
  private final MessageLog log = new MessageLog();
  /** Chatroom only: sessions online in the room, per client. Never persisted. */
  private final Map<String, Set<ActorRef<SessionActor.Command>>> online = new HashMap<>();

  public static void init(ActorSystem<?> system, ConversationSettings limits, Notices notices, MemberIndex index,
      io.parley.node.message.MessageArchive archive, Clock clock) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), limits, notices, index, archive, clock)));
  }

  public static Behavior<Command> create(
      String entityId, ConversationSettings limits, Notices notices, MemberIndex index,
      io.parley.node.message.MessageArchive archive, Clock clock) {
    return Behaviors.withTimers(timers -> Behaviors.setup(context -> {
      timers.startTimerWithFixedDelay(FlushPositions.INSTANCE, POSITION_FLUSH);
      return new Conversation(context, entityId, limits, notices, index, archive, clock);
    }));
  }

  /** The entity id of conversation {@code cid} of app {@code appId}. */
  public static String entityId(String appId, String cid) {
    return appId + ":" + cid;
  }

  private Conversation(
      ActorContext<Command> context, String entityId, ConversationSettings limits, Notices notices, MemberIndex index,
      io.parley.node.message.MessageArchive archive, Clock clock) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    int separator = entityId.indexOf(':');
    this.appId = entityId.substring(0, separator);
    this.cid = entityId.substring(separator + 1);
    this.context = context;
    this.settings = limits;
    this.notices = notices;
    this.index = index;
    this.archive = archive;
    this.clock = clock;
  }

  @Override
  public ConversationState emptyState() {
    return ConversationState.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ConversationState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(state -> !state.exists())
        .onCommand(Start.class, this::onStart)
        .onCommand(Add.class, (state, add) -> notFound(add.replyTo()))
        .onCommand(Remove.class, (state, remove) -> notFound(remove.replyTo()))
        .onCommand(JoinRoom.class, (state, join) -> notFound(join.replyTo()))
        .onCommand(Update.class, (state, update) -> notFound(update.replyTo()))
        .onCommand(Mute.class, (state, mute) -> notFound(mute.replyTo()))
        .onCommand(Get.class, (state, get) -> notFound(get.replyTo()))
        .onCommand(Count.class, (state, count) -> notFound(count.replyTo()))
        .onCommand(ChangeRole.class, (state, change) -> notFound(change.replyTo()))
        .onCommand(Shutup.class, (state, shutup) -> notFound(shutup.replyTo()))
        .onCommand(Block.class, (state, block) -> notFound(block.replyTo()))
        .onCommand(ListModerated.class, (state, list) -> notFound(list.replyTo()))
        .onCommand(Send.class, (state, send) -> reject(send.replyTo(), 4401, "INVALID_MESSAGING_TARGET", "no conversation " + cid))
        .onCommand(UnreadOf.class, (state, unread) -> notFound(unread.replyTo()))
        .onCommand(UndeliveredTo.class, (state, undelivered) -> notFound(undelivered.replyTo()))
        .onCommand(MaxRead.class, (state, maxRead) -> notFound(maxRead.replyTo()))
        .onCommand(PatchesSince.class, (state, patches) -> notFound(patches.replyTo()))
        .onCommand(PatchMessage.class, (state, patch) -> reject(patch.replyTo(), 4404, "MESSAGE_NOT_FOUND", "no conversation " + cid));
    builder.forState(state -> state.exists() && state.expiredAt(clock.millis()))
        .onCommand(Start.class, (state, start) -> expired(start.replyTo()))
        .onCommand(Add.class, (state, add) -> expired(add.replyTo()))
        .onCommand(Remove.class, (state, remove) -> expired(remove.replyTo()))
        .onCommand(JoinRoom.class, (state, join) -> expired(join.replyTo()))
        .onCommand(Update.class, (state, update) -> expired(update.replyTo()))
        .onCommand(Mute.class, (state, mute) -> expired(mute.replyTo()))
        .onCommand(Get.class, (state, get) -> expired(get.replyTo()))
        .onCommand(Count.class, (state, count) -> expired(count.replyTo()))
        .onCommand(ChangeRole.class, (state, change) -> expired(change.replyTo()))
        .onCommand(Shutup.class, (state, shutup) -> expired(shutup.replyTo()))
        .onCommand(Block.class, (state, block) -> expired(block.replyTo()))
        .onCommand(ListModerated.class, (state, list) -> expired(list.replyTo()))
        .onCommand(Send.class, (state, send) -> expired(send.replyTo()))
        .onCommand(UnreadOf.class, (state, unread) -> expired(unread.replyTo()))
        .onCommand(UndeliveredTo.class, (state, undelivered) -> expired(undelivered.replyTo()))
        .onCommand(MaxRead.class, (state, maxRead) -> expired(maxRead.replyTo()))
        .onCommand(PatchesSince.class, (state, patches) -> expired(patches.replyTo()))
        .onCommand(PatchMessage.class, (state, patch) -> expired(patch.replyTo()));
    builder.forAnyState()
        .onCommand(Start.class, this::onStartExisting)
        .onCommand(Add.class, this::onAdd)
        .onCommand(Remove.class, this::onRemove)
        .onCommand(JoinRoom.class, this::onJoinRoom)
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Mute.class, this::onMute)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), new Accepted(snapshot(state))))
        .onCommand(Count.class, this::onCount)
        .onCommand(ChangeRole.class, this::onChangeRole)
        .onCommand(Shutup.class, this::onShutup)
        .onCommand(Block.class, this::onBlock)
        .onCommand(ListModerated.class, this::onListModerated)
        .onCommand(Send.class, this::onSend)
        .onCommand(UnreadOf.class, this::onUnreadOf)
        .onCommand(UndeliveredTo.class, this::onUndeliveredTo)
        .onCommand(MaxRead.class, this::onMaxRead)
        .onCommand(PatchesSince.class, this::onPatchesSince)
        .onCommand(PatchMessage.class, this::onPatch);
    builder.forAnyState()
        .onCommand(LeaveRoom.class, (state, leave) -> leaveRoom(leave.clientId(), leave.session()))
        .onCommand(RoomSessionEnded.class, (state, ended) -> forgetRoomSession(ended.session()))
        .onCommand(Acked.class, this::onAcked)
        .onCommand(MarkRead.class, this::onMarkRead)
        .onCommand(RecentLoaded.class, this::onRecentLoaded)
        .onCommand(BatchWritten.class, this::onBatchWritten)
        .onCommand(PatchLookedUp.class, this::onPatchLookedUp)
        .onCommand(PatchWritten.class, this::onPatchWritten)
        .onCommand(FlushPositions.class, (state, flush) -> onFlushPositions(state));
    return builder.build();
  }

  @Override
  public EventHandler<ConversationState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Started.class, ConversationState::started)
        .onEvent(MembersAdded.class, ConversationState::membersAdded)
        .onEvent(MembersRemoved.class, ConversationState::membersRemoved)
        .onEvent(AttributesUpdated.class, ConversationState::attributesUpdated)
        .onEvent(MuteChanged.class, ConversationState::muteChanged)
        .onEvent(RoleChanged.class, ConversationState::roleChanged)
        .onEvent(ShutupChanged.class, ConversationState::shutupChanged)
        .onEvent(BlacklistChanged.class, ConversationState::blacklistChanged)
        .onEvent(PositionsAdvanced.class, ConversationState::positionsAdvanced)
        .build();
  }

  /** After recovery the member index is re-asserted: it heals an index write lost in a crash. */
  @Override
  public SignalHandler<ConversationState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.exists() && state.kind() != Kind.TRANSIENT) {
            index.record(appId, snapshot(state), List.of());
          }
          if (state.exists()) {
            loadRecent();
          } else {
            log.loaded(List.of());
          }
        })
        .build();
  }

  // ---------------------------------------------------------------------------------------------- start

  private ReplyEffect<Event, ConversationState> onStart(ConversationState state, Start start) {
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    if (start.kind() != Kind.TRANSIENT) {
      // The initiator is always a member (§6.1), whether or not the SDK listed it.
      unique.addAll(start.members());
      unique.add(start.creator());
    }
    int cap = start.kind() == Kind.TEMPORARY ? settings.maxTemporaryMembers() : settings.maxMembers();
    if (unique.size() > cap) {
      return reject(start.replyTo(), 4304, "CONVERSATION_FULL", "at most " + cap + " members");
    }
    List<String> members = new ArrayList<>(unique);
    Started started = new Started(start.creator(), members, start.attributesJson(), start.kind(), start.unique(),
        start.uniqueId(), start.expiresAt(), start.timestamp());
    return Effect()
        .persist(started)
        .thenRun(created -> {
          if (created.kind() != Kind.TRANSIENT) {
            index.record(appId, snapshot(created), List.of());
            notices.send(appId, others(members, start.creator()), new Notice.Joined(cid, start.creator()));
          }
        })
        .thenReply(start.replyTo(), created -> new Created(snapshot(created), false));
  }

  /** A unique conversation answers a second start with itself; any other id clash is an internal error. */
  private ReplyEffect<Event, ConversationState> onStartExisting(ConversationState state, Start start) {
    if (state.unique() && start.unique()) {
      return Effect().reply(start.replyTo(), new Created(snapshot(state), true));
    }
    return reject(start.replyTo(), 4300, "CONVERSATION_INTERNAL_ERROR", "conversation id already in use");
  }

  // -------------------------------------------------------------------------------------- add / remove

  private ReplyEffect<Event, ConversationState> onAdd(ConversationState state, Add add) {
    List<String> requested = distinct(add.clientIds());
    if (state.kind() == Kind.TRANSIENT) {
      return reject(add.replyTo(), 4316, "TRANSIENT_CONVERSATION_REQUIRED", "join a chatroom with JoinRoom");
    }
    boolean selfJoin = requested.equals(List.of(add.initiator()));
    if (state.kind() == Kind.SYSTEM) {
      return subscription(state, add.initiator(), requested, true, add.timestamp(), add.replyTo());
    }
    if (!selfJoin && !state.isMember(add.initiator())) {
      return reject(add.replyTo(), 4317, "CONVERSATION_MEMBERSHIP_REQUIRED", add.initiator() + " is not a member");
    }
    int cap = state.kind() == Kind.TEMPORARY ? settings.maxTemporaryMembers() : settings.maxMembers();
    List<String> added = new ArrayList<>();
    List<String> allowed = new ArrayList<>();
    List<String> full = new ArrayList<>();
    List<String> blocked = new ArrayList<>();
    for (String clientId : requested) {
      if (state.blacklist().contains(clientId)) {
        blocked.add(clientId);
      } else if (state.isMember(clientId)) {
        allowed.add(clientId);
      } else if (state.members().size() + added.size() >= cap) {
        full.add(clientId);
      } else {
        added.add(clientId);
        allowed.add(clientId);
      }
    }
    List<Failure> failed =
        failures(new Failure(4304, "CONVERSATION_FULL", full), new Failure(4548, "BLOCKED_BY_CONV", blocked));
    if (added.isEmpty()) {
      return Effect().reply(add.replyTo(), new MembershipChanged(snapshot(state), allowed, failed));
    }
    return Effect()
        .persist(new MembersAdded(add.initiator(), added, add.timestamp()))
        .thenRun(after -> {
          index.record(appId, snapshot(after), List.of());
          List<String> invited = others(added, add.initiator());
          notices.send(appId, invited, new Notice.Joined(cid, add.initiator()));
          List<String> everyoneElse = new ArrayList<>(after.members());
          everyoneElse.removeAll(invited);
          notices.send(appId, everyoneElse, new Notice.MembersJoined(cid, added, add.initiator()));
        })
        .thenReply(add.replyTo(), after -> new MembershipChanged(snapshot(after), allowed, failed));
  }

  private ReplyEffect<Event, ConversationState> onRemove(ConversationState state, Remove remove) {
    List<String> requested = distinct(remove.clientIds());
    if (state.kind() == Kind.TRANSIENT) {
      return reject(remove.replyTo(), 4316, "TRANSIENT_CONVERSATION_REQUIRED", "leave a chatroom with LeaveRoom");
    }
    if (state.kind() == Kind.SYSTEM) {
      return subscription(state, remove.initiator(), requested, false, remove.timestamp(), remove.replyTo());
    }
    if (!state.isMember(remove.initiator())) {
      return reject(remove.replyTo(), 4317, "CONVERSATION_MEMBERSHIP_REQUIRED", remove.initiator() + " is not a member");
    }
    List<String> removed = new ArrayList<>();
    List<String> allowed = new ArrayList<>();
    List<String> needOwner = new ArrayList<>();
    List<String> unauthorized = new ArrayList<>();
    for (String clientId : requested) {
      if (settings.memberRoles() && state.roleOf(clientId).equals(ConversationState.OWNER) && state.isMember(clientId)) {
        needOwner.add(clientId);
      } else if (settings.memberRoles() && !clientId.equals(remove.initiator()) && !state.isModerator(remove.initiator())) {
        unauthorized.add(clientId);
      } else {
        allowed.add(clientId);
        if (state.isMember(clientId)) {
          removed.add(clientId);
        }
      }
    }
    List<Failure> failed = failures(new Failure(4324, "CONVERSATION_NEED_OWNER", needOwner),
        new Failure(4320, "CONVERSATION_OPERATION_UNAUTHORIZED", unauthorized));
    if (removed.isEmpty()) {
      return Effect().reply(remove.replyTo(), new MembershipChanged(snapshot(state), allowed, failed));
    }
    return Effect()
        .persist(new MembersRemoved(remove.initiator(), removed, remove.timestamp()))
        .thenRun(after -> {
          index.record(appId, snapshot(after), removed);
          // Seed rule (§6.3 DECISION): a quitter gets nothing; kicked members get `left`, the rest `members_left`.
          notices.send(appId, others(removed, remove.initiator()), new Notice.Left(cid, remove.initiator()));
          notices.send(appId, after.members(), new Notice.MembersLeft(cid, removed, remove.initiator()));
        })
        .thenReply(remove.replyTo(), after -> new MembershipChanged(snapshot(after), allowed, failed));
  }

  /**
   * System conversations (§8.8): adding oneself subscribes, removing oneself unsubscribes; nobody adds or
   * removes others (4314); no notices.
   */
  private ReplyEffect<Event, ConversationState> subscription(ConversationState state, String initiator,
      List<String> requested, boolean subscribe, long timestamp, ActorRef<Reply> replyTo) {
    List<String> others = requested.stream().filter(id -> !id.equals(initiator)).toList();
    List<Failure> failed = others.isEmpty() ? List.of()
        : List.of(new Failure(4314, "NORMAL_CONVERSATION_REQUIRED", others));
    boolean self = requested.contains(initiator);
    List<String> allowed = self ? List.of(initiator) : List.of();
    if (!self || state.isMember(initiator) == subscribe) {
      return Effect().reply(replyTo, new MembershipChanged(snapshot(state), allowed, failed));
    }
    Event event = subscribe ? new MembersAdded(initiator, List.of(initiator), timestamp)
        : new MembersRemoved(initiator, List.of(initiator), timestamp);
    return Effect().persist(event)
        .thenRun(after -> index.record(appId, snapshot(after), subscribe ? List.of() : List.of(initiator)))
        .thenReply(replyTo, after -> new MembershipChanged(snapshot(after), allowed, failed));
  }

  // ------------------------------------------------------------------------------------------ chatroom

  private ReplyEffect<Event, ConversationState> onJoinRoom(ConversationState state, JoinRoom join) {
    if (state.kind() != Kind.TRANSIENT) {
      return reject(join.replyTo(), 4316, "TRANSIENT_CONVERSATION_REQUIRED", "not a chatroom");
    }
    if (!online.containsKey(join.clientId()) && online.size() >= settings.maxChatroomOnline()) {
      return reject(join.replyTo(), 4304, "CONVERSATION_FULL", "at most " + settings.maxChatroomOnline() + " online");
    }
    if (online.computeIfAbsent(join.clientId(), id -> new HashSet<>()).add(join.session())) {
      context.watchWith(join.session(), new RoomSessionEnded(join.session()));
    }
    return Effect().reply(join.replyTo(), new MembershipChanged(snapshot(state), List.of(join.clientId()), List.of()));
  }

  private ReplyEffect<Event, ConversationState> leaveRoom(String clientId, ActorRef<SessionActor.Command> session) {
    Set<ActorRef<SessionActor.Command>> sessions = online.get(clientId);
    if (sessions != null && sessions.remove(session) && sessions.isEmpty()) {
      online.remove(clientId);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, ConversationState> forgetRoomSession(ActorRef<SessionActor.Command> session) {
    online.values().forEach(sessions -> sessions.remove(session));
    online.values().removeIf(Set::isEmpty);
    return Effect().noReply();
  }

  // ---------------------------------------------------------------------------------- update, mute, count

  private ReplyEffect<Event, ConversationState> onUpdate(ConversationState state, Update update) {
    if (state.kind() == Kind.TEMPORARY) {
      return reject(update.replyTo(), 4307, "CONVERSATION_READ_ONLY", "temporary conversations have no attributes");
    }
    if (state.kind() == Kind.NORMAL && !state.isMember(update.initiator())) {
      return reject(update.replyTo(), 4309, "CONVERSATION_UPDATE_REJECTED", update.initiator() + " is not a member");
    }
    AttributeUpdate.Result result;
    try {
      result = AttributeUpdate.apply(state.attributesJson(), update.updateJson());
    } catch (IllegalArgumentException invalid) {
      return reject(update.replyTo(), 4306, "CONVERSATION_UPDATE_FAILED", invalid.getMessage());
    }
    return Effect()
        .persist(new AttributesUpdated(update.initiator(), result.attributesJson(), update.timestamp()))
        .thenRun(after -> notices.send(appId, others(after.members(), update.initiator()),
            new Notice.Updated(cid, update.initiator(), result.appliedJson(), result.modifiedJson(), update.timestamp())))
        .thenReply(update.replyTo(), after -> new Accepted(snapshot(after)));
  }

  private ReplyEffect<Event, ConversationState> onMute(ConversationState state, Mute mute) {
    if (state.kind() == Kind.TEMPORARY) {
      return reject(mute.replyTo(), 4307, "CONVERSATION_READ_ONLY", "temporary conversations cannot be muted");
    }
    if (state.kind() == Kind.NORMAL && !state.isMember(mute.clientId())) {
      return reject(mute.replyTo(), 4317, "CONVERSATION_MEMBERSHIP_REQUIRED", mute.clientId() + " is not a member");
    }
    if (state.muted().contains(mute.clientId()) == mute.mute()) {
      return Effect().reply(mute.replyTo(), new Accepted(snapshot(state)));
    }
    return Effect()
        .persist(new MuteChanged(mute.clientId(), mute.mute(), mute.timestamp()))
        .thenReply(mute.replyTo(), after -> new Accepted(snapshot(after)));
  }

  private ReplyEffect<Event, ConversationState> onCount(ConversationState state, Count count) {
    int n = state.kind() == Kind.TRANSIENT ? online.size() : state.members().size();
    return Effect().reply(count.replyTo(), new Counted(n));
  }

  // ------------------------------------------------------------------------------- roles, shut-up, blacklist

  private ReplyEffect<Event, ConversationState> onChangeRole(ConversationState state, ChangeRole change) {
    if (!settings.memberRoles()) {
      return reject(change.replyTo(), 4325, "CONVERSATION_MEMBER_INFO_FEATURE_DISABLED", "member roles are off");
    }
    if (!List.of(ConversationState.MANAGER, ConversationState.MEMBER, ConversationState.OWNER).contains(change.role())) {
      return reject(change.replyTo(), 4321, "UNKNOWN_CONVERSATION_ROLE", "unknown role " + change.role());
    }
    if (!state.isModerator(change.initiator()) || change.role().equals(ConversationState.OWNER)
        || change.clientId().equals(state.creator())) {
      return reject(change.replyTo(), 4320, "CONVERSATION_OPERATION_UNAUTHORIZED",
          change.initiator() + " may not make " + change.clientId() + " " + change.role());
    }
    if (!state.isMember(change.clientId())) {
      return reject(change.replyTo(), 4317, "CONVERSATION_MEMBERSHIP_REQUIRED", change.clientId() + " is not a member");
    }
    return Effect()
        .persist(new RoleChanged(change.initiator(), change.clientId(), change.role(), change.timestamp()))
        .thenRun(after -> notices.send(appId, after.members(),
            new Notice.MemberInfoChanged(cid, change.initiator(), change.clientId(), change.role())))
        .thenReply(change.replyTo(), after -> new Accepted(snapshot(after)));
  }

  /** Who may moderate: Owner and Managers with roles on, any unmuted member without (§6.10, §6.11). */
  private Rejected moderationRefusal(ConversationState state, String initiator) {
    if (state.kind() != Kind.NORMAL) {
      return new Rejected(4314, "NORMAL_CONVERSATION_REQUIRED", "only normal conversations have moderation");
    }
    if (!state.isMember(initiator)) {
      return new Rejected(4317, "CONVERSATION_MEMBERSHIP_REQUIRED", initiator + " is not a member");
    }
    if (settings.memberRoles() ? !state.isModerator(initiator) : state.shutup().contains(initiator)) {
      return new Rejected(4320, "CONVERSATION_OPERATION_UNAUTHORIZED", initiator + " may not moderate");
    }
    return null;
  }

  private ReplyEffect<Event, ConversationState> onShutup(ConversationState state, Shutup shutup) {
    Rejected refusal = moderationRefusal(state, shutup.initiator());
    if (refusal != null) {
      return Effect().reply(shutup.replyTo(), refusal);
    }
    List<String> requested = distinct(shutup.clientIds());
    List<String> changed = requested.stream().filter(id -> state.shutup().contains(id) != shutup.add()).toList();
    if (shutup.add() && state.shutup().size() + changed.size() > settings.maxShutup()) {
      return Effect().reply(shutup.replyTo(), new MembershipChanged(snapshot(state), List.of(),
          List.of(new Failure(4561, "SILIENCED_MEMBER_LIST_FULL", requested))));
    }
    if (changed.isEmpty()) {
      return Effect().reply(shutup.replyTo(), new MembershipChanged(snapshot(state), requested, List.of()));
    }
    String action = shutup.add() ? "shutuped" : "unshutuped";
    return Effect()
        .persist(new ShutupChanged(shutup.initiator(), changed, shutup.add(), shutup.timestamp()))
        .thenRun(after -> moderated(after.members(), changed, action, shutup.initiator()))
        .thenReply(shutup.replyTo(), after -> new MembershipChanged(snapshot(after), requested, List.of()));
  }

  private ReplyEffect<Event, ConversationState> onBlock(ConversationState state, Block block) {
    if (!settings.blacklist()) {
      return reject(block.replyTo(), 4544, "BLACKLIST_FEATURE_DISABLED", "the conversation blacklist is off");
    }
    Rejected refusal = moderationRefusal(state, block.initiator());
    if (refusal != null) {
      return Effect().reply(block.replyTo(), refusal);
    }
    List<String> requested = distinct(block.clientIds());
    List<String> ownerAsked = block.add() ? requested.stream().filter(id -> id.equals(state.creator())
        && settings.memberRoles()).toList() : List.of();
    List<String> changed = requested.stream()
        .filter(id -> !ownerAsked.contains(id) && state.blacklist().contains(id) != block.add()).toList();
    List<String> allowed = requested.stream().filter(id -> !ownerAsked.contains(id)).toList();
    List<Failure> failed = ownerAsked.isEmpty() ? List.of()
        : List.of(new Failure(4324, "CONVERSATION_NEED_OWNER", ownerAsked));
    if (block.add() && state.blacklist().size() + changed.size() > settings.maxBlacklist()) {
      return reject(block.replyTo(), 4543, "BLACKLIST_FULL", "at most " + settings.maxBlacklist() + " blocked");
    }
    if (changed.isEmpty()) {
      return Effect().reply(block.replyTo(), new MembershipChanged(snapshot(state), allowed, failed));
    }
    List<String> leaving = block.add() ? changed.stream().filter(state::isMember).toList() : List.of();
    return Effect()
        .persist(new BlacklistChanged(block.initiator(), changed, block.add(), block.timestamp()))
        .thenRun(after -> {
          if (!leaving.isEmpty()) {
            index.record(appId, snapshot(after), leaving);
          }
          List<String> audience = new ArrayList<>(after.members());
          if (block.add()) {
            // The blocked get `blocked` and `left`; the remaining members `members_blocked` and `members_left`.
            notices.send(appId, changed, new Notice.Moderated(cid, "blocked", List.of(), block.initiator()));
            notices.send(appId, leaving, new Notice.Left(cid, block.initiator()));
            notices.send(appId, audience, new Notice.Moderated(cid, "members_blocked", changed, block.initiator()));
            if (!leaving.isEmpty()) {
              notices.send(appId, audience, new Notice.MembersLeft(cid, leaving, block.initiator()));
            }
          } else {
            moderated(audience, changed, "unblocked", block.initiator());
          }
        })
        .thenReply(block.replyTo(), after -> new MembershipChanged(snapshot(after), allowed, failed));
  }

  /** Targets get {@code action}; every other member gets {@code members_<action>} listing the targets. */
  private void moderated(List<String> members, List<String> targets, String action, String initiator) {
    notices.send(appId, targets, new Notice.Moderated(cid, action, List.of(), initiator));
    List<String> others = new ArrayList<>(members);
    others.removeAll(targets);
    notices.send(appId, others, new Notice.Moderated(cid, "members_" + action, targets, initiator));
  }

  private ReplyEffect<Event, ConversationState> onListModerated(ConversationState state, ListModerated list) {
    List<String> all = list.blacklist() ? state.blacklist() : state.shutup();
    int from = 0;
    if (list.next() != null && !list.next().isEmpty()) {
      try {
        from = Math.max(0, Integer.parseInt(list.next()));
      } catch (NumberFormatException malformed) {
        return reject(list.replyTo(), 4310, "CONVERSATION_QUERY_FAILED", "invalid next cursor");
      }
    }
    int limit = list.limit() > 0 ? Math.min(list.limit(), 1000) : 10;
    int to = Math.min(all.size(), from + limit);
    List<String> page = from >= all.size() ? List.of() : all.subList(from, to);
    String next = to < all.size() ? Integer.toString(to) : null;
    return Effect().reply(list.replyTo(), new Listed(List.copyOf(page), next));
  }

  // ---------------------------------------------------------------------------------------------- messages

  private void loadRecent() {
    context.pipeToSelf(archive.recent(appId, cid, MessageLog.RECENT), RecentLoaded::new);
  }

  private ReplyEffect<Event, ConversationState> onRecentLoaded(ConversationState state, RecentLoaded loaded) {
    if (loaded.failure() != null) {
      context.getLog().warn("Loading recent messages of {} failed, retrying: {}", cid, loaded.failure().toString());
      context.scheduleOnce(Duration.ofSeconds(1), context.getSelf(), new RecentLoaded(null, new RetryLoad()));
      return Effect().noReply();
    }
    if (loaded.messages() == null) {
      loadRecent();
      return Effect().noReply();
    }
    log.loaded(loaded.messages());
    return Effect().noReply().thenUnstashAll();
  }

  /** Marks a scheduled retry of the recent-messages load. */
  private static final class RetryLoad extends RuntimeException {
    RetryLoad() {
      super("retry", null, false, false);
    }
  }

  private int convType(ConversationState state) {
    return switch (state.kind()) {
      case NORMAL -> 1;
      case TRANSIENT -> 2;
      case SYSTEM -> 3;
      case TEMPORARY -> 4;
    };
  }

  private ReplyEffect<Event, ConversationState> onSend(ConversationState state, Send send) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    MessageDraft draft = send.draft();
    if (state.kind() != Kind.TRANSIENT && !state.isMember(send.sender())) {
      return reject(send.replyTo(), 4401, "INVALID_MESSAGING_TARGET", send.sender() + " is not a member of " + cid);
    }
    if (state.shutup().contains(send.sender())) {
      return reject(send.replyTo(), 4563, "SILIENCED", send.sender() + " is muted in " + cid);
    }
    int size = draft.size();
    if (size > settings.maxMessageSize()) {
      return reject(send.replyTo(), 4109, "FRAME_TOO_LONG", "message of " + size + " bytes exceeds " + settings.maxMessageSize());
    }
    String dedupKey = draft.dedupToken() == null || draft.dedupToken().isEmpty() ? null
        : send.sender() + "\u0000" + draft.dedupToken();
    java.util.Optional<io.parley.node.message.StoredMessage> resent = log.resent(dedupKey);
    if (resent.isPresent()) {
      return Effect().reply(send.replyTo(), new Sent(resent.get().id(), resent.get().timestamp()));
    }
    io.parley.node.message.StoredMessage message = new io.parley.node.message.StoredMessage(MessageLog.newMessageId(),
        send.sender(), log.nextTimestamp(clock.millis()), draft.data(), draft.binary(), List.copyOf(draft.mentionPids()),
        draft.mentionAll(), draft.receipt(), 0, false, draft.pushData());
    if (draft.transientMessage() || draft.deliverOnly()) {
      // Transient and will messages are never stored: delivered to whoever is online now.
      deliver(state, message, draft.transientMessage(), send.origin());
      return Effect().reply(send.replyTo(), new Sent(message.id(), message.timestamp()));
    }
    log.enqueue(new MessageLog.Pending(message, dedupKey, send.replyTo(), send.origin()));
    writeNextBatch();
    return Effect().noReply();
  }

  /** One durable write for all sends that arrived while the previous write was in flight. */
  private void writeNextBatch() {
    List<MessageLog.Pending> batch = log.nextBatch();
    if (!batch.isEmpty()) {
      List<io.parley.node.message.StoredMessage> messages = batch.stream().map(MessageLog.Pending::message).toList();
      context.pipeToSelf(archive.write(appId, cid, messages), (done, failure) -> new BatchWritten(batch, failure));
    }
  }

  /** Acks only now that the batch is durable, then delivers in order. */
  private ReplyEffect<Event, ConversationState> onBatchWritten(ConversationState state, BatchWritten written) {
    log.written(written.batch(), written.failure() == null);
    for (MessageLog.Pending send : written.batch()) {
      if (written.failure() != null) {
        send.replyTo().tell(new Rejected(4301, "CONVERSATION_API_FAILED", "message not stored, retry"));
      } else {
        send.replyTo().tell(new Sent(send.message().id(), send.message().timestamp()));
        deliver(state, send.message(), false, send.origin());
      }
    }
    if (written.failure() != null) {
      context.getLog().warn("Storing {} message(s) of {} failed: {}", written.batch().size(), cid, written.failure().toString());
    }
    writeNextBatch();
    return Effect().noReply();
  }

  /** Members' sessions on any node (the sender's too, for its other devices); chatrooms: who is in the room. */
  private void deliver(ConversationState state, io.parley.node.message.StoredMessage message, boolean transientMessage,
      ActorRef<SessionActor.Command> origin) {
    Notice.Message notice = new Notice.Message(cid, message, convType(state), transientMessage, origin);
    if (state.kind() == Kind.TRANSIENT) {
      online.forEach((clientId, sessions) ->
          sessions.forEach(session -> session.tell(new SessionActor.Delivery(clientId, notice))));
    } else if (state.kind() == Kind.SYSTEM) {
      // A client's message to a system conversation is for the app (its webhook), not for the subscribers.
      return;
    } else {
      notices.send(appId, state.members(), notice);
    }
  }

  private long timestampOf(String messageId, long fallback) {
    return messageId == null || messageId.isEmpty() ? fallback
        : log.find(messageId).map(io.parley.node.message.StoredMessage::timestamp).orElse(fallback);
  }

  /** Delivery receipts (§9.1) go to senders who asked for them, in conversations of at most two members. */
  private ReplyEffect<Event, ConversationState> onAcked(ConversationState state, Acked acked) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    long upTo = acked.toTimestamp() > 0 ? acked.toTimestamp() : timestampOf(acked.messageId(), 0);
    List<io.parley.node.message.StoredMessage> delivered = log.ack(acked.member(), upTo, state);
    if (state.kind() != Kind.TRANSIENT && state.members().size() <= 2) {
      long now = clock.millis();
      for (io.parley.node.message.StoredMessage message : delivered) {
        if (message.receipt() && !message.from().equals(acked.member())) {
          notices.send(appId, List.of(message.from()), new Notice.Receipt(cid, message.id(), now, acked.member(), false));
        }
      }
    }
    return Effect().noReply();
  }

  /** A read clears the unread count on the reader's other devices and sends read receipts (§6.14, §9.2). */
  private ReplyEffect<Event, ConversationState> onMarkRead(ConversationState state, MarkRead read) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    long latest = log.last().map(io.parley.node.message.StoredMessage::timestamp).orElse(clock.millis());
    long upTo = read.timestamp() > 0 ? read.timestamp() : timestampOf(read.messageId(), latest);
    if (log.read(read.member(), upTo, state)) {
      notices.send(appId, List.of(read.member()),
          new Notice.UnreadChanged(cid, 0, log.last().orElse(null), false, read.origin()));
      if (state.kind() != Kind.TRANSIENT && state.members().size() <= 2) {
        notices.send(appId, others(state.members(), read.member()), new Notice.Receipt(cid, null, upTo, read.member(), true));
      }
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, ConversationState> onUnreadOf(ConversationState state, UnreadOf query) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    List<io.parley.node.message.StoredMessage> unread =
        state.kind() == Kind.TRANSIENT ? List.of() : log.unreadBy(query.member(), state);
    boolean mentioned = unread.stream().anyMatch(m -> m.mentions(query.member()));
    return Effect().reply(query.replyTo(),
        new Unread(cid, Math.min(unread.size(), MessageLog.RECENT), log.last().orElse(null), mentioned, convType(state)));
  }

  private ReplyEffect<Event, ConversationState> onUndeliveredTo(ConversationState state, UndeliveredTo query) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    List<io.parley.node.message.StoredMessage> queue =
        state.kind() == Kind.TRANSIENT ? List.of() : log.undeliveredTo(query.member(), state);
    int from = Math.max(0, queue.size() - query.limit());
    return Effect().reply(query.replyTo(),
        new Undelivered(cid, List.copyOf(queue.subList(from, queue.size())), from > 0, convType(state)));
  }

  private ReplyEffect<Event, ConversationState> onMaxRead(ConversationState state, MaxRead query) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    List<String> whom = query.all() ? state.members()
        : query.target() != null && !query.target().isEmpty() ? List.of(query.target())
        : others(state.members(), query.requester()).stream().limit(1).toList();
    List<Position> positions = whom.stream()
        .map(member -> new Position(member, log.ackedBy(member, state), log.readBy(member, state)))
        .toList();
    return Effect().reply(query.replyTo(), new Positions(positions));
  }

  private ReplyEffect<Event, ConversationState> onPatchesSince(ConversationState state, PatchesSince query) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    return Effect().reply(query.replyTo(), new Patches(cid, log.patchedSince(query.since())));
  }

  private ReplyEffect<Event, ConversationState> onPatch(ConversationState state, PatchMessage patch) {
    if (!log.loaded()) {
      return Effect().stash();
    }
    java.util.Optional<io.parley.node.message.StoredMessage> recent = log.find(patch.messageId());
    if (recent.isPresent()) {
      return applyPatch(patch, recent.get());
    }
    context.pipeToSelf(archive.find(appId, cid, patch.timestamp(), patch.messageId()),
        (original, failure) -> new PatchLookedUp(patch, original, failure));
    return Effect().noReply();
  }

  private ReplyEffect<Event, ConversationState> onPatchLookedUp(ConversationState state, PatchLookedUp found) {
    if (found.failure() != null) {
      return reject(found.patch().replyTo(), 4301, "CONVERSATION_API_FAILED", "history unavailable, retry");
    }
    if (found.original().isEmpty()) {
      return reject(found.patch().replyTo(), 4404, "MESSAGE_NOT_FOUND", "no message " + found.patch().messageId());
    }
    return applyPatch(found.patch(), found.original().get());
  }

  private ReplyEffect<Event, ConversationState> applyPatch(PatchMessage patch, io.parley.node.message.StoredMessage original) {
    if (!original.from().equals(patch.requester())) {
      return reject(patch.replyTo(), 4403, "MESSAGE_OWNERSHIP_REQUIRED", "only the sender may change " + original.id());
    }
    io.parley.node.message.StoredMessage patched = original.patched(patch.data(), patch.binary(), patch.recall(),
        log.nextTimestamp(clock.millis()), patch.mentionPids(), patch.mentionAll());
    context.pipeToSelf(archive.update(appId, cid, patched), (done, failure) -> new PatchWritten(patch, patched, failure));
    return Effect().noReply();
  }

  private ReplyEffect<Event, ConversationState> onPatchWritten(ConversationState state, PatchWritten written) {
    if (written.failure() != null) {
      return reject(written.patch().replyTo(), 4301, "CONVERSATION_API_FAILED", "patch not stored, retry");
    }
    log.replace(written.patched());
    notices.send(appId, state.members(), new Notice.Patched(cid, written.patched(), written.patch().origin()));
    return Effect().reply(written.patch().replyTo(), new PatchApplied(written.patched().patchTimestamp()));
  }

  private ReplyEffect<Event, ConversationState> onFlushPositions(ConversationState state) {
    if (!state.exists() || !log.loaded()) {
      return Effect().noReply();
    }
    Map<String, Long> acks = log.unsavedAcks(state);
    Map<String, Long> reads = log.unsavedReads(state);
    if (acks.isEmpty() && reads.isEmpty()) {
      return Effect().noReply();
    }
    return Effect().persist(new PositionsAdvanced(Map.copyOf(acks), Map.copyOf(reads))).thenNoReply();
  }

  // ------------------------------------------------------------------------------------------- helpers

  private Snapshot snapshot(ConversationState state) {
    return new Snapshot(cid, state.kind(), state.creator(), state.members(), state.muted(), state.attributesJson(),
        state.unique(), state.uniqueId(), state.createdAt(), state.updatedAt(), state.expiresAt(),
        log.last().orElse(null));
  }

  private ReplyEffect<Event, ConversationState> notFound(ActorRef<Reply> replyTo) {
    if (cid.startsWith(ConversationIds.TEMPORARY_PREFIX)) {
      return expired(replyTo);
    }
    return reject(replyTo, 4303, "CONVERSATION_NOT_FOUND", "no conversation " + cid);
  }

  private ReplyEffect<Event, ConversationState> expired(ActorRef<Reply> replyTo) {
    return reject(replyTo, 4323, "TEMPORARY_CONVERSATION_EXPIRED", "temporary conversation " + cid + " has expired");
  }

  private ReplyEffect<Event, ConversationState> reject(ActorRef<Reply> replyTo, int code, String reason, String detail) {
    return Effect().reply(replyTo, new Rejected(code, reason, detail));
  }

  private static List<String> others(List<String> clientIds, String except) {
    return clientIds.stream().filter(id -> !id.equals(except)).toList();
  }

  /** The partial failures that name anyone, in order. */
  private static List<Failure> failures(Failure... candidates) {
    return java.util.Arrays.stream(candidates).filter(failure -> !failure.clientIds().isEmpty()).toList();
  }

  private static List<String> distinct(List<String> clientIds) {
    return List.copyOf(new LinkedHashSet<>(clientIds));
  }
}
