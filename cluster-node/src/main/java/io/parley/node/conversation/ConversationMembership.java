package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Who is in a {@link Conversation} entity (docs/protocol.md §6.1–§6.3, §8.8): its start with its
 * members, a unique temporary conversation's successor once it expired, conv/add and conv/remove,
 * and subscriptions to system conversations. A chatroom's add joins the initiator's session ({@link
 * ConversationRoom}). Changes persist through the entity, which replies once the member index has
 * them; handlers return the entity's effects; the entity routes its commands here.
 */
final class ConversationMembership {

  private final Conversation entity;
  private final String appId;
  private final String cid;
  private final ConversationSettings settings;
  private final Notices notices;
  private final Clock clock;
  private final ConversationRoom room;

  ConversationMembership(
      Conversation entity,
      String appId,
      String cid,
      ConversationSettings settings,
      Notices notices,
      Clock clock,
      ConversationRoom room) {
    this.entity = entity;
    this.appId = appId;
    this.cid = cid;
    this.settings = settings;
    this.notices = notices;
    this.clock = clock;
    this.room = room;
  }

  ReplyEffect<Conversation.Event, ConversationState> onStart(
      ConversationState state, Conversation.Start start) {
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    if (start.kind() != Kind.TRANSIENT) {
      // The initiator is always a member (§6.1), whether or not the SDK listed it; the app server
      // never is.
      unique.addAll(start.members());
      if (!Conversation.SERVER.equals(start.creator())) {
        unique.add(start.creator());
      }
    }
    int cap =
        start.kind() == Kind.TEMPORARY ? settings.maxTemporaryMembers() : settings.maxMembers();
    if (unique.size() > cap) {
      return entity.reject(
          start.replyTo(), ErrorCode.CONVERSATION_FULL, "at most " + cap + " members");
    }
    List<String> members = new ArrayList<>(unique);
    Conversation.Started started =
        new Conversation.Started(
            start.creator(),
            members,
            start.attributesJson(),
            start.kind(),
            start.unique(),
            start.uniqueId(),
            start.expiresAt(),
            start.timestamp());
    return entity.persistIndexed(
        started,
        List.of(),
        start.replyTo(),
        created -> new Conversation.Created(entity.snapshot(created), false),
        created -> {
          if (created.kind() != Kind.TRANSIENT) {
            notices.send(
                appId,
                ClientIds.others(members, start.creator()),
                new Notice.Joined(cid, start.creator(), entity.notificationTs()));
          }
        });
  }

  /**
   * A unique conversation answers a second start with itself; any other id clash is an internal
   * error.
   */
  ReplyEffect<Conversation.Event, ConversationState> onStartExisting(
      ConversationState state, Conversation.Start start) {
    if (state.unique() && start.unique()) {
      return entity
          .effects()
          .reply(start.replyTo(), new Conversation.Created(entity.snapshot(state), true));
    }
    return entity.reject(
        start.replyTo(), ErrorCode.CONVERSATION_INTERNAL_ERROR, "conversation id already in use");
  }

  /**
   * A unique temporary conversation that expired is replaced by a new one, with a new id (the SDKs
   * keep what they know of a conversation, its expiry too, by id). The first one of the member set,
   * whose id is derived from it, names the current one; any later one sends the starter back to the
   * first to have it replaced.
   */
  ReplyEffect<Conversation.Event, ConversationState> onStartExpired(
      ConversationState state, Conversation.Start start) {
    if (start.kind() != Kind.TEMPORARY
        || !start.unique()
        || !state.unique()
        || state.uniqueId() == null) {
      return entity.expired(start.replyTo());
    }
    String first = ConversationIds.uniqueTemporaryConversationId(state.uniqueId());
    if (!first.equals(cid)) {
      return entity.answer(start.replyTo(), new Conversation.Moved(first, cid));
    }
    return onSuccessor(state, new Conversation.Successor(null, start.replyTo()));
  }

  ReplyEffect<Conversation.Event, ConversationState> onSuccessor(
      ConversationState state, Conversation.Successor successor) {
    if (state.successor() != null && !state.successor().equals(successor.stale())) {
      return entity.answer(successor.replyTo(), new Conversation.Moved(state.successor(), null));
    }
    String next = ConversationIds.newTemporaryId(clock.instant());
    return entity
        .effects()
        .persist(new Conversation.SuccessorChosen(next))
        .thenReply(successor.replyTo(), after -> new Conversation.Moved(next, null));
  }

