package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Member roles, shut-up and the conversation blacklist (docs/protocol.md §6.9–§6.11) of a {@link
 * Conversation} entity: who may moderate, what each change persists and who hears of it. Handlers
 * return the entity's effects; the entity routes its commands here.
 */
final class ConversationModeration {

  private final Conversation entity;
  private final String appId;
  private final String cid;
  private final ConversationSettings settings;
  private final Notices notices;
  private final MemberIndex index;

  ConversationModeration(
      Conversation entity,
      String appId,
      String cid,
      ConversationSettings settings,
      Notices notices,
      MemberIndex index) {
    this.entity = entity;
    this.appId = appId;
    this.cid = cid;
    this.settings = settings;
    this.notices = notices;
    this.index = index;
  }

  ReplyEffect<Conversation.Event, ConversationState> onChangeRole(
      ConversationState state, Conversation.ChangeRole change) {
    if (!settings.memberRoles()) {
      return entity.reject(
          change.replyTo(),
          ErrorCode.CONVERSATION_MEMBER_INFO_FEATURE_DISABLED,
          "member roles are off");
    }
    if (!List.of(ConversationState.MANAGER, ConversationState.MEMBER, ConversationState.OWNER)
        .contains(change.role())) {
      return entity.reject(
          change.replyTo(), ErrorCode.UNKNOWN_CONVERSATION_ROLE, "unknown role " + change.role());
    }
    if (!state.isModerator(change.initiator())
        || change.role().equals(ConversationState.OWNER)
        || change.clientId().equals(state.creator())) {
      return entity.reject(
          change.replyTo(),
          ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED,
          change.initiator() + " may not make " + change.clientId() + " " + change.role());
    }
    if (!state.isMember(change.clientId())) {
      return entity.reject(
          change.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          change.clientId() + " is not a member");
    }
    return entity
        .effects()
        .persist(
            new Conversation.RoleChanged(
                change.initiator(), change.clientId(), change.role(), change.timestamp()))
        .thenRun(
            after ->
                notices.send(
                    appId,
                    after.members(),
                    new Notice.MemberInfoChanged(
                        cid,
                        change.initiator(),
                        change.clientId(),
                        change.role(),
                        entity.notificationTs())))
        .thenReply(change.replyTo(), after -> new Conversation.Accepted(entity.snapshot(after)));
  }

  ReplyEffect<Conversation.Event, ConversationState> onRolesOf(
      ConversationState state, Conversation.RolesOf query) {
    if (query.reader() != null && !state.isMember(query.reader())) {
      return entity.reject(
          query.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          query.reader() + " is not a member");
    }
    Map<String, String> roles = new LinkedHashMap<>();
    for (String member : state.members()) {
      if (!state.roleOf(member).equals(ConversationState.MEMBER)) {
        roles.put(member, state.roleOf(member));
      }
    }
    return entity
        .effects()
        .reply(
            query.replyTo(),
            new Conversation.Roles(cid, state.members(), roles, state.updatedAt()));
  }

  ReplyEffect<Conversation.Event, ConversationState> onShutup(
      ConversationState state, Conversation.Shutup shutup) {
    Conversation.Rejected refusal =
        state.moderationRefusal(shutup.initiator(), settings.memberRoles());
    if (refusal != null) {
      return entity.effects().reply(shutup.replyTo(), refusal);
    }
    List<String> requested = ClientIds.distinct(shutup.clientIds());
    List<String> changed =
        requested.stream().filter(id -> state.shutup().contains(id) != shutup.add()).toList();
    if (shutup.add() && state.shutup().size() + changed.size() > settings.maxShutup()) {
      return entity
          .effects()
          .reply(
              shutup.replyTo(),
              new Conversation.MembershipChanged(
                  entity.snapshot(state),
                  List.of(),
                  List.of(
                      new Conversation.Failure(ErrorCode.SILIENCED_MEMBER_LIST_FULL, requested))));
    }
    if (changed.isEmpty()) {
      return entity
          .effects()
          .reply(
              shutup.replyTo(),
              new Conversation.MembershipChanged(entity.snapshot(state), requested, List.of()));
    }
    String action = shutup.add() ? "shutuped" : "unshutuped";
    return entity
        .effects()
        .persist(
            new Conversation.ShutupChanged(
                shutup.initiator(), changed, shutup.add(), shutup.timestamp()))
        .thenRun(after -> moderated(after.members(), changed, action, shutup.initiator()))
        .thenReply(
            shutup.replyTo(),
            after ->
                new Conversation.MembershipChanged(entity.snapshot(after), requested, List.of()));
  }

