package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.hooks.Hooks;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of {@code conv/*} and {@code blacklist} (docs/protocol.md §6.1–§6.11), for one
 * session actor: it builds the translators the route table calls ({@link MembershipCommands},
 * {@link ModerationCommands}, {@link ConversationQueries}, sharing {@link ConversationAsks}) and
 * keeps what the session needs across requests: the requests whose member notices must wait for
 * their reply (§3.2) and the chatroom per client ({@link Chatrooms}, one room per login, §8.6).
 * Answers come back to the session actor as {@link SessionActor.Emit}, so they go out in the
 * session's order.
 */
public final class ConversationCommands {

  /** Builds the translator for one session actor. */
  public interface Factory {
    ConversationCommands create(
        ActorContext<SessionActor.Command> context, ActorRef<Delivery> inbox);
  }

  private final ConversationAsks asks;
  private final Chatrooms rooms;
  private final MembershipCommands membership;
  private final ModerationCommands moderation;
  private final ConversationQueries queries;

  /** Requests (by {@code i}) whose reply is not sent yet, and their conversation. */
  private final Map<Integer, String> unanswered = new HashMap<>();

  private static final Set<OpType> NOTIFYING =
      Set.of(
          OpType.add,
          OpType.remove,
          OpType.update,
          OpType.member_info_update,
          OpType.add_shutup,
          OpType.remove_shutup,
          OpType.block,
          OpType.unblock);

  private ConversationCommands(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      NodeDirectory directory,
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationFinder finder,
      ConversationSettings limits,
      NodeSettings nodeSettings,
      Duration askTimeout,
      ConversationHooks hooks,
      Clock clock) {
    this.asks =
        new ConversationAsks(
            context, inbox, entities, limits, nodeSettings, askTimeout, hooks, clock);
    this.rooms = new Chatrooms(directory, entities, inbox);
    this.membership = new MembershipCommands(asks, rooms);
    this.moderation = new ModerationCommands(asks);
    this.queries = new ConversationQueries(asks, finder);
  }

  /** Conversations reached through Cluster Sharding, wherever they live. */
  public static Factory sharded(
      ClusterSharding sharding,
      NodeDirectory directory,
      ConversationIndex index,
      ConversationSettings limits,
      NodeSettings nodeSettings,
      Duration askTimeout,
      Hooks hooks,
      Clock clock) {
    return factory(
        id -> sharding.entityRefFor(Conversation.ENTITY_KEY, id),
        directory,
        index,
        limits,
        nodeSettings,
        askTimeout,
        hooks,
        clock);
  }

  /**
   * Conversations reached through {@code entities} (tests: {@code TestEntityRef}s); no member
   * index, so {@code conv/query} has nothing to read, and no cloud hooks.
   */
  static Factory forEntities(
      Function<String, EntityRef<Conversation.Command>> entities,
      NodeDirectory directory,
      ConversationSettings limits,
      NodeSettings nodeSettings,
      Duration askTimeout,
      Clock clock) {
    return factory(entities, directory, null, limits, nodeSettings, askTimeout, Hooks.NONE, clock);
  }

  private static Factory factory(
      Function<String, EntityRef<Conversation.Command>> entities,
      NodeDirectory directory,
      ConversationIndex index,
      ConversationSettings limits,
      NodeSettings nodeSettings,
      Duration askTimeout,
      Hooks hooks,
      Clock clock) {
    ConversationFinder finder = new ConversationFinder(entities, index, limits, askTimeout);
    ConversationHooks conversationHooks = new ConversationHooks(hooks);
    return (context, inbox) ->
        new ConversationCommands(
            context,
            inbox,
            directory,
            entities,
            finder,
            limits,
            nodeSettings,
            askTimeout,
            conversationHooks,
            clock);
  }

  /** conv/start, add, remove. */
  MembershipCommands membership() {
    return membership;
  }

  /** conv/update, mute, unmute, member_info_update, shut-up; blacklist. */
  ModerationCommands moderation() {
    return moderation;
  }

  /** conv/query, count, members, is_member. */
  ConversationQueries queries() {
    return queries;
  }

  /**
   * Called by the route table before any conv/* or blacklist request: a request that causes member
   * notices is remembered until its reply has gone out, so the reply precedes its pushes (§3.2).
   */
  void track(GenericCommand command) {
    if (command.hasI() && NOTIFYING.contains(command.getOp())) {
      unanswered.put(
          command.getI(),
          command.getCmd() == CommandType.blacklist
              ? command.getBlacklistMessage().getSrcCid()
              : command.getConvMessage().getCid());
    }
  }

  /**
   * Requests about one conversation need a well-formed id; without one they are answered 4303 here,
   * so no conversation entity is ever started for a garbage id.
   */
  boolean hasCid(String clientId, GenericCommand command) {
    if (ConversationIds.isValid(command.getConvMessage().getCid())) {
      return true;
    }
    asks.emit(
        Replies.errorTo(
            command,
            clientId,
            ErrorCode.CONVERSATION_NOT_FOUND,
            command.getConvMessage().hasCid()
                ? "no conversation " + command.getConvMessage().getCid()
                : "cid is required"));
    return false;
  }

  /**
   * Whether a request about {@code cid} from this session is still unanswered: its notices then
   * wait, so the reply comes before the pushes it causes (§3.2), e.g. `added` before the inviter's
   * `members_joined`.
   */
  boolean awaitingReply(String cid) {
    return unanswered.containsValue(cid);
  }

  /**
   * A frame with {@code i} went out; returns the conversation whose notices may now follow, if any.
   */
  String answered(int requestId) {
    String cid = unanswered.remove(requestId);
    return cid != null && !unanswered.containsValue(cid) ? cid : null;
  }

  /** The client logged out of this session: it leaves its chatroom. */
  public void loggedOut(String clientId) {
    rooms.leave(clientId);
  }

  /**
   * The session ended: this node stops delivering its chatrooms to it (the rooms' entities watch
   * it).
   */
  public void stopped() {
    rooms.stopped();
  }

  /** The chatroom entity {@code clientId} has joined through this session, or null. */
  String roomOf(String clientId) {
    return rooms.of(clientId);
  }

  /**
   * Re-attaches this session to its chatrooms: heals a room entity that restarted elsewhere (no
   * reply).
   */
  public void refresh() {
    rooms.refresh();
  }
}
