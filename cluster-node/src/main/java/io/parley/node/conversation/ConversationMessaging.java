package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.message.MessageArchive;
import io.parley.node.message.StoredMessage;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The messaging half of a {@link Conversation} entity (docs/protocol.md §6.12–§6.16, §8, §9): sends
 * are stored in batches before they are acked and then delivered in order; acks, reads, unread
 * counts, offline queues, receipts and patches work on the entity's {@link MessageLog}. Handlers
 * return the entity's effects; the entity routes its commands here.
 */
final class ConversationMessaging {

  private final Conversation entity;
  private final String appId;
  private final String cid;
  private final ActorContext<Conversation.Command> context;
  private final ConversationSettings settings;
  private final Notices notices;
  private final MessageArchive archive;
  private final Clock clock;
  private final MessageLog log;
  private final MessageHooks hooks;
  private final MemberIndex index;
  private final Duration indexActivityInterval;

  /**
   * When the member index last learnt of this conversation's activity (0: not since the entity
   * started).
   */
  private long activityIndexedAt;

  private static final Duration RECENT_LOAD_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_RECENT_LOAD_BACKOFF = Duration.ofSeconds(5);
  private int loadFailures;

  ConversationMessaging(
      Conversation entity,
      String appId,
      String cid,
      ActorContext<Conversation.Command> context,
      ConversationSettings settings,
      Notices notices,
      MessageArchive archive,
      Clock clock,
      MessageLog log,
      MemberIndex index,
      Duration indexActivityInterval,
      MessageHooks hooks) {
    this.entity = entity;
    this.appId = appId;
    this.cid = cid;
    this.context = context;
    this.settings = settings;
    this.notices = notices;
    this.archive = archive;
    this.clock = clock;
    this.log = log;
    this.hooks = hooks;
    this.index = index;
    this.indexActivityInterval = indexActivityInterval;
  }

  /** Where this conversation's messages are: chatrooms are bucketed by day (review M11). */
  private MessageArchive archive(ConversationState state) {
    return archive(archive, state);
  }

  /** Where the messages of a conversation in {@code state} are, of {@code archive}. */
  static MessageArchive archive(MessageArchive archive, ConversationState state) {
    return state.kind() == Kind.TRANSIENT ? archive.chatroom() : archive;
  }

  void loadRecent(ConversationState state) {
    context.pipeToSelf(
        archive(state)
            .recent(appId, cid, MessageLog.RECENT, state.createdAt())
            .thenCombine(
                archive(state).recentIds(appId, cid, MessageLog.DEDUP_ENTRIES, state.createdAt()),
                (messages, ids) -> new Conversation.RecentLoaded(messages, ids, null)),
        (loaded, failure) ->
            failure == null ? loaded : new Conversation.RecentLoaded(null, null, failure));
  }

  /**
   * Requests wait (stashed) until the recent messages are in memory; a failed load is tried again
   * with a backoff (200 ms doubling up to 5 s), so a Cassandra outage delays a conversation but
   * never blocks it.
   */
  ReplyEffect<Conversation.Event, ConversationState> onRecentLoaded(
      ConversationState state, Conversation.RecentLoaded loaded) {
    if (loaded.failure() != null) {
      Duration backoff = RECENT_LOAD_BACKOFF.multipliedBy(1L << Math.min(loadFailures++, 5));
      Duration delay =
          backoff.compareTo(MAX_RECENT_LOAD_BACKOFF) > 0 ? MAX_RECENT_LOAD_BACKOFF : backoff;
      context
          .getLog()
          .warn(
              "Loading recent messages of {} failed, retrying in {} ms: {}",
              cid,
              delay.toMillis(),
              loaded.failure().toString());
      context.scheduleOnce(delay, context.getSelf(), Conversation.RetryRecentLoad.INSTANCE);
      return entity.effects().noReply();
    }
    loadFailures = 0;
    log.loaded(loaded.messages(), loaded.ids());
    // Re-asserts the member index (heals an insert lost in a crash) with the conversation's last
    // activity.
    indexActivity(state, true);
    if (entity.stopping()) {
      // Asked to stop while loading: after the requests that waited for the load (unstashed first).
      context.getSelf().tell(Conversation.Stop.INSTANCE);
    }
    return entity.effects().noReply().thenUnstashAll();
  }

