package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.hooks.Hooks;
import io.parley.node.message.MessageArchive;
import io.parley.node.message.StoredMessage;
import io.parley.node.serialization.CborSerializable;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One conversation: a sharded, event-sourced entity that owns the conversation's truth (kind,
 * creator, ordered members, muted members, attributes exactly as the SDK sent them) and tells
 * members what changed (docs/protocol.md §11) through {@link Notices}. Entity ids are {@code
 * appId:cid}, so apps never see each other's conversations. Chatroom members are sessions attached
 * in memory, never persisted.
 *
 * <p>Replies carry plain records, never wire types; every refusal carries its LeanCloud code.
 *
 * <p>This class holds the entity's protocol and routes each command; the handlers live with what
 * they handle: {@link ConversationMembership}, {@link ConversationRoom}, {@link
 * ConversationMessaging}, {@link ConversationCatchUp}, {@link ConversationEdits} and {@link
 * ConversationModeration}. The rules are on {@link ConversationState}.
 */
public final class Conversation
    extends EventSourcedBehaviorWithEnforcedReplies<
        Conversation.Command, Conversation.Event, ConversationState> {

  public sealed interface Command extends CborSerializable {}

  /**
   * A command that is answered: a conversation that does not exist, or a temporary one that has
   * expired, answers every one of them the same way (the command handler's first two blocks).
   */
  public sealed interface Request extends Command {
    ActorRef<Reply> replyTo();
  }

  /**
   * The initiator of calls made by the app server (the REST API with the master key): it may add,
   * remove, update and moderate in any conversation without being a member or a moderator, it never
   * becomes a member itself, and the notices it causes carry no {@code initBy} (REST-AND-HOOKS §3).
   * A conversation it starts has no Owner.
   */
  public static final String SERVER = "";

  /**
   * Creates the conversation with {@code members} plus the creator. Replies {@link Created}; for a
   * unique conversation that already exists, {@link Created} with {@code existing} and nothing
   * changes.
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
      implements Request {}

  /**
   * To the first conversation of a unique temporary member set, once it expired: replies {@link
   * Moved} to the conversation that replaces it, a new one if there is none yet or if it is {@code
   * stale} (expired too).
   */
  public record Successor(String stale, ActorRef<Reply> replyTo) implements Request {}

  /**
   * conv/add: invite others, or join. Replies {@link MembershipChanged} or {@link Rejected}. In a
   * chatroom the initiator's {@code session} joins (others cannot be invited: 4314); {@code
   * session} is null where no session asks (the REST API).
   */
  public record Add(
      String initiator,
      List<String> clientIds,
      long timestamp,
      ActorRef<Delivery> session,
      ActorRef<Reply> replyTo,
      SelfJoin selfJoin)
      implements Request {
    /**
     * An add on behalf of the app (or with LeanCloud's rule): a non-member may join any
     * conversation by id.
     */
    public Add(
        String initiator,
        List<String> clientIds,
        long timestamp,
        ActorRef<Delivery> session,
        ActorRef<Reply> replyTo) {
      this(initiator, clientIds, timestamp, session, replyTo, SelfJoin.ANY);
    }
  }

  /** conv/remove: kick others, or quit. Replies {@link MembershipChanged} or {@link Rejected}. */
  public record Remove(
      String initiator, List<String> clientIds, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  /** Chatroom join by one session. Replies {@link MembershipChanged}. */
  public record JoinRoom(String clientId, ActorRef<Delivery> session, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * Chatroom leave by one session (no reply: also sent when a session ends or joins another room).
   */
  public record LeaveRoom(String clientId, ActorRef<Delivery> session) implements Command {}

  /** conv/update: the new attributes are computed by the caller's {@link AttributeUpdate}. */
  public record Update(String initiator, String updateJson, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  /** conv/mute and conv/unmute for {@code clientId}. Replies {@link Accepted}. */
  public record Mute(String clientId, boolean mute, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * Deletes the conversation (REST {@code DELETE}, REST-AND-HOOKS §3.1): later requests find
   * nothing (4303), its members' index rows go and its history can no longer be read. Replies
   * {@link Accepted} with what it was.
   */
  public record Delete(long timestamp, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Replies {@link Accepted} with the current state, or {@link Rejected} when it does not exist.
   */
  public record Get(ActorRef<Reply> replyTo) implements Request {}

  /**
   * Before a history read: replies {@link HistoryOpened} when {@code reader} may read it (members;
   * in a chatroom, who has joined it), else {@link Rejected} 4312.
   */
  public record OpenHistory(String reader, ActorRef<Reply> replyTo) implements Request {}

  /** Replies {@link Counted}: members, or clients online in a chatroom. */
  public record Count(ActorRef<Reply> replyTo) implements Request {}

  /**
   * conv/member_info_update (§6.9): {@code clientId} becomes {@code role}. Replies {@link
   * Accepted}.
   */
  public record ChangeRole(
      String initiator, String clientId, String role, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  /** add_shutup / remove_shutup (§6.10). Replies {@link MembershipChanged}. */
  public record Shutup(
      String initiator,
      List<String> clientIds,
      boolean add,
      long timestamp,
      ActorRef<Reply> replyTo)
      implements Request {}

  /** blacklist block / unblock (§6.11). Replies {@link MembershipChanged}. */
  public record Block(
      String initiator,
      List<String> clientIds,
      boolean add,
      long timestamp,
      ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * A silence for a while (REST {@code temporary-silenceds}, REST-AND-HOOKS §3.1): {@code
   * clientIds} may not send (4315) until {@code until} (ms); {@code until} 0 lifts it. Only the app
   * server asks; normal conversations and chatrooms. Replies {@link Accepted}.
   */
  public record SilenceTemporarily(
      List<String> clientIds, long until, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * A random sample of at most {@code limit} clients online in a chatroom (REST {@code
   * chatrooms/{id}/members}). Replies {@link Listed}.
   */
  public record OnlineSample(int limit, ActorRef<Reply> replyTo) implements Request {}

  /**
   * The members' roles (§6.9, {@code _ConversationMemberInfo}): replies {@link Roles}; a {@code
   * reader} (null: the master key) must be a member (4317).
   */
  public record RolesOf(String reader, ActorRef<Reply> replyTo) implements Request {}

  /**
   * query_shutup / blacklist query: a page of the list after {@code next}. Replies {@link Listed},
   * or 4317 when {@code requester} is not a member (null: asked on behalf of the app).
   */
  public record ListModerated(
      boolean blacklist, int limit, String next, ActorRef<Reply> replyTo, String requester)
      implements Request {
    public ListModerated(boolean blacklist, int limit, String next, ActorRef<Reply> replyTo) {
      this(blacklist, limit, next, replyTo, null);
    }
  }

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
      int payload = binary ? (data.length() * 3) / 4 : data.getBytes(StandardCharsets.UTF_8).length;
      return payload + (pushData == null ? 0 : pushData.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  /**
   * direct (§6.12): stores the message (unless transient or a will), then replies {@link Sent} and
   * delivers it to every member's sessions on any node, except {@code origin}, the sending session.
   * {@code sourceIp}: the sender's address, for the app's hooks (may be null).
   */
  public record Send(
      String sender,
      MessageDraft draft,
      ActorRef<Delivery> origin,
      ActorRef<Reply> replyTo,
      String sourceIp)
      implements Request {}

  /**
   * A message the app server sends as {@code sender} (REST, REST-AND-HOOKS §3.1): stored, acked and
   * delivered as a client's {@link Send}, with the same offline queues and unread counts, but
   * without the membership and shut-up checks. Delivered to the members (a system conversation's
   * subscribers, a chatroom's online clients) and, unless {@code syncToSender} is off, to the
   * sender's own sessions (never in a chatroom). With {@code toClients} (a service conversation
   * only, else 4313): a per-user message, stored with its recipients and delivered, counted and
   * shown in history to them alone. {@code validTill} (ms, 0: none): a global broadcast's expiry,
   * after which it is no longer queued or counted for who has not received it.
   */
  public record Post(
      String sender,
      MessageDraft draft,
      boolean syncToSender,
      ActorRef<Reply> replyTo,
      List<String> toClients,
      long validTill)
      implements Request {

    public Post {
      toClients = toClients == null ? List.of() : List.copyOf(toClients);
    }

    public Post(String sender, MessageDraft draft, boolean syncToSender, ActorRef<Reply> replyTo) {
      this(sender, draft, syncToSender, replyTo, List.of(), 0);
    }
  }

  /**
   * ack (§6.13): {@code member} has received messages up to {@code toTimestamp} (or message {@code
   * messageId}).
   */
  public record Acked(String member, long toTimestamp, String messageId) implements Command {}

  /**
   * read (§6.14): {@code member} has read up to {@code timestamp} (or message {@code messageId}, or
   * now).
   */
  public record MarkRead(String member, long timestamp, String messageId, ActorRef<Delivery> origin)
      implements Command {}

  /**
   * Replies {@link Unread}: {@code member}'s unread count, mention flag and the last message
   * (§8.4).
   */
  public record UnreadOf(String member, ActorRef<Reply> replyTo) implements Request {}

  /** Replies {@link Undelivered}: the offline queue of {@code member} (§8.3). */
  public record UndeliveredTo(String member, int limit, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * Replies {@link Patches}: recent messages patched after {@code since} (patch sync at login of
   * {@code member}, §10).
   */
  public record PatchesSince(String member, long since, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * conv/max_read (§6.8): replies {@link Positions} of the other member, {@code target}, or
   * everyone.
   */
  public record MaxRead(String requester, String target, boolean all, ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * patch/modify (§6.16): recall or edit one's own message. Replies {@link PatchApplied}. Without
   * an {@code origin} (no session) it is the app server's (REST), which calls {@code
   * _messageUpdate} only with the app's {@code rest-messages} on.
   */
  public record PatchMessage(
      String requester,
      String messageId,
      long timestamp,
      boolean recall,
      String data,
      boolean binary,
      List<String> mentionPids,
      boolean mentionAll,
      ActorRef<Delivery> origin,
      ActorRef<Reply> replyTo)
      implements Request {}

  /**
   * Deletes one stored message (REST, REST-AND-HOOKS §3.1): server side only, nobody is told.
   * Replies {@link Accepted} once the deletion is durable.
   */
  public record DeleteMessage(String messageId, long timestamp, ActorRef<Reply> replyTo)
      implements Request {}

  record MessageDeleted(DeleteMessage request, Throwable failure) implements Command {}

  /**
   * The newest messages, and the ids and timestamps of more of them (for resends); or why they
   * could not be read.
   */
  record RecentLoaded(List<StoredMessage> messages, Map<String, Long> ids, Throwable failure)
      implements Command {}

  /** Load the recent messages again after a failed load. */
  enum RetryRecentLoad implements Command {
    INSTANCE
  }

  record BatchWritten(List<MessageLog.Pending> batch, Throwable failure) implements Command {}

  /**
   * The app's {@code _messageReceived} answered for the send it numbered {@code seq} (see {@link
   * MessageHooks}).
   */
  record MessageHookAnswered(long seq, HookOutcome outcome) implements Command {}

  /** The app's {@code _messageUpdate} answered for {@code patch}. */
  record PatchHookAnswered(PatchMessage patch, HookOutcome outcome) implements Command {}

  record UndeliveredLoaded(UndeliveredTo query, List<StoredMessage> messages, Throwable failure)
      implements Command {}

  record PatchLookedUp(PatchMessage patch, Optional<StoredMessage> original, Throwable failure)
      implements Command {}

  record PatchWritten(PatchMessage patch, StoredMessage patched, Throwable failure)
      implements Command {}

  /**
   * From sharding when the entity passivates or moves (handoff, shutdown): positions that moved are
   * persisted and writes in flight are answered first, then the entity stops.
   */
  enum Stop implements Command {
    INSTANCE
  }

  /** Persists the positions that moved; package-private so that tests can flush without waiting. */
  enum FlushPositions implements Command {
    INSTANCE
  }

  record RoomSessionEnded(ActorRef<Delivery> session) implements Command {}

  /** The member index has a change: the reply prepared when it was persisted can go. */
  private record Indexed(ActorRef<Reply> replyTo, Reply reply) implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(Snapshot conversation) implements Reply {}

  public record Created(Snapshot conversation, boolean existing) implements Reply {}

  /**
   * A unique temporary start goes on at {@code cid}; {@code stale} names an expired conversation to
   * replace (then {@code cid} is the first one of the member set, to be asked for its {@link
   * Successor}).
   */
  public record Moved(String cid, String stale) implements Reply {}

  /** Partial success (§6.2/§6.3): who was added or removed, and who failed with which code. */
  public record MembershipChanged(Snapshot conversation, List<String> allowed, List<Failure> failed)
      implements Reply {}

  public record Failure(int code, String reason, List<String> clientIds)
      implements CborSerializable {
    public Failure(ErrorCode code, List<String> clientIds) {
      this(code.code(), code.reason(), clientIds);
    }
  }

  public record Counted(int count) implements Reply {}

  /**
   * History may be read: where it starts, whether it is a chatroom's (its history is bucketed by
   * day), the other member's positions in a conversation of two (or null), and whether a reader
   * sees only its own of the per-user messages (a service conversation).
   */
  public record HistoryOpened(long createdAt, boolean chatroom, Position other, boolean perUser)
      implements Reply {}

  public record Sent(String messageId, long timestamp) implements Reply {}

  public record Unread(String cid, int count, StoredMessage last, boolean mentioned, int convType)
      implements Reply {}

  public record Undelivered(String cid, List<StoredMessage> messages, boolean hasMore, int convType)
      implements Reply {}

  public record Position(String clientId, long acked, long read) implements CborSerializable {}

  public record Positions(List<Position> positions) implements Reply {}

  public record PatchApplied(long patchTimestamp) implements Reply {}

  public record Patches(String cid, List<StoredMessage> messages) implements Reply {}

  /**
   * Every member's role; the creator is the Owner when still a member, members not listed are
   * Members.
   */
  public record Roles(String cid, List<String> members, Map<String, String> roles, long updatedAt)
      implements Reply {}

  /** A page of client ids and the cursor of the next page (null at the end). */
  public record Listed(List<String> clientIds, String next) implements Reply {}

  /** A refusal with the LeanCloud error code the client must get. */
  public record Rejected(int code, String reason, String detail) implements Reply {
    public Rejected(ErrorCode code, String detail) {
      this(code.code(), code.reason(), detail);
    }

    /** Whether this refusal carries {@code code}. */
    public boolean is(ErrorCode code) {
      return this.code == code.code();
    }
  }

  /**
   * Refused by the app's hook: the LeanCloud code, and the app's own {@code appCode} and {@code
   * appMsg} (may be null).
   */
  public record RejectedByApp(int code, String reason, Integer appCode, String appMsg)
      implements Reply {
    public RejectedByApp(ErrorCode code, Integer appCode, String appMsg) {
      this(code.code(), code.reason(), appCode, appMsg);
    }
  }

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
      StoredMessage lastMessage)
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

  public record MembersRemoved(String initBy, List<String> removed, long timestamp)
      implements Event {}

  public record AttributesUpdated(String initBy, String attributesJson, long timestamp)
      implements Event {}

  public record MuteChanged(String clientId, boolean muted, long timestamp) implements Event {}

  public record RoleChanged(String initBy, String clientId, String role, long timestamp)
      implements Event {}

  public record ShutupChanged(String initBy, List<String> clientIds, boolean added, long timestamp)
      implements Event {}

  public record BlacklistChanged(
      String initBy, List<String> clientIds, boolean added, long timestamp) implements Event {}

  /** {@code clientIds} are silenced until {@code until} (0: no longer). */
  public record TemporarySilenceChanged(List<String> clientIds, long until, long timestamp)
      implements Event {}

  /** The conversation was deleted: its state is empty again. */
  public record Deleted(long timestamp) implements Event {}

  /**
   * The expired first conversation of a unique temporary member set names the one that replaces it.
   */
  public record SuccessorChosen(String cid) implements Event {}

  /**
   * Members' delivered and read positions, coalesced: one event for many acks (never one per
   * message).
   */
  public record PositionsAdvanced(Map<String, Long> acked, Map<String, Long> read)
      implements Event {}

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Conversation");

  private final String appId;
  private final String cid;
  private final ActorContext<Command> context;
  private final ConversationSettings settings;
  private final Notices notices;
  private final MemberIndex index;
  private final MessageArchive archive;
  private final Clock clock;
  private final Durability durability;
  private final MessageLog log;
  private final ConversationMessaging messaging;
  private final ConversationModeration moderation;
  private final ConversationRoom room;
  private final ConversationMembership membership;
  private final ConversationEdits edits;
  private final ConversationCatchUp catchUp;

  /** Replies waiting for the member index to have a change. */
  private int awaitingIndex;

  /** Sharding asked the entity to stop; it does once nothing is pending. */
  private boolean stopping;

  /**
   * The {@code serverTs} of the last reliable notice sent (§15); in memory: time moves on across
   * restarts.
   */
  private long lastNotificationTs;

  public static void init(
      ActorSystem<?> system,
      ConversationSettings limits,
      Notices notices,
      MemberIndex index,
      MessageArchive archive,
      Hooks hooks,
      Clock clock,
      Durability durability,
      Residency residency) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_KEY,
                    entity ->
                        create(
                            entity.getEntityId(),
                            limits,
                            notices,
                            index,
                            archive,
                            hooks,
                            clock,
                            durability))
                .withStopMessage(Stop.INSTANCE)
                .withSettings(residency.sharding(system)));
  }

  public static Behavior<Command> create(
      String entityId,
      ConversationSettings limits,
      Notices notices,
      MemberIndex index,
      MessageArchive archive,
      Clock clock) {
    return create(entityId, limits, notices, index, archive, clock, Durability.DEFAULT);
  }

  /** Without cloud hooks. */
  public static Behavior<Command> create(
      String entityId,
      ConversationSettings limits,
      Notices notices,
      MemberIndex index,
      MessageArchive archive,
      Clock clock,
      Durability durability) {
    return create(entityId, limits, notices, index, archive, Hooks.NONE, clock, durability);
  }

  public static Behavior<Command> create(
      String entityId,
      ConversationSettings limits,
      Notices notices,
      MemberIndex index,
      MessageArchive archive,
      Hooks hooks,
      Clock clock,
      Durability durability) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context -> {
                  timers.startTimerWithFixedDelay(
                      FlushPositions.INSTANCE, durability.positionFlush());
                  return new Conversation(
                      context, entityId, limits, notices, index, archive, hooks, clock, durability);
                }));
  }

  private Conversation(
      ActorContext<Command> context,
      String entityId,
      ConversationSettings limits,
      Notices notices,
      MemberIndex index,
      MessageArchive archive,
      Hooks hooks,
      Clock clock,
      Durability durability) {
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
    this.durability = durability;
    this.log = new MessageLog(limits.offlineMessagesPerConversation(), durability.tailBudget());
    MessageHooks messageHooks = new MessageHooks(hooks, appId, cid, context);
    this.messaging =
        new ConversationMessaging(
            this,
            appId,
            cid,
            context,
            limits,
            notices,
            archive,
            clock,
            log,
            index,
            durability.indexActivityInterval(),
            messageHooks);
    this.edits =
        new ConversationEdits(
            this, appId, cid, context, notices, archive, clock, log, messageHooks);
    this.catchUp = new ConversationCatchUp(this, appId, cid, context, archive, clock, log, index);
    this.moderation = new ConversationModeration(this, appId, cid, limits, notices, index);
    this.room = new ConversationRoom(this, cid, context, limits);
    this.membership = new ConversationMembership(this, appId, cid, limits, notices, clock, room);
  }

  /**
   * A snapshot every {@code snapshotEvery} events bounds what a recovery replays; with {@code
   * deleteEventsOnSnapshot} the events before the oldest kept snapshot are deleted, which bounds
   * the journal (nothing else reads them).
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    if (durability.snapshotEvery() <= 0) {
      return RetentionCriteria.disabled();
    }
    var every =
        RetentionCriteria.snapshotEvery(durability.snapshotEvery(), durability.keepSnapshots());
    return durability.deleteEventsOnSnapshot() ? every.withDeleteEventsOnSnapshot() : every;
  }

  @Override
  public ConversationState emptyState() {
    return ConversationState.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ConversationState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    // Until its recent messages are in memory (after recovery), requests wait: they all read them,
    // `Get` too.
    builder
        .forState(state -> state.exists() && !log.loaded())
        .onCommand(Conversation::waitsForRecent, (state, command) -> Effect().stash());
    builder
        .forState(state -> !state.exists())
        .onCommand(Start.class, membership::onStart)
        .onCommand(
            Send.class,
            (state, send) ->
                temporary()
                    ? notFound(send.replyTo())
                    : reject(
                        send.replyTo(),
                        ErrorCode.INVALID_MESSAGING_TARGET,
                        "no conversation " + cid))
        .onCommand(
            PatchMessage.class,
            (state, patch) ->
                temporary()
                    ? notFound(patch.replyTo())
                    : reject(
                        patch.replyTo(), ErrorCode.MESSAGE_NOT_FOUND, "no conversation " + cid))
        .onCommand(Request.class, (state, request) -> notFound(request.replyTo()));
    builder
        .forState(state -> state.exists() && state.expiredAt(clock.millis()))
        .onCommand(Start.class, membership::onStartExpired)
        .onCommand(Successor.class, membership::onSuccessor)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Request.class, (state, request) -> expired(request.replyTo()));
    builder
        .forAnyState()
        .onCommand(Start.class, membership::onStartExisting)
        .onCommand(
            Successor.class,
            (state, successor) -> answer(successor.replyTo(), new Moved(cid, null)))
        .onCommand(Add.class, membership::onAdd)
        .onCommand(Remove.class, membership::onRemove)
        .onCommand(JoinRoom.class, room::onJoinRoom)
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Mute.class, this::onMute)
        .onCommand(
            Get.class, (state, get) -> Effect().reply(get.replyTo(), new Accepted(snapshot(state))))
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Count.class, room::onCount)
        .onCommand(ChangeRole.class, moderation::onChangeRole)
        .onCommand(Shutup.class, moderation::onShutup)
        .onCommand(Block.class, moderation::onBlock)
        .onCommand(SilenceTemporarily.class, moderation::onSilenceTemporarily)
        .onCommand(OnlineSample.class, room::onOnlineSample)
        .onCommand(ListModerated.class, moderation::onListModerated)
        .onCommand(RolesOf.class, moderation::onRolesOf)
        .onCommand(Send.class, messaging::onSend)
        .onCommand(Post.class, messaging::onPost)
        .onCommand(DeleteMessage.class, edits::onDeleteMessage)
        .onCommand(UnreadOf.class, catchUp::onUnreadOf)
        .onCommand(UndeliveredTo.class, catchUp::onUndeliveredTo)
        .onCommand(MaxRead.class, messaging::onMaxRead)
        .onCommand(OpenHistory.class, messaging::onOpenHistory)
        .onCommand(PatchesSince.class, catchUp::onPatchesSince)
        .onCommand(PatchMessage.class, edits::onPatch);
    builder
        .forAnyState()
        .onCommand(LeaveRoom.class, room::onLeaveRoom)
        .onCommand(RoomSessionEnded.class, room::onSessionEnded)
        .onCommand(Indexed.class, this::onIndexed)
        .onCommand(MessageDeleted.class, edits::onMessageDeleted)
        .onCommand(Acked.class, messaging::onAcked)
        .onCommand(MarkRead.class, messaging::onMarkRead)
        .onCommand(RecentLoaded.class, messaging::onRecentLoaded)
        .onCommand(RetryRecentLoad.class, (state, retry) -> messaging.onRetryRecentLoad(state))
        .onCommand(BatchWritten.class, messaging::onBatchWritten)
        .onCommand(MessageHookAnswered.class, messaging::onMessageHookAnswered)
        .onCommand(PatchHookAnswered.class, edits::onPatchHookAnswered)
        .onCommand(UndeliveredLoaded.class, catchUp::onUndeliveredLoaded)
        .onCommand(PatchLookedUp.class, edits::onPatchLookedUp)
        .onCommand(PatchWritten.class, edits::onPatchWritten)
        .onCommand(FlushPositions.class, (state, flush) -> messaging.onFlushPositions(state))
        .onCommand(Stop.class, this::onStop);
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
        .onEvent(TemporarySilenceChanged.class, ConversationState::temporarySilenceChanged)
        .onEvent(PositionsAdvanced.class, ConversationState::positionsAdvanced)
        .onEvent(Deleted.class, (state, deleted) -> ConversationState.empty())
        .onEvent(SuccessorChosen.class, ConversationState::successorChosen)
        .build();
  }

  /**
   * After recovery the recent messages load, then the member index is re-asserted (heals a write
   * lost in a crash).
   */
  @Override
  public SignalHandler<ConversationState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // The member index is re-asserted once the recent messages are in
              // (ConversationMessaging).
              if (state.exists()) {
                messaging.loadRecent(state);
                if (state.kind() == Kind.TRANSIENT) {
                  // A chatroom that moved or restarted re-learns who is in it from every node.
                  notices.roomStarted(appId, cid, context.getSelf());
                }
              } else {
                log.loaded(List.of(), Map.of());
              }
            })
        // Passivation, handoff, shutdown or a restart after a failure: the tail's bytes go back to
        // the node.
        .onSignal(PostStop.class, (state, signal) -> log.release())
        .onSignal(PreRestart.class, (state, signal) -> log.release())
        .build();
  }

  // ----------------------------------------------------------------------------------------------
  // delete

  private ReplyEffect<Event, ConversationState> onDelete(ConversationState state, Delete delete) {
    Snapshot before = snapshot(state);
    Snapshot memberless =
        new Snapshot(
            before.id(),
            before.kind(),
            before.creator(),
            List.of(),
            List.of(),
            before.attributesJson(),
            before.unique(),
            before.uniqueId(),
            before.createdAt(),
            delete.timestamp(),
            before.expiresAt(),
            null);
    return Effect()
        .persist(new Deleted(delete.timestamp()))
        .thenRun(
            after ->
                context.pipeToSelf(
                    index.record(appId, memberless, state.members()),
                    (done, failure) -> new Indexed(delete.replyTo(), new Accepted(before))))
        .thenNoReply();
  }

  // ---------------------------------------------------------------------------------- update,
  // mute, count

  private ReplyEffect<Event, ConversationState> onUpdate(ConversationState state, Update update) {
    if (state.kind() == Kind.TEMPORARY) {
      return reject(
          update.replyTo(),
          ErrorCode.CONVERSATION_READ_ONLY,
          "temporary conversations have no attributes");
    }
    if (!isParticipant(state, update.initiator())) {
      return reject(
          update.replyTo(),
          ErrorCode.CONVERSATION_UPDATE_REJECTED,
          update.initiator() + " is not a member");
    }
    AttributeUpdate.Result result;
    try {
      result = AttributeUpdate.apply(state.attributesJson(), update.updateJson());
    } catch (IllegalArgumentException invalid) {
      return reject(update.replyTo(), ErrorCode.CONVERSATION_UPDATE_FAILED, invalid.getMessage());
    }
    int size = result.attributesJson().getBytes(StandardCharsets.UTF_8).length;
    if (size > settings.maxAttributesSize()) {
      // Bounded after the update too: `__op: Add` grows arrays one update at a time.
      return reject(
          update.replyTo(),
          ErrorCode.CONVERSATION_UPDATE_FAILED,
          "attributes of " + size + " bytes would exceed " + settings.maxAttributesSize());
    }
    return Effect()
        .persist(
            new AttributesUpdated(update.initiator(), result.attributesJson(), update.timestamp()))
        .thenRun(
            after ->
                notices.send(
                    appId,
                    ClientIds.others(after.members(), update.initiator()),
                    new Notice.Updated(
                        cid,
                        update.initiator(),
                        result.appliedJson(),
                        result.modifiedJson(),
                        update.timestamp(),
                        notificationTs())))
        .thenReply(update.replyTo(), after -> new Accepted(snapshot(after)));
  }

  private ReplyEffect<Event, ConversationState> onMute(ConversationState state, Mute mute) {
    if (state.kind() == Kind.TEMPORARY) {
      return reject(
          mute.replyTo(),
          ErrorCode.CONVERSATION_READ_ONLY,
          "temporary conversations cannot be muted");
    }
    if (!isParticipant(state, mute.clientId())) {
      return reject(
          mute.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          mute.clientId() + " is not a member");
    }
    if (state.muted().contains(mute.clientId()) == mute.mute()) {
      return Effect().reply(mute.replyTo(), new Accepted(snapshot(state)));
    }
    return Effect()
        .persist(new MuteChanged(mute.clientId(), mute.mute(), mute.timestamp()))
        .thenReply(mute.replyTo(), after -> new Accepted(snapshot(after)));
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  /** Members of a conversation; in a chatroom, whoever has joined it (is online in it). */
  boolean isParticipant(ConversationState state, String clientId) {
    // The app server (REST) reads a chatroom's history without a seat, as it reads any
    // conversation's.
    return state.kind() == Kind.TRANSIENT
        ? SERVER.equals(clientId) || room.hasJoined(clientId)
        : state.isMember(clientId);
  }

  /** The entity's effects, for its handler classes ({@link ConversationMessaging}, …). */
  EffectFactories<Event, ConversationState> effects() {
    return Effect();
  }

  /**
   * The {@code serverTs} of the next reliable notice: now, or one more than the previous one (§15).
   */
  long notificationTs() {
    lastNotificationTs = Math.max(clock.millis(), lastNotificationTs + 1);
    return lastNotificationTs;
  }

  Snapshot snapshot(ConversationState state) {
    return new Snapshot(
        cid,
        state.kind(),
        state.creator(),
        state.members(),
        state.muted(),
        state.attributesJson(),
        state.unique(),
        state.uniqueId(),
        state.createdAt(),
        state.updatedAt(),
        state.expiresAt(),
        log.lastVisibleTo(null).orElse(null));
  }

  private ReplyEffect<Event, ConversationState> notFound(ActorRef<Reply> replyTo) {
    return reject(replyTo, ErrorCode.CONVERSATION_NOT_FOUND, "no conversation " + cid);
  }

  /**
   * An expired temporary conversation is not found, as on LeanCloud: the SDKs turn 4303 for a
   * {@code _tmp:} id into their own TEMPORARY_CONVERSATION_EXPIRED (docs/protocol-notes.md).
   */
  ReplyEffect<Event, ConversationState> expired(ActorRef<Reply> replyTo) {
    return reject(
        replyTo,
        ErrorCode.CONVERSATION_NOT_FOUND,
        "temporary conversation " + cid + " has expired");
  }

  /** A temporary conversation's id: unknown or expired, it is answered 4303 whatever was asked. */
  private boolean temporary() {
    return cid.startsWith(ConversationIds.TEMPORARY_PREFIX);
  }

  ReplyEffect<Event, ConversationState> reject(
      ActorRef<Reply> replyTo, ErrorCode code, String detail) {
    return answer(replyTo, new Rejected(code, detail));
  }

  /** Replies unless nobody asked: renewals and will messages are sent without a reply-to. */
  ReplyEffect<Event, ConversationState> answer(ActorRef<Reply> replyTo, Reply reply) {
    return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, reply);
  }

  /** Everything but the entity's own completions waits while the recent messages load. */
  private static boolean waitsForRecent(Command command) {
    return !(command instanceof RecentLoaded
        || command instanceof RetryRecentLoad
        || command instanceof BatchWritten
        || command instanceof MessageHookAnswered
        || command instanceof PatchHookAnswered
        || command instanceof PatchLookedUp
        || command instanceof PatchWritten
        || command instanceof UndeliveredLoaded
        || command instanceof Indexed
        || command instanceof MessageDeleted
        || command instanceof FlushPositions
        || command instanceof RoomSessionEnded
        || command instanceof Stop);
  }

  /**
   * Persists a change of membership, tells the members, and replies once the member index has the
   * change, so the client's next query already sees it (an index failure does not fail the request:
   * the index retries, and recovery re-asserts the rows).
   */
  ReplyEffect<Event, ConversationState> persistIndexed(
      Event event,
      List<String> removed,
      ActorRef<Reply> replyTo,
      Function<ConversationState, Reply> reply,
      Consumer<ConversationState> notify) {
    return Effect()
        .persist(event)
        .thenRun(
            after -> {
              notify.accept(after);
              Reply answer = reply.apply(after);
              awaitingIndex++;
              context.pipeToSelf(
                  index.record(appId, snapshot(after), removed),
                  (done, failure) -> new Indexed(replyTo, answer));
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, ConversationState> onIndexed(
      ConversationState state, Indexed indexed) {
    awaitingIndex--;
    indexed.replyTo().tell(indexed.reply());
    return stopWhenIdle(state);
  }

  /**
   * Passivation or handoff (sharding's stop message): the entity stops once nothing it started is
   * pending, so no answer is lost to dead letters: sends being written, replies waiting for the
   * member index.
   */
  private ReplyEffect<Event, ConversationState> onStop(ConversationState state, Stop stop) {
    stopping = true;
    return stopWhenIdle(state);
  }

  boolean stopping() {
    return stopping;
  }

  /**
   * After a stop was asked and the last pending work is done: persists positions that moved, and
   * stops.
   */
  ReplyEffect<Event, ConversationState> stopWhenIdle(ConversationState state) {
    // Requests stashed until the recent messages load are answered first: the load's completion
    // asks again.
    if (!stopping || log.busy() || awaitingIndex > 0 || (state.exists() && !log.loaded())) {
      return Effect().noReply();
    }
    PositionsAdvanced moved = messaging.unsavedPositions(state);
    return moved == null
        ? Effect().stop().thenNoReply()
        : Effect().persist(moved).thenStop().thenNoReply();
  }
}
