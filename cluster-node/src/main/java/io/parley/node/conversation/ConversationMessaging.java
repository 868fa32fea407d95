package io.parley.node.conversation;

import com.fasterxml.jackson.databind.JsonNode;
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

  int convType(ConversationState state) {
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
   * What a client asks of its conversations at login (unread count, offline queue, patches) is for
   * members only: the member index may still list a client that was removed or blocked (a delete
   * lost in a crash), and then the client gets nothing and its stale row is deleted.
   */
  private Conversation.Rejected notAMember(ConversationState state, String member) {
    if (state.kind() == Kind.TRANSIENT || state.isMember(member)) {
      return null;
    }
    if (state.kind() == Kind.NORMAL) {
      index.forget(appId, entity.snapshot(state), member);
    }
    return new Conversation.Rejected(
        ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED, member + " is not a member of " + cid);
  }

  ReplyEffect<Conversation.Event, ConversationState> onUnreadOf(
      ConversationState state, Conversation.UnreadOf query) {
    Conversation.Rejected outsider = notAMember(state, query.member());
    if (outsider != null) {
      return entity.effects().reply(query.replyTo(), outsider);
    }
    List<StoredMessage> unread =
        state.kind() == Kind.TRANSIENT
            ? List.of()
            : log.unreadBy(query.member(), state, clock.millis());
    boolean mentioned = unread.stream().anyMatch(m -> m.mentions(query.member()));
    return entity
        .effects()
        .reply(
            query.replyTo(),
            new Conversation.Unread(
                cid,
                Math.min(unread.size(), MessageLog.RECENT),
                log.lastVisibleTo(query.member()).orElse(null),
                mentioned,
                convType(state)));
  }

  /**
   * A protocol-v1 login's offline queue (§8.3): the newest {@code limit} messages from others after
   * the member's delivered position. Answered from memory when it holds them (the recent messages
   * and the offline tail kept for members who have not received them, see {@link MessageLog});
   * else, for a limit above the recent messages, read from the archive.
   */
  ReplyEffect<Conversation.Event, ConversationState> onUndeliveredTo(
      ConversationState state, Conversation.UndeliveredTo query) {
    Conversation.Rejected outsider = notAMember(state, query.member());
    if (outsider != null) {
      return entity.effects().reply(query.replyTo(), outsider);
    }
    if (state.kind() == Kind.TRANSIENT) {
      return entity
          .effects()
          .reply(
              query.replyTo(),
              new Conversation.Undelivered(cid, List.of(), false, convType(state)));
    }
    List<StoredMessage> queue = log.undeliveredTo(query.member(), state, clock.millis());
    boolean older = log.mayHaveOlder(log.ackedBy(query.member(), state));
    if (older && queue.size() < query.limit() && query.limit() > MessageLog.RECENT) {
      // Part of the queue left memory (the node's tail budget, the cap, or a restart): read it, one
      // row more than the limit to know whether there are more.
      context.pipeToSelf(
          archive(state).recent(appId, cid, query.limit() + 1, state.createdAt()),
          (messages, failure) -> new Conversation.UndeliveredLoaded(query, messages, failure));
      return entity.effects().noReply();
    }
    int from = Math.max(0, queue.size() - query.limit());
    return entity
        .effects()
        .reply(
            query.replyTo(),
            new Conversation.Undelivered(
                cid,
                List.copyOf(queue.subList(from, queue.size())),
                from > 0 || older,
                convType(state)));
  }

  ReplyEffect<Conversation.Event, ConversationState> onUndeliveredLoaded(
      ConversationState state, Conversation.UndeliveredLoaded loaded) {
    Conversation.UndeliveredTo query = loaded.query();
    if (loaded.failure() != null) {
      return entity.reject(
          query.replyTo(),
          ErrorCode.CONVERSATION_API_FAILED,
          "offline messages unavailable, retry");
    }
    long since = log.ackedBy(query.member(), state);
    long now = clock.millis();
    List<StoredMessage> queue =
        loaded.messages().stream()
            .filter(
                m ->
                    m.timestamp() > since
                        && !m.from().equals(query.member())
                        && m.visibleTo(query.member())
                        && m.validAt(now))
            .toList();
    int from = Math.max(0, queue.size() - query.limit());
    // More than the limit after the position, or a full page (limit + 1 rows) all after it.
    boolean hasMore =
        from > 0
            || loaded.messages().size() > query.limit()
                && loaded.messages().get(0).timestamp() > since;
    return entity
        .effects()
        .reply(
            query.replyTo(),
            new Conversation.Undelivered(
                cid, List.copyOf(queue.subList(from, queue.size())), hasMore, convType(state)));
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

  ReplyEffect<Conversation.Event, ConversationState> onPatchesSince(
      ConversationState state, Conversation.PatchesSince query) {
    Conversation.Rejected outsider = notAMember(state, query.member());
    if (outsider != null) {
      return entity.effects().reply(query.replyTo(), outsider);
    }
    return entity
        .effects()
        .reply(
            query.replyTo(),
            new Conversation.Patches(
                cid,
                log.patchedSince(query.since()).stream()
                    .filter(m -> m.visibleTo(query.member()))
                    .toList()));
  }

  /**
   * patch/modify: the app's {@code _messageUpdate} first, when it has one (docs/hooks.md §4.2),
   * then the patch.
   */
  ReplyEffect<Conversation.Event, ConversationState> onPatch(
      ConversationState state, Conversation.PatchMessage patch) {
    if (hooks.patchHookOn(patch)) {
      context.pipeToSelf(
          hooks.beforePatch(state, patch, clock.millis()),
          (outcome, failure) ->
              new Conversation.PatchHookAnswered(
                  patch, outcome != null ? outcome : HookOutcome.Answered.PROCEED));
      return entity.effects().noReply();
    }
    return patch(state, patch);
  }

  /**
   * {@code _messageUpdate} answered: {@code drop} refuses with 4405, {@code content}/{@code bin}
   * replace the edit.
   */
  ReplyEffect<Conversation.Event, ConversationState> onPatchHookAnswered(
      ConversationState state, Conversation.PatchHookAnswered answered) {
    Conversation.PatchMessage patch = answered.patch();
    if (!(answered.outcome() instanceof HookOutcome.Answered answer)) {
      return entity.reject(
          patch.replyTo(), ErrorCode.MESSAGE_UPDATE_REJECTED_BY_APP, "hook failed");
    }
    if (answer.refuses("drop")) {
      return entity.answer(
          patch.replyTo(),
          new Conversation.RejectedByApp(
              ErrorCode.MESSAGE_UPDATE_REJECTED_BY_APP, answer.appCode(), answer.appMessage()));
    }
    JsonNode content = answer.get("content");
    if (content.isTextual() && !patch.recall()) {
      boolean binary =
          answer.get("bin").isBoolean() ? answer.get("bin").booleanValue() : patch.binary();
      patch =
          new Conversation.PatchMessage(
              patch.requester(),
              patch.messageId(),
              patch.timestamp(),
              false,
              content.textValue(),
              binary,
              patch.mentionPids(),
              patch.mentionAll(),
              patch.origin(),
              patch.replyTo());
    }
    return patch(state, patch);
  }

  private ReplyEffect<Conversation.Event, ConversationState> patch(
      ConversationState state, Conversation.PatchMessage patch) {
    Optional<StoredMessage> recent = log.find(patch.messageId());
    if (recent.isPresent()) {
      return applyPatch(state, patch, recent.get());
    }
    context.pipeToSelf(
        archive(state).find(appId, cid, patch.timestamp(), patch.messageId()),
        (original, failure) -> new Conversation.PatchLookedUp(patch, original, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onPatchLookedUp(
      ConversationState state, Conversation.PatchLookedUp found) {
    if (found.failure() != null) {
      return entity.reject(
          found.patch().replyTo(), ErrorCode.CONVERSATION_API_FAILED, "history unavailable, retry");
    }
    if (found.original().isEmpty()) {
      return entity.reject(
          found.patch().replyTo(),
          ErrorCode.MESSAGE_NOT_FOUND,
          "no message " + found.patch().messageId());
    }
    return applyPatch(state, found.patch(), found.original().get());
  }

  ReplyEffect<Conversation.Event, ConversationState> applyPatch(
      ConversationState state, Conversation.PatchMessage patch, StoredMessage original) {
    if (!original.from().equals(patch.requester())) {
      return entity.reject(
          patch.replyTo(),
          ErrorCode.MESSAGE_OWNERSHIP_REQUIRED,
          "only the sender may change " + original.id());
    }
    StoredMessage patched =
        original.patched(
            patch.data(),
            patch.binary(),
            patch.recall(),
            log.nextTimestamp(clock.millis()),
            patch.mentionPids(),
            patch.mentionAll());
    context.pipeToSelf(
        archive(state).update(appId, cid, patched),
        (done, failure) -> new Conversation.PatchWritten(patch, patched, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onPatchWritten(
      ConversationState state, Conversation.PatchWritten written) {
    if (written.failure() != null) {
      return entity.reject(
          written.patch().replyTo(), ErrorCode.CONVERSATION_API_FAILED, "patch not stored, retry");
    }
    log.replace(written.patched());
    List<String> toClients = written.patched().toClients();
    List<String> recipients = new ArrayList<>(state.members());
    if (!toClients.isEmpty()) {
      // A per-user message's edit goes to its recipients (and sender) only.
      recipients = new ArrayList<>(toClients);
      recipients.add(written.patched().from());
    }
    notices.send(
        appId, recipients, new Notice.Patched(cid, written.patched(), written.patch().origin()));
    return entity
        .effects()
        .reply(
            written.patch().replyTo(),
            new Conversation.PatchApplied(written.patched().patchTimestamp()));
  }

  ReplyEffect<Conversation.Event, ConversationState> onDeleteMessage(
      ConversationState state, Conversation.DeleteMessage delete) {
    log.remove(delete.messageId());
    context.pipeToSelf(
        archive(state).delete(appId, cid, delete.timestamp(), delete.messageId()),
        (done, failure) -> new Conversation.MessageDeleted(delete, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onMessageDeleted(
      ConversationState state, Conversation.MessageDeleted deleted) {
    if (deleted.failure() != null) {
      return entity.reject(
          deleted.request().replyTo(),
          ErrorCode.CONVERSATION_API_FAILED,
          "message not deleted, retry");
    }
    return entity.answer(
        deleted.request().replyTo(), new Conversation.Accepted(entity.snapshot(state)));
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