  ReplyEffect<Conversation.Event, ConversationState> onRetryRecentLoad(ConversationState state) {
    if (!log.loaded() && state.exists()) {
      loadRecent(state);
    }
    return entity.effects().noReply();
  }

  /** The conversation's type as the protocol numbers it ({@code convType}). */
  static int convType(ConversationState state) {
    return switch (state.kind()) {
      case NORMAL -> 1;
      case TRANSIENT -> 2;
      case SYSTEM -> 3;
      case TEMPORARY -> 4;
    };
  }

  /**
   * Who gets a stored message: the members (a client's send; its own session is left out by {@code
   * origin}), or for the app server's posts the members plus, or minus, the sender's sessions.
   */
  enum Audience {
    MEMBERS,
    MEMBERS_AND_SENDER,
    MEMBERS_BUT_SENDER;

    /** The app server's send (REST), not a client's. */
    boolean fromApp() {
      return this != MEMBERS;
    }
  }

  ReplyEffect<Conversation.Event, ConversationState> onSend(
      ConversationState state, Conversation.Send send) {
    // A chatroom takes messages from who has joined it; the app's own sends (no session) need no
    // seat.
    boolean seated =
        send.origin() == null && state.kind() == Kind.TRANSIENT
            || entity.isParticipant(state, send.sender());
    if (!seated) {
      return entity.reject(
          send.replyTo(),
          ErrorCode.INVALID_MESSAGING_TARGET,
          send.sender() + " is not a member of " + cid);
    }
    if (state.shutup().contains(send.sender())) {
      return entity.reject(
          send.replyTo(), ErrorCode.SILIENCED, send.sender() + " is muted in " + cid);
    }
    long silencedUntil = state.silencedUntil(send.sender(), clock.millis());
    if (silencedUntil > 0) {
      return entity.reject(
          send.replyTo(),
          ErrorCode.CONVERSATION_TEMPORARY_BLACKLISTED,
          send.sender() + " is silenced in " + cid + " until " + silencedUntil);
    }
    return store(state, send, Audience.MEMBERS);
  }

  /**
   * The app server's send (REST): no membership or shut-up check, otherwise the same path as {@link
   * #onSend}, message hooks included when the app has {@code rest-messages} on (docs/hooks.md
   * §4.5).
   */
  ReplyEffect<Conversation.Event, ConversationState> onPost(
      ConversationState state, Conversation.Post post) {
    Audience audience =
        post.syncToSender() && state.kind() != Kind.TRANSIENT
            ? Audience.MEMBERS_AND_SENDER
            : Audience.MEMBERS_BUT_SENDER;
    if (!post.toClients().isEmpty() && state.kind() != Kind.SYSTEM) {
      return entity.reject(
          post.replyTo(),
          ErrorCode.SYSTEM_CONVERSATION_REQUIRED,
          "per-user messages (to_clients) go through a service conversation, not " + cid);
    }
    return store(
        state,
        new Conversation.Send(post.sender(), post.draft(), null, post.replyTo(), null),
        audience,
        post.toClients(),
        post.validTill());
  }

  private ReplyEffect<Conversation.Event, ConversationState> store(
      ConversationState state, Conversation.Send send, Audience audience) {
    return store(state, send, audience, List.of(), 0);
  }

