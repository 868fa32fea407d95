package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.message.MessageArchive;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * What a client asks of each of its conversations at login, answered by a {@link Conversation}
 * entity from its {@link MessageLog}: the unread count and last message (§8.4), the protocol-v1
 * offline queue (§8.3, read from the archive when memory no longer holds it) and the patches since
 * the last login (§10). For members only: a stale member-index row is deleted. Handlers return the
 * entity's effects; the entity routes its commands here.
 */
final class ConversationCatchUp {

  private final Conversation entity;
  private final String appId;
  private final String cid;
  private final ActorContext<Conversation.Command> context;
  private final MessageArchive archive;
  private final Clock clock;
  private final MessageLog log;
  private final MemberIndex index;

  ConversationCatchUp(
      Conversation entity,
      String appId,
      String cid,
      ActorContext<Conversation.Command> context,
      MessageArchive archive,
      Clock clock,
      MessageLog log,
      MemberIndex index) {
    this.entity = entity;
    this.appId = appId;
    this.cid = cid;
    this.context = context;
    this.archive = archive;
    this.clock = clock;
    this.log = log;
    this.index = index;
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
                ConversationMessaging.convType(state)));
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
              new Conversation.Undelivered(
                  cid, List.of(), false, ConversationMessaging.convType(state)));
    }
    List<StoredMessage> queue = log.undeliveredTo(query.member(), state, clock.millis());
    boolean older = log.mayHaveOlder(log.ackedBy(query.member(), state));
    if (older && queue.size() < query.limit() && query.limit() > MessageLog.RECENT) {
      // Part of the queue left memory (the node's tail budget, the cap, or a restart): read it, one
      // row more than the limit to know whether there are more.
      context.pipeToSelf(
          ConversationMessaging.archive(archive, state)
              .recent(appId, cid, query.limit() + 1, state.createdAt()),
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
                ConversationMessaging.convType(state)));
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
                cid,
                List.copyOf(queue.subList(from, queue.size())),
                hasMore,
                ConversationMessaging.convType(state)));
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
}