  ReplyEffect<Conversation.Event, ConversationState> onAdd(
      ConversationState state, Conversation.Add add) {
    List<String> requested = ClientIds.distinct(add.clientIds());
    if (state.kind() == Kind.TRANSIENT) {
      return room.joinByAdd(state, add, requested);
    }
    boolean selfJoin = requested.equals(List.of(add.initiator()));
    if (state.kind() == Kind.SYSTEM) {
      return subscription(state, add.initiator(), requested, true, add.timestamp(), add.replyTo());
    }
    if (!selfJoin && !state.isMember(add.initiator())) {
      return entity.reject(
          add.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          add.initiator() + " is not a member");
    }
    if (selfJoin
        && !state.isMember(add.initiator())
        && !add.selfJoin().allows(state.kind(), state.unique())) {
      // The app keeps private conversations closed: members invite, nobody walks in (§6.2,
      // `self-join`).
      return entity.reject(
          add.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          "only members add anyone to " + cid + ", " + add.initiator() + " included");
    }
    int cap =
        state.kind() == Kind.TEMPORARY ? settings.maxTemporaryMembers() : settings.maxMembers();
    ConversationState.Admission admission = state.admission(requested, cap);
    List<String> added = admission.added();
    if (added.isEmpty()) {
      return entity
          .effects()
          .reply(
              add.replyTo(),
              new Conversation.MembershipChanged(
                  entity.snapshot(state), admission.allowed(), admission.failed()));
    }
    return entity.persistIndexed(
        new Conversation.MembersAdded(add.initiator(), added, add.timestamp()),
        List.of(),
        add.replyTo(),
        after ->
            new Conversation.MembershipChanged(
                entity.snapshot(after), admission.allowed(), admission.failed()),
        after -> {
          List<String> invited = ClientIds.others(added, add.initiator());
          notices.send(
              appId, invited, new Notice.Joined(cid, add.initiator(), entity.notificationTs()));
          List<String> everyoneElse = new ArrayList<>(after.members());
          everyoneElse.removeAll(invited);
          notices.send(
              appId,
              everyoneElse,
              new Notice.MembersJoined(cid, added, add.initiator(), entity.notificationTs()));
        });
  }

  ReplyEffect<Conversation.Event, ConversationState> onRemove(
      ConversationState state, Conversation.Remove remove) {
    List<String> requested = ClientIds.distinct(remove.clientIds());
    if (state.kind() == Kind.TRANSIENT) {
      return entity.reject(
          remove.replyTo(),
          ErrorCode.TRANSIENT_CONVERSATION_REQUIRED,
          "leave a chatroom with LeaveRoom");
    }
    if (state.kind() == Kind.SYSTEM) {
      return subscription(
          state, remove.initiator(), requested, false, remove.timestamp(), remove.replyTo());
    }
    if (!state.isMember(remove.initiator())) {
      return entity.reject(
          remove.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          remove.initiator() + " is not a member");
    }
    ConversationState.Removal removal =
        state.removal(remove.initiator(), requested, settings.memberRoles());
    List<String> removed = removal.removed();
    if (removed.isEmpty()) {
      return entity
          .effects()
          .reply(
              remove.replyTo(),
              new Conversation.MembershipChanged(
                  entity.snapshot(state), removal.allowed(), removal.failed()));
    }
    return entity.persistIndexed(
        new Conversation.MembersRemoved(remove.initiator(), removed, remove.timestamp()),
        removed,
        remove.replyTo(),
        after ->
            new Conversation.MembershipChanged(
                entity.snapshot(after), removal.allowed(), removal.failed()),
        after -> {
          // Seed rule (§6.3 DECISION): a quitter gets nothing; kicked members get `left`, the rest
          // `members_left`.
          notices.send(
              appId,
              ClientIds.others(removed, remove.initiator()),
              new Notice.Left(cid, remove.initiator(), entity.notificationTs()));
          notices.send(
              appId,
              after.members(),
              new Notice.MembersLeft(cid, removed, remove.initiator(), entity.notificationTs()));
        });
  }

  /**
   * System conversations (§8.8): adding oneself subscribes, removing oneself unsubscribes; nobody
   * adds or removes others (4314); no notices.
   */
  private ReplyEffect<Conversation.Event, ConversationState> subscription(
      ConversationState state,
      String initiator,
      List<String> requested,
      boolean subscribe,
      long timestamp,
      ActorRef<Conversation.Reply> replyTo) {
    List<String> others = ClientIds.others(requested, initiator);
    List<Conversation.Failure> failed =
        ConversationState.failures(
            new Conversation.Failure(ErrorCode.NORMAL_CONVERSATION_REQUIRED, others));
    boolean self = requested.contains(initiator);
    List<String> allowed = self ? List.of(initiator) : List.of();
    if (!self || state.isMember(initiator) == subscribe) {
      return entity
          .effects()
          .reply(
              replyTo, new Conversation.MembershipChanged(entity.snapshot(state), allowed, failed));
    }
    Conversation.Event event =
        subscribe
            ? new Conversation.MembersAdded(initiator, List.of(initiator), timestamp)
            : new Conversation.MembersRemoved(initiator, List.of(initiator), timestamp);
    return entity.persistIndexed(
        event,
        subscribe ? List.of() : List.of(initiator),
        replyTo,
        after -> new Conversation.MembershipChanged(entity.snapshot(after), allowed, failed),
        after -> {});
  }
}