  private ReplyEffect<Conversation.Event, ConversationState> store(
      ConversationState state,
      Conversation.Send send,
      Audience audience,
      List<String> toClients,
      long validTill) {
    Conversation.MessageDraft draft = send.draft();
    int size = draft.size();
    if (size > settings.maxMessageSize()) {
      return entity.reject(
          send.replyTo(),
          ErrorCode.FRAME_TOO_LONG,
          "message of " + size + " bytes exceeds " + settings.maxMessageSize());
    }
    String dedupKey = dedupKey(send);
    // A resend (same token): the stored original's answer, the pending original's, or the failed
    // one written again.
    String id = MessageLog.messageIdFor(appId, cid, dedupKey);
    Optional<Long> resent = log.resent(dedupKey, id);
    if (resent.isPresent()) {
      redeliver(
          state,
          send,
          dedupKey,
          id,
          new Route(audience, MessageHooks.Route.DEFAULT, toClients, validTill));
      return entity.answer(send.replyTo(), new Conversation.Sent(id, resent.get()));
    }
    // Per-user messages and global broadcasts skip _messageReceived: the hook's answer (recipients,
    // content) could not keep their addressing.
    boolean addressed = !toClients.isEmpty() || validTill > 0;
    if (addressed || !hooks.beforeStore(state, send, audience, clock.millis())) {
      admit(
          state,
          send,
          draft,
          dedupKey,
          new Route(audience, MessageHooks.Route.DEFAULT, toClients, validTill));
    }
    return entity.effects().noReply();
  }

  /**
   * Who gets a stored message: the audience of its edge, what the app's hook changed, and the
   * recipients of a per-user message (empty: the audience).
   */
  record Route(Audience audience, MessageHooks.Route hook, List<String> toClients, long validTill) {
    Route(Audience audience, MessageHooks.Route hook) {
      this(audience, hook, List.of(), 0);
    }
  }

  /**
   * The app's {@code _messageReceived} answered (docs/hooks.md §4.2): each send it let through, in
   * arrival order, is stored as the hook left it (content, recipients); a drop is refused with 4402
   * and the app's code and detail. Only a client's SDK holds the original of a rewritten message
   * and is sent the app's version as a patch; the app server's (REST) sends are not.
   */
  ReplyEffect<Conversation.Event, ConversationState> onMessageHookAnswered(
      ConversationState state, Conversation.MessageHookAnswered answered) {
    for (MessageHooks.Waiting waiting : hooks.answered(answered)) {
      Conversation.Send send = waiting.send;
      if (waiting.outcome instanceof HookOutcome.Answered answer && !answer.refuses("drop")) {
        Conversation.MessageDraft draft = MessageHooks.rewrite(send.draft(), answer);
        List<String> toPeers = MessageHooks.peers(answer.get("toPeers"));
        admit(
            state,
            send,
            draft,
            dedupKey(send),
            new Route(
                waiting.audience,
                new MessageHooks.Route(
                    toPeers, draft != send.draft() && !waiting.audience.fromApp())));
      } else if (send.replyTo() != null) {
        send.replyTo()
            .tell(
                waiting.outcome instanceof HookOutcome.Answered answer
                    ? new Conversation.RejectedByApp(
                        ErrorCode.MESSAGE_REJECTED_BY_APP, answer.appCode(), answer.appMessage())
                    : new Conversation.Rejected(ErrorCode.MESSAGE_REJECTED_BY_APP, "hook failed"));
      }
    }
    return entity.effects().noReply();
  }

  /**
   * A resent message (same sender and {@code dt}) is answered with the stored one (§7.10); null: no
   * token.
   */
  private static String dedupKey(Conversation.Send send) {
    String token = send.draft().dedupToken();
    return token == null || token.isEmpty() ? null : send.sender() + "\u0000" + token;
  }