  /**
   * A silence for a while (REST {@code temporary-silenceds}): in normal conversations (members
   * only) and chatrooms (anyone: their members are whoever is online); at most {@code
   * max-shutup-members} silences running at once, as the permanent shut-up list. Nobody is told, as
   * on LeanCloud: a silenced client learns it from its refused send (4315).
   */
  ReplyEffect<Conversation.Event, ConversationState> onSilenceTemporarily(
      ConversationState state, Conversation.SilenceTemporarily silence) {
    if (state.kind() != Kind.NORMAL && state.kind() != Kind.TRANSIENT) {
      return entity.reject(
          silence.replyTo(),
          ErrorCode.NORMAL_CONVERSATION_REQUIRED,
          "only normal conversations and chatrooms silence for a while");
    }
    List<String> requested = ClientIds.distinct(silence.clientIds());
    boolean lift = silence.until() <= silence.timestamp();
    if (!lift && state.kind() == Kind.NORMAL) {
      List<String> strangers = requested.stream().filter(id -> !state.isMember(id)).toList();
      if (!strangers.isEmpty()) {
        return entity.reject(
            silence.replyTo(),
            ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
            strangers + " are not members");
      }
    }
    long newlySilenced =
        requested.stream().filter(id -> state.silencedUntil(id, silence.timestamp()) == 0).count();
    if (!lift && state.silencedCount(silence.timestamp()) + newlySilenced > settings.maxShutup()) {
      return entity.reject(
          silence.replyTo(),
          ErrorCode.SILIENCED_MEMBER_LIST_FULL,
          "at most " + settings.maxShutup() + " silenced at once");
    }
    return entity
        .effects()
        .persist(
            new Conversation.TemporarySilenceChanged(
                requested, lift ? 0 : silence.until(), silence.timestamp()))
        .thenReply(silence.replyTo(), after -> new Conversation.Accepted(entity.snapshot(after)));
  }

  ReplyEffect<Conversation.Event, ConversationState> onBlock(
      ConversationState state, Conversation.Block block) {
    if (!settings.blacklist()) {
      return entity.reject(
          block.replyTo(),
          ErrorCode.BLACKLIST_FEATURE_DISABLED,
          "the conversation blacklist is off");
    }
    Conversation.Rejected refusal =
        state.moderationRefusal(block.initiator(), settings.memberRoles());
    if (refusal != null) {
      return entity.effects().reply(block.replyTo(), refusal);
    }
    List<String> requested = ClientIds.distinct(block.clientIds());
    ConversationState.BlacklistChange sorted =
        state.blacklistChange(requested, block.add(), settings.memberRoles());
    List<String> changed = sorted.changed();
    List<String> allowed = sorted.allowed();
    List<Conversation.Failure> failed = sorted.failed();
    if (block.add() && state.blacklist().size() + changed.size() > settings.maxBlacklist()) {
      return entity.reject(
          block.replyTo(),
          ErrorCode.BLACKLIST_FULL,
          "at most " + settings.maxBlacklist() + " blocked");
    }
    if (changed.isEmpty()) {
      return entity
          .effects()
          .reply(
              block.replyTo(),
              new Conversation.MembershipChanged(entity.snapshot(state), allowed, failed));
    }
    List<String> leaving =
        block.add() ? changed.stream().filter(state::isMember).toList() : List.of();
    return entity
        .effects()
        .persist(
            new Conversation.BlacklistChanged(
                block.initiator(), changed, block.add(), block.timestamp()))
        .thenRun(
            after -> {
              if (!leaving.isEmpty()) {
                index.record(appId, entity.snapshot(after), leaving);
              }
              List<String> audience = new ArrayList<>(after.members());
              if (block.add()) {
                // The blocked get `blocked` and `left`; the remaining members `members_blocked` and
                // `members_left`.
                notices.send(
                    appId,
                    changed,
                    new Notice.Moderated(
                        cid, "blocked", List.of(), block.initiator(), entity.notificationTs()));
                notices.send(
                    appId,
                    leaving,
                    new Notice.Left(cid, block.initiator(), entity.notificationTs()));
                notices.send(
                    appId,
                    audience,
                    new Notice.Moderated(
                        cid,
                        "members_blocked",
                        changed,
                        block.initiator(),
                        entity.notificationTs()));
                if (!leaving.isEmpty()) {
                  notices.send(
                      appId,
                      audience,
                      new Notice.MembersLeft(
                          cid, leaving, block.initiator(), entity.notificationTs()));
                }
              } else {
                moderated(audience, changed, "unblocked", block.initiator());
              }
            })
        .thenReply(
            block.replyTo(),
            after -> new Conversation.MembershipChanged(entity.snapshot(after), allowed, failed));
  }

  /**
   * Targets get {@code action}; every other member gets {@code members_<action>} listing the
   * targets.
   */
  private void moderated(
      List<String> members, List<String> targets, String action, String initiator) {
    notices.send(
        appId,
        targets,
        new Notice.Moderated(cid, action, List.of(), initiator, entity.notificationTs()));
    List<String> others = new ArrayList<>(members);
    others.removeAll(targets);
    notices.send(
        appId,
        others,
        new Notice.Moderated(
            cid, "members_" + action, targets, initiator, entity.notificationTs()));
  }

  ReplyEffect<Conversation.Event, ConversationState> onListModerated(
      ConversationState state, Conversation.ListModerated list) {
    if (list.requester() != null && !state.isMember(list.requester())) {
      return entity.reject(
          list.replyTo(),
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED,
          list.requester() + " is not a member");
    }
    List<String> all = list.blacklist() ? state.blacklist() : state.shutup();
    int from = 0;
    if (list.next() != null && !list.next().isEmpty()) {
      try {
        from = Math.max(0, Integer.parseInt(list.next()));
      } catch (NumberFormatException malformed) {
        return entity.reject(
            list.replyTo(), ErrorCode.CONVERSATION_QUERY_FAILED, "invalid next cursor");
      }
    }
    int limit = list.limit() > 0 ? Math.min(list.limit(), 1000) : 10;
    int to = Math.min(all.size(), from + limit);
    List<String> page = from >= all.size() ? List.of() : all.subList(from, to);
    String next = to < all.size() ? Integer.toString(to) : null;
    return entity.effects().reply(list.replyTo(), new Conversation.Listed(List.copyOf(page), next));
  }
}