  /**
   * Gives the message its id and timestamp; stores it (transient and will messages: delivers at
   * once). A message with a {@code dt} gets an id derived from it (§7.10), so a resend while this
   * one waited (for its hook or its write) or after a failed write is answered with, or written as,
   * the same message.
   */
  private void admit(
      ConversationState state,
      Conversation.Send send,
      Conversation.MessageDraft draft,
      String dedupKey,
      Route route) {
    String id = MessageLog.messageIdFor(appId, cid, dedupKey);
    Optional<Long> resent = log.resent(dedupKey, id);
    if (resent.isPresent()) {
      redeliver(state, send, dedupKey, id, route);
      if (send.replyTo() != null) {
        send.replyTo().tell(new Conversation.Sent(id, resent.get()));
      }
      return;
    }
    if (log.awaitPending(id, send.replyTo())) {
      return;
    }
    Optional<StoredMessage> retried = log.uncertain(dedupKey);
    StoredMessage message =
        retried.orElseGet(
            () ->
                new StoredMessage(
                    id,
                    send.sender(),
                    log.nextTimestamp(clock.millis()),
                    draft.data(),
                    draft.binary(),
                    List.copyOf(draft.mentionPids()),
                    draft.mentionAll(),
                    draft.receipt(),
                    0,
                    false,
                    draft.pushData(),
                    route.toClients(),
                    route.validTill()));
    if (draft.transientMessage() || draft.deliverOnly()) {
      // Transient and will messages are never stored: delivered to whoever is online now.
      if (send.replyTo() != null) {
        send.replyTo().tell(new Conversation.Sent(message.id(), message.timestamp()));
      }
      deliver(state, message, draft.transientMessage(), send.origin(), route);
      return;
    }
    log.enqueue(new MessageLog.Pending(message, dedupKey, send.replyTo(), send.origin(), route));
    writeNextBatch(state);
  }

  /**
   * A resend whose original an earlier run of this conversation stored, on a node that may have
   * died between the write and the pushes (§7.10): its members get it (again) now, so that no
   * online member misses an acknowledged message; the SDKs know it by its id. Once per message
   * (NodeCrashIT).
   */
  private void redeliver(
      ConversationState state, Conversation.Send send, String dedupKey, String id, Route route) {
    log.storedByAnEarlierRun(dedupKey, id)
        .ifPresent(original -> deliver(state, original, false, send.origin(), route));
  }

  /** One durable write for all sends that arrived while the previous write was in flight. */
  private void writeNextBatch(ConversationState state) {
    List<MessageLog.Pending> batch = log.nextBatch();
    if (!batch.isEmpty()) {
      List<StoredMessage> messages = batch.stream().map(MessageLog.Pending::message).toList();
      context.pipeToSelf(
          archive(state).write(appId, cid, messages),
          (done, failure) -> new Conversation.BatchWritten(batch, failure));
    }
  }

  /** Acks only now that the batch is durable, then delivers in order. */
  ReplyEffect<Conversation.Event, ConversationState> onBatchWritten(
      ConversationState state, Conversation.BatchWritten written) {
    log.written(written.batch(), written.failure() == null, state);
    for (MessageLog.Pending send : written.batch()) {
      Conversation.Reply reply =
          written.failure() != null
              ? new Conversation.Rejected(
                  ErrorCode.CONVERSATION_API_FAILED, "message not stored, retry")
              : new Conversation.Sent(send.message().id(), send.message().timestamp());
      send.replyTo().tell(reply);
      log.waitingFor(send.message().id()).forEach(resend -> resend.tell(reply));
      if (written.failure() == null) {
        deliver(state, send.message(), false, send.origin(), send.route());
      }
    }
    if (written.failure() == null) {
      indexActivity(state, false);
    }
    if (written.failure() != null) {
      context
          .getLog()
          .debug(
              "Storing {} message(s) of {} failed: {}",
              written.batch().size(),
              cid,
              written.failure().toString());
    }
    writeNextBatch(state);
    return entity.stopWhenIdle(state);
  }

  /**
   * Tells the member index when the conversation was last active, so its members' "my
   * conversations" keep the active ones first: at load, and after new messages at most every {@code
   * index-activity-interval}.
   */
  private void indexActivity(ConversationState state, boolean now) {
    long at = clock.millis();
    if (state.kind() == Kind.NORMAL
        && (now || at - activityIndexedAt >= indexActivityInterval.toMillis())) {
      activityIndexedAt = at;
      index.record(appId, entity.snapshot(state), List.of());
    }
  }

  /**
   * Members' sessions on any node (the sender's too, for its other devices); chatrooms: who is in
   * the room; the recipients the app's hook chose, if it rerouted. The app server's posts go to the
   * members (a system conversation's subscribers) with or without the sender. Then the
   * after-delivery hooks, and a sender whose message the hook rewrote gets it back as a {@code
   * patch/modify} (§10), so its SDK shows what the others got.
   */
  private void deliver(
      ConversationState state,
      StoredMessage message,
      boolean transientMessage,
      ActorRef<Delivery> origin,
      Route route) {
    Notice.Message notice =
        new Notice.Message(cid, message, convType(state), transientMessage, origin);
    Audience audience = route.audience();
    if (!route.toClients().isEmpty()) {
      // A per-user message: its recipients (and the sender's own sessions unless no_sync).
      List<String> targets = new ArrayList<>(route.toClients());
      if (audience == Audience.MEMBERS_AND_SENDER) {
        targets.add(message.from());
      }
      notices.send(appId, targets, notice);
    } else if (route.hook().toPeers() != null) {
      List<String> targets = new ArrayList<>(route.hook().toPeers());
      if (audience != Audience.MEMBERS_BUT_SENDER) {
        targets.add(message.from());
      }
      notices.send(appId, targets, notice);
    } else if (state.kind() == Kind.TRANSIENT) {
      notices.sendRoom(appId, cid, notice);
    } else if (audience == Audience.MEMBERS_AND_SENDER
        && !state.members().contains(message.from())) {
      List<String> recipients = new ArrayList<>(state.members());
      recipients.add(message.from());
      notices.send(appId, recipients, notice);
    } else if (audience == Audience.MEMBERS_BUT_SENDER) {
      notices.send(appId, ClientIds.others(state.members(), message.from()), notice);
    } else if (state.kind() != Kind.SYSTEM) {
      // A client's message to a system conversation is for the app (its webhook), not for the
      // subscribers.
      notices.send(appId, state.members(), notice);
    }
    if (route.hook().rewritten()) {
      notices.send(
          appId,
          List.of(message.from()),
          new Notice.Patched(
              cid,
              new StoredMessage(
                  message.id(),
                  message.from(),
                  message.timestamp(),
                  message.data(),
                  message.binary(),
                  message.mentionPids(),
                  message.mentionAll(),
                  message.receipt(),
                  message.timestamp(),
                  false,
                  message.pushData()),
              null));
    }
    hooks.afterDelivery(
        state, message, route.hook().toPeers(), transientMessage, audience.fromApp(), notices);
  }

  private long timestampOf(String messageId, long fallback) {
    return messageId == null || messageId.isEmpty()
        ? fallback
        : log.find(messageId).map(StoredMessage::timestamp).orElse(fallback);
  }

  /**
   * Delivery receipts (§9.1) go to senders who asked for them, in conversations of at most two
   * members.
   */
  ReplyEffect<Conversation.Event, ConversationState> onAcked(
      ConversationState state, Conversation.Acked acked) {
    if (state.kind() == Kind.TRANSIENT || !state.isMember(acked.member())) {
      return entity
          .effects()
          .noReply(); // positions are kept for members only (a chatroom keeps none)
    }
    long upTo = acked.toTimestamp() > 0 ? acked.toTimestamp() : timestampOf(acked.messageId(), 0);
    boolean receipts = state.kind() != Kind.TRANSIENT && state.members().size() <= 2;
    List<StoredMessage> delivered = log.ack(acked.member(), upTo, state, receipts);
    if (receipts) {
      long now = clock.millis();
      for (StoredMessage message : delivered) {
        if (message.receipt() && !message.from().equals(acked.member())) {
          notices.send(
              appId,
              List.of(message.from()),
              new Notice.Receipt(cid, message.id(), now, acked.member(), false));
        }
      }
    }
    return entity.effects().noReply();
  }

  /**
   * A read clears the unread count on the reader's other devices and sends read receipts (§6.14,
   * §9.2).
   */
  ReplyEffect<Conversation.Event, ConversationState> onMarkRead(
      ConversationState state, Conversation.MarkRead read) {
    if (state.kind() == Kind.TRANSIENT || !state.isMember(read.member())) {
      return entity
          .effects()
          .noReply(); // an outsider can neither move positions nor send read receipts
    }
    long latest = log.last().map(StoredMessage::timestamp).orElse(clock.millis());
    long upTo = read.timestamp() > 0 ? read.timestamp() : timestampOf(read.messageId(), latest);
    if (log.read(read.member(), upTo, state)) {
      notices.send(
          appId,
          List.of(read.member()),
          new Notice.UnreadChanged(
              cid, 0, log.lastVisibleTo(read.member()).orElse(null), false, read.origin()));
      if (state.kind() != Kind.TRANSIENT && state.members().size() <= 2) {
        notices.send(
            appId,
            ClientIds.others(state.members(), read.member()),
            new Notice.Receipt(cid, null, upTo, read.member(), true));
      }
    }
    return entity.effects().noReply();
  }

  /**
   * History is for members (chatrooms: who has joined it); in a conversation of two it carries the
   * other's positions.
   */
  ReplyEffect<Conversation.Event, ConversationState> onOpenHistory(
      ConversationState state, Conversation.OpenHistory open) {
    if (!entity.isParticipant(state, open.reader())) {
      return entity.reject(
          open.replyTo(),
          ErrorCode.CONVERSATION_LOG_REJECTED,
          open.reader() + " is not a member of " + cid);
    }
    Conversation.Position other = null;
    if (state.kind() != Kind.TRANSIENT && state.members().size() == 2) {
      String member =
          ClientIds.others(state.members(), open.reader()).stream().findFirst().orElse(null);
      if (member != null) {
        other =
            new Conversation.Position(
                member, log.ackedBy(member, state), log.readBy(member, state));
      }
    }
    return entity
        .effects()
        .reply(
            open.replyTo(),
            new Conversation.HistoryOpened(
                state.createdAt(),
                state.kind() == Kind.TRANSIENT,
                other,
                state.kind() == Kind.SYSTEM));
  }

  ReplyEffect<Conversation.Event, ConversationState> onMaxRead(
      ConversationState state, Conversation.MaxRead query) {
    if (!state.isMember(query.requester())) {
      return entity.reject(
          query.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          query.requester() + " is not a member of " + cid);
    }
    // queryAllMembers answers the other members only: JS `_fetchAllReceiptTimestamps` (and the
    // group receipt
    // plugin built on it) reads the tuples as when the others received and read; the SDK's own
    // suite takes the
    // first tuple of a two-member conversation as the other member's, both times set. The
    // requester's own
    // tuple (delivered, never read) sorted first broke it with a TypeError.
    List<String> whom =
        query.all()
            ? ClientIds.others(state.members(), query.requester())
            : query.target() != null && !query.target().isEmpty()
                ? List.of(query.target())
                : ClientIds.others(state.members(), query.requester()).stream().limit(1).toList();
    List<Conversation.Position> positions =
        whom.stream()
            .map(
                member ->
                    new Conversation.Position(
                        member, log.ackedBy(member, state), log.readBy(member, state)))
            .toList();
    return entity.effects().reply(query.replyTo(), new Conversation.Positions(positions));
  }

  ReplyEffect<Conversation.Event, ConversationState> onFlushPositions(ConversationState state) {
    Conversation.PositionsAdvanced moved = unsavedPositions(state);
    return moved == null
        ? entity.effects().noReply()
        : entity.effects().persist(moved).thenNoReply();
  }

  /** Positions that moved since they were last persisted, as one event; null when none moved. */
  Conversation.PositionsAdvanced unsavedPositions(ConversationState state) {
    if (!state.exists() || !log.loaded()) {
      return null;
    }
    Map<String, Long> acks = log.unsavedAcks(state);
    Map<String, Long> reads = log.unsavedReads(state);
    return acks.isEmpty() && reads.isEmpty()
        ? null
        : new Conversation.PositionsAdvanced(Map.copyOf(acks), Map.copyOf(reads));
  }
}
