package io.parley.node.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.SelfJoin;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.conversation.query.ConversationQuery;
import io.parley.node.conversation.query.InvalidQueryException;
import io.parley.node.conversation.query.QueryBudget;
import io.parley.node.hooks.Hooks;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.Limits;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of {@code conv/*}: turns frames into {@link Conversation} entity commands and
 * their replies back into frames (docs/protocol.md §6.1–§6.7). One ask per request (a query asks
 * each candidate); answers come back to the session actor as {@link SessionActor.Emit}, so they go
 * out in the session's order. It also keeps this session's chatroom per client (one room per login,
 * §8.6).
 */
public final class ConversationCommands {

  /** Builds the translator for one session actor. */
  public interface Factory {
    ConversationCommands create(
        ActorContext<SessionActor.Command> context, ActorRef<Delivery> inbox);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ConversationCommands.class);

  private final ActorContext<SessionActor.Command> context;

  /** The session actor, captured once: callbacks on other threads tell it, never the context. */
  private final ActorRef<SessionActor.Command> self;

  /**
   * Where this session receives conversation notices (its adapter): what it joins chatrooms with.
   */
  private final ActorRef<Delivery> inbox;

  private final NodeDirectory directory;
  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final Conversations conversations;
  private final ConversationFinder finder;
  private final ConversationSettings limits;
  private final NodeSettings nodeSettings;

  /** Per-request bounds (ids, member ids, attribute nesting): docs/protocol.md §17. */
  private final Limits requestLimits;

  private final Duration askTimeout;
  private final Clock clock;
  private final ConversationHooks hooks;

  /** The chatroom each client of this session is in: its entity id. */
  private final Map<String, String> rooms = new HashMap<>();

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
    this.context = context;
    this.self = context.getSelf();
    this.nodeSettings = nodeSettings;
    this.requestLimits = nodeSettings.limits();
    this.inbox = inbox;
    this.directory = directory;
    this.entities = entities;
    this.conversations = new Conversations(entities, askTimeout);
    this.finder = finder;
    this.limits = limits;
    this.askTimeout = askTimeout;
    this.hooks = hooks;
    this.clock = clock;
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
    emit(
        Replies.error(
            requestId(command),
            clientId,
            ErrorCode.CONVERSATION_NOT_FOUND,
            command.getConvMessage().hasCid()
                ? "no conversation " + command.getConvMessage().getCid()
                : "cid is required"));
    return false;
  }

  /**
   * Every clientId a request names follows the login rules (§17); the first that does not is
   * answered 4103 and nothing is done. False when the request was refused.
   */
  private boolean validClientIds(GenericCommand command, String clientId, List<String> named) {
    String invalid = ClientIds.firstInvalid(named, nodeSettings.session().maxClientIdLength());
    if (invalid == null) {
      return true;
    }
    emit(
        Replies.error(
            requestId(command),
            clientId,
            ErrorCode.INVALID_LOGIN,
            ClientIds.rule(nodeSettings.session().maxClientIdLength())
                + ": "
                + abbreviated(invalid)));
    return false;
  }

  /**
   * Attributes as a client sends them: a JSON object, at most {@code max-attributes-size} bytes and
   * {@code attributes-depth} levels deep; otherwise the reason, answered with 4306.
   */
  private String attributesProblem(String json, boolean mustBeObject) {
    int size = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (size > limits.maxAttributesSize()) {
      return "attr of " + size + " bytes exceeds " + limits.maxAttributesSize();
    }
    com.fasterxml.jackson.databind.JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (Exception malformed) {
      return "attr must be a JSON object";
    }
    if (mustBeObject && !(tree instanceof ObjectNode)) {
      return "attr must be a JSON object";
    }
    if (depth(tree) > requestLimits.attributesDepth()) {
      return "attr nested deeper than " + requestLimits.attributesDepth() + " levels";
    }
    return null;
  }

  /** Nesting of objects and arrays, iteratively (the parser already bounds it). */
  private static int depth(com.fasterxml.jackson.databind.JsonNode root) {
    record Level(com.fasterxml.jackson.databind.JsonNode node, int depth) {}
    java.util.ArrayDeque<Level> pending = new java.util.ArrayDeque<>();
    pending.push(new Level(root, 1));
    int deepest = 0;
    while (!pending.isEmpty()) {
      Level level = pending.pop();
      if (level.node().isContainerNode()) {
        deepest = Math.max(deepest, level.depth());
        level.node().forEach(child -> pending.push(new Level(child, level.depth() + 1)));
      }
    }
    return deepest;
  }

  private static String abbreviated(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "...";
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
    String room = rooms.remove(clientId);
    if (room != null) {
      directory.leaveRoom(room, inbox);
      entities.apply(room).tell(new Conversation.LeaveRoom(clientId, inbox));
    }
  }

  /**
   * The session ended: this node stops delivering its chatrooms to it (the rooms' entities watch
   * it).
   */
  public void stopped() {
    rooms.values().forEach(room -> directory.leaveRoom(room, inbox));
    rooms.clear();
  }

  /** The chatroom entity {@code clientId} has joined through this session, or null. */
  String roomOf(String clientId) {
    return rooms.get(clientId);
  }

  /**
   * Re-attaches this session to its chatrooms: heals a room entity that restarted elsewhere (no
   * reply).
   */
  public void refresh() {
    rooms.forEach(
        (clientId, room) ->
            entities.apply(room).tell(new Conversation.JoinRoom(clientId, inbox, null)));
  }

  // -----------------------------------------------------------------------------------------------
  // start

  /** conv/start (§6.1): normal, unique, chatroom or temporary; replies {@code started}. */
  void onStart(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String attributes = request.hasAttr() ? request.getAttr().getData() : "{}";
    String problem = attributesProblem(attributes, true);
    if (problem != null) {
      emit(
          Replies.error(
              requestId(command), clientId, ErrorCode.CONVERSATION_UPDATE_FAILED, problem));
      return;
    }
    if (!validClientIds(command, clientId, request.getMList())) {
      return;
    }
    Instant now = clock.instant();
    Kind kind =
        request.getTransient()
            ? Kind.TRANSIENT
            : request.getTempConv() ? Kind.TEMPORARY : Kind.NORMAL;
    List<String> members = new ArrayList<>(request.getMList());
    if (!members.contains(clientId)) {
      members.add(clientId);
    }
    // Temporary conversations honour `unique` too (JS 5 sends it by default): the unexpired one of
    // the set.
    long ttlSeconds = kind == Kind.TEMPORARY ? temporaryTtl(request) : 0;
    // The app's _conversationStart may refuse, or give the attributes to create with.
    CompletionStage<Conversation.Reply> answer =
        hooks
            .beforeStart(appId, clientId, members, attributes)
            .thenCompose(
                verdict ->
                    verdict.refusal() != null
                        ? CompletableFuture.completedFuture(verdict.refusal())
                        : conversations.start(
                            appId,
                            access(appId).uniqueIdKey(),
                            clientId,
                            members,
                            ConversationHooks.attributes(verdict, attributes),
                            kind,
                            request.getUnique(),
                            ttlSeconds,
                            now));
    pipe(
        answer,
        command,
        clientId,
        reply -> {
          Conversation.Snapshot conversation = ((Conversation.Created) reply).conversation();
          if (!((Conversation.Created) reply).existing()) {
            hooks.started(appId, conversation.id());
          }
          ConvCommand.Builder started =
              ConvCommand.newBuilder()
                  .setCid(conversation.id())
                  .setCdate(Instant.ofEpochMilli(conversation.createdAt()).toString());
          if (conversation.uniqueId() != null) {
            started.setUniqueId(conversation.uniqueId());
          }
          if (((Conversation.Created) reply).existing()) {
            started.setExisting(true);
          }
          if (conversation.kind() == Kind.TEMPORARY) {
            // What is left of it: all of it when new, less when an existing unique one is returned.
            long left = Math.max(1, (conversation.expiresAt() - now.toEpochMilli() + 999) / 1000);
            started.setTempConv(true).setTempConvTTL((int) left);
          }
          if (conversation.kind() == Kind.TRANSIENT) {
            // The creator is in its chatroom (§6.1 step 3).
            String entityId = ConversationIds.entityId(appId, conversation.id());
            entities.apply(entityId).tell(new Conversation.JoinRoom(clientId, inbox, null));
            joinRoom(clientId, entityId);
          }
          return Replies.replyTo(command, CommandType.conv, OpType.started, clientId)
              .setConvMessage(started)
              .build();
        });
  }

  /** Like {@link #ask}, for a start that may have moved on (see {@link Conversations#start}). */
  private void pipe(
      CompletionStage<Conversation.Reply> answer,
      GenericCommand command,
      String clientId,
      Function<Conversation.Reply, GenericCommand> onSuccess) {
    context.pipeToSelf(
        answer,
        (reply, failure) ->
            failure != null || refused(reply)
                ? new SessionActor.Emit(toFrame(command, clientId, reply, failure, null))
                : new SessionActor.Emit(onSuccess.apply(reply)));
  }

  private long temporaryTtl(ConvCommand request) {
    long requested =
        request.getTempConvTTL() > 0
            ? request.getTempConvTTL()
            : limits.defaultTemporaryTtl().toSeconds();
    return Math.min(requested, limits.maxTemporaryTtl().toSeconds());
  }

  // ---------------------------------------------------------------------------------------- add,
  // remove

  /** conv/add (§6.2): invite or join; a chatroom join attaches this session. */
  void onAdd(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String entityId = ConversationIds.entityId(appId, request.getCid());
    List<String> ids = request.getMCount() == 0 ? List.of(clientId) : request.getMList();
    if (!validClientIds(command, clientId, ids)) {
      return;
    }
    SelfJoin selfJoin = SelfJoin.parse(access(appId).selfJoin());
    CompletionStage<Conversation.Reply> answer =
        hooks
            .beforeAdd(appId, clientId, request.getCid(), ids)
            .thenCompose(
                verdict ->
                    verdict.refusal() != null
                        ? CompletableFuture.completedFuture(verdict.refusal())
                        : Futures.direct(
                            entities
                                .apply(entityId)
                                .ask(
                                    (ActorRef<Conversation.Reply> replyTo) ->
                                        new Conversation.Add(
                                            clientId,
                                            ids,
                                            clock.millis(),
                                            inbox,
                                            replyTo,
                                            selfJoin),
                                    askTimeout)));
    context.pipeToSelf(
        answer,
        (reply, failure) ->
            new SessionActor.AddAnswered(
                new AddAnswer(appId, clientId, command, entityId, reply, failure)));
  }

  /** The answer to a {@code conv/add}, back in the session actor. */
  record AddAnswer(
      String appId,
      String clientId,
      GenericCommand command,
      String entityId,
      Conversation.Reply reply,
      Throwable failure) {}

  /**
   * A {@code conv/add} was answered: the app's hook hears who was added, a chatroom this client
   * joined is delivered to this session from now on; returns the reply to send.
   */
  GenericCommand onAdded(AddAnswer answer) {
    String clientId = answer.clientId();
    if (answer.reply() instanceof Conversation.MembershipChanged changed) {
      hooks.added(
          answer.appId(), clientId, answer.command().getConvMessage().getCid(), changed.allowed());
      if (changed.conversation().kind() == Kind.TRANSIENT && changed.allowed().contains(clientId)) {
        // The entity attached this session to its chatroom: this node now delivers the room to it.
        joinRoom(clientId, answer.entityId());
      }
    }
    return toFrame(answer.command(), clientId, answer.reply(), answer.failure(), OpType.added);
  }

  /** One chatroom per login: joining one leaves the previous (§8.6). */
  private void joinRoom(String clientId, String entityId) {
    String previous = rooms.put(clientId, entityId);
    directory.joinRoom(entityId, clientId, inbox);
    if (previous != null && !previous.equals(entityId)) {
      directory.leaveRoom(previous, inbox);
      entities.apply(previous).tell(new Conversation.LeaveRoom(clientId, inbox));
    }
  }

  /** conv/remove (§6.3): kick or quit; leaving a chatroom detaches this session. */
  void onRemove(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String entityId = ConversationIds.entityId(appId, request.getCid());
    List<String> ids = request.getMCount() == 0 ? List.of(clientId) : request.getMList();
    if (!validClientIds(command, clientId, ids)) {
      return;
    }
    if (entityId.equals(rooms.get(clientId))) {
      List<String> others = ids.stream().filter(id -> !id.equals(clientId)).toList();
      if (ids.contains(clientId)) {
        loggedOut(clientId);
      }
      emit(
          membership(
              command,
              clientId,
              ids.contains(clientId) ? List.of(clientId) : List.of(),
              failed(ErrorCode.NORMAL_CONVERSATION_REQUIRED, others),
              OpType.removed));
      return;
    }
    askAfter(
        hooks.beforeRemove(appId, clientId, request.getCid(), ids),
        entityId,
        verdict -> replyTo -> new Conversation.Remove(clientId, ids, clock.millis(), replyTo),
        command,
        clientId,
        reply -> {
          hooks.removed(
              appId,
              clientId,
              request.getCid(),
              ((Conversation.MembershipChanged) reply).allowed());
          return membershipReply(command, clientId, reply, OpType.removed);
        });
  }

  // --------------------------------------------------------------------------------- update, mute,
  // count

  void onUpdate(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String update = request.hasAttr() ? request.getAttr().getData() : "{}";
    String problem = attributesProblem(update, false);
    if (problem != null) {
      emit(
          Replies.error(
              requestId(command), clientId, ErrorCode.CONVERSATION_UPDATE_FAILED, problem));
      return;
    }
    askAfter(
        hooks.beforeUpdate(appId, clientId, request.getCid(), update, null),
        ConversationIds.entityId(appId, request.getCid()),
        verdict ->
            replyTo ->
                new Conversation.Update(
                    clientId,
                    ConversationHooks.attributes(verdict, update),
                    clock.millis(),
                    replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.updated, clientId)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setCid(request.getCid())
                        .setUdate(
                            Instant.ofEpochMilli(
                                    ((Conversation.Accepted) reply).conversation().updatedAt())
                                .toString()))
                .build());
  }

  /**
   * mute/unmute are answered with {@code updated}: the Java SDK completes them on that op (§6.6).
   */
  void onMute(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    boolean mute = command.getOp() == OpType.mute;
    askAfter(
        hooks.beforeUpdate(appId, clientId, request.getCid(), null, mute),
        ConversationIds.entityId(appId, request.getCid()),
        verdict ->
            replyTo ->
                new Conversation.Mute(
                    clientId, ConversationHooks.mute(verdict, mute), clock.millis(), replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.updated, clientId)
                .setConvMessage(ConvCommand.newBuilder().setCid(request.getCid()))
                .build());
  }

  void onCount(String appId, String clientId, GenericCommand command) {
    ask(
        ConversationIds.entityId(appId, command.getConvMessage().getCid()),
        Conversation.Count::new,
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.result, clientId)
                .setConvMessage(
                    ConvCommand.newBuilder().setCount(((Conversation.Counted) reply).count()))
                .build());
  }

  /** conv/members and conv/is_member (EXTRA): the member list, or whether {@code m} are members. */
  void onMembers(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    ask(
        ConversationIds.entityId(appId, request.getCid()),
        Conversation.Get::new,
        command,
        clientId,
        reply -> {
          Conversation.Snapshot conversation = ((Conversation.Accepted) reply).conversation();
          ConvCommand.Builder result = ConvCommand.newBuilder().setCid(conversation.id());
          if (command.getOp() == OpType.members) {
            result.addAllM(conversation.members());
            return Replies.replyTo(command, CommandType.conv, OpType.results, clientId)
                .setConvMessage(result)
                .build();
          }
          ObjectNode answer = JSON.createObjectNode();
          for (String id : request.getMCount() == 0 ? List.of(clientId) : request.getMList()) {
            answer.put(id, conversation.members().contains(id));
          }
          result.setResults(JsonObjectMessage.newBuilder().setData(answer.toString()));
          return Replies.replyTo(command, CommandType.conv, OpType.result, clientId)
              .setConvMessage(result)
              .build();
        });
  }

  // ------------------------------------------------------------------------- roles, shut-up,
  // blacklist

  /**
   * conv/member_info_update (§6.9): replies {@code member_info_updated}; members get
   * member_info_changed.
   */
  void onMemberInfoUpdate(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String target =
        request.hasTargetClientId() ? request.getTargetClientId() : request.getInfo().getPid();
    if (!validClientIds(command, clientId, List.of(target))) {
      return;
    }
    ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.ChangeRole(
                clientId, target, request.getInfo().getRole(), clock.millis(), replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.member_info_updated, clientId)
                .setConvMessage(ConvCommand.newBuilder().setCid(request.getCid()))
                .build());
  }

  void onShutup(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    boolean add = command.getOp() == OpType.add_shutup;
    OpType replyOp = add ? OpType.shutup_added : OpType.shutup_removed;
    if (!validClientIds(command, clientId, request.getMList())) {
      return;
    }
    ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.Shutup(clientId, request.getMList(), add, clock.millis(), replyTo),
        command,
        clientId,
        reply -> membershipReply(command, clientId, reply, replyOp));
  }

  void onQueryShutup(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.ListModerated(
                false, request.getLimit(), request.getNext(), replyTo, clientId),
        command,
        clientId,
        reply -> {
          Conversation.Listed listed = (Conversation.Listed) reply;
          ConvCommand.Builder result = ConvCommand.newBuilder().addAllM(listed.clientIds());
          if (listed.next() != null) {
            result.setNext(listed.next());
          }
          return Replies.replyTo(command, CommandType.conv, OpType.shutup_result, clientId)
              .setConvMessage(result)
              .build();
        });
  }

  /** cmd=blacklist (§6.11): block, unblock, query; replies carry {@code blacklistMessage}. */
  void onBlacklist(String appId, String clientId, GenericCommand command) {
    BlacklistCommand request = command.getBlacklistMessage();
    if (!ConversationIds.isValid(request.getSrcCid())) {
      emit(
          Replies.error(
              requestId(command),
              clientId,
              ErrorCode.CONVERSATION_NOT_FOUND,
              request.hasSrcCid()
                  ? "no conversation " + request.getSrcCid()
                  : "srcCid is required"));
      return;
    }
    String entityId = ConversationIds.entityId(appId, request.getSrcCid());
    if (command.getOp() == OpType.query) {
      ask(
          entityId,
          replyTo ->
              new Conversation.ListModerated(
                  true, request.getLimit(), request.getNext(), replyTo, clientId),
          command,
          clientId,
          reply -> {
            Conversation.Listed listed = (Conversation.Listed) reply;
            BlacklistCommand.Builder result =
                BlacklistCommand.newBuilder()
                    .setSrcCid(request.getSrcCid())
                    .addAllBlockedPids(listed.clientIds());
            if (listed.next() != null) {
              result.setNext(listed.next());
            }
            return Replies.replyTo(command, CommandType.blacklist, OpType.query_result, clientId)
                .setBlacklistMessage(result)
                .build();
          });
      return;
    }
    boolean add = command.getOp() == OpType.block;
    if (!validClientIds(command, clientId, request.getToPidsList())) {
      return;
    }
    ask(
        entityId,
        replyTo ->
            new Conversation.Block(clientId, request.getToPidsList(), add, clock.millis(), replyTo),
        command,
        clientId,
        reply -> {
          Conversation.MembershipChanged changed = (Conversation.MembershipChanged) reply;
          BlacklistCommand.Builder result =
              BlacklistCommand.newBuilder()
                  .setSrcCid(request.getSrcCid())
                  .addAllAllowedPids(changed.allowed());
          for (Conversation.Failure failure : changed.failed()) {
            result.addFailedPids(
                ErrorCommand.newBuilder()
                    .setCode(failure.code())
                    .setReason(failure.reason())
                    .addAllPids(failure.clientIds()));
          }
          return Replies.replyTo(
                  command, CommandType.blacklist, add ? OpType.blocked : OpType.unblocked, clientId)
              .setBlacklistMessage(result)
              .build();
        });
  }

  // ----------------------------------------------------------------------------------------------
  // query

  /**
   * conv/query (§6.4). Candidates come from the ids in the condition, else from the per-member
   * index (the member the condition requires, or the requester when there is no condition), else
   * from the app's newest conversations (at most {@code max-query-candidates}); the condition,
   * sort, skip and limit then apply.
   */
  void onQuery(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    if (request.getTempConvIdsCount() > requestLimits.idsPerRequest()) {
      emit(
          Replies.error(
              requestId(command),
              clientId,
              ErrorCode.CONVERSATION_QUERY_FAILED,
              "at most " + requestLimits.idsPerRequest() + " tempConvIds per query"));
      return;
    }
    if (request.getTempConvIdsCount() > 0) {
      finder
          .byIds(appId, request.getTempConvIdsList())
          .thenApply(found -> temporaryResults(command, clientId, found))
          .whenComplete((frame, failure) -> emitAnswer(command, clientId, frame, failure));
      return;
    }
    ConversationQuery query;
    try {
      query =
          ConversationQuery.parse(
              request.hasWhere() ? request.getWhere().getData() : null,
              request.hasSort() ? request.getSort() : null,
              request.hasLimit() ? request.getLimit() : null,
              request.hasSkip() ? request.getSkip() : null,
              finder.queryLimits());
    } catch (InvalidQueryException invalid) {
      emit(
          Replies.error(
              requestId(command),
              clientId,
              ErrorCode.CONVERSATION_QUERY_FAILED,
              invalid.getMessage()));
      return;
    }
    if (query.objectIds().map(Set::size).orElse(0) > requestLimits.idsPerRequest()) {
      emit(
          Replies.error(
              requestId(command),
              clientId,
              ErrorCode.CONVERSATION_QUERY_FAILED,
              "at most " + requestLimits.idsPerRequest() + " objectIds per query"));
      return;
    }
    finder
        .find(appId, clientId, query)
        .thenApply(found -> queryResults(command, clientId, found))
        .whenComplete((frame, failure) -> emitAnswer(command, clientId, frame, failure));
  }

  /**
   * The page as the client asked for it: flag bit 0 drops the member lists, bit 1 adds the last
   * message.
   */
  private static GenericCommand queryResults(
      GenericCommand command, String clientId, ConversationFinder.Found found) {
    ConvCommand request = command.getConvMessage();
    boolean compact = (request.getFlag() & 1) != 0;
    boolean withLastMessage = (request.getFlag() & 2) != 0;
    ArrayNode results = JSON.createArrayNode();
    for (int n = 0; n < found.page().size(); n++) {
      ObjectNode document = found.page().get(n);
      if (compact) {
        document.remove("m");
      }
      Conversation.Snapshot conversation = found.conversations().get(n);
      if (withLastMessage && ConversationFinder.seesLastMessage(conversation, clientId)) {
        // The last message is for members only: an outsider who knows an id learns nothing it says
        // (H1).
        ConversationFinder.addLastMessage(document, conversation);
      }
      results.add(document);
    }
    ConvCommand.Builder reply =
        ConvCommand.newBuilder()
            .setResults(JsonObjectMessage.newBuilder().setData(results.toString()));
    if (request.getCount() > 0) {
      reply.setCount(found.matching());
    }
    return Replies.replyTo(command, CommandType.conv, OpType.results, clientId)
        .setConvMessage(reply)
        .build();
  }

  /** Temporary conversations by id (§6.4): objectId, members, creator and the seconds left. */
  private GenericCommand temporaryResults(
      GenericCommand command, String clientId, List<Conversation.Snapshot> found) {
    ArrayNode results = JSON.createArrayNode();
    long now = clock.millis();
    for (Conversation.Snapshot conversation : found) {
      ObjectNode result = results.addObject();
      result.put("objectId", conversation.id());
      conversation.members().forEach(result.putArray("m")::add);
      result.put("c", conversation.creator());
      result.put("ttl", Math.max(0, (conversation.expiresAt() - now) / 1000));
    }
    return Replies.replyTo(command, CommandType.conv, OpType.results, clientId)
        .setConvMessage(
            ConvCommand.newBuilder()
                .setResults(JsonObjectMessage.newBuilder().setData(results.toString())))
        .build();
  }

  // --------------------------------------------------------------------------------------------
  // helpers

  private void ask(
      String entityId,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> message,
      GenericCommand command,
      String clientId,
      Function<Conversation.Reply, GenericCommand> onSuccess) {
    askAfter(
        ConversationHooks.Verdict.PROCEED_NOW,
        entityId,
        verdict -> message,
        command,
        clientId,
        onSuccess);
  }

  /**
   * {@link #ask} once a before-hook let the request through (its refusal is the answer otherwise).
   */
  private void askAfter(
      CompletionStage<ConversationHooks.Verdict> gate,
      String entityId,
      Function<
              ConversationHooks.Verdict,
              Function<ActorRef<Conversation.Reply>, Conversation.Command>>
          message,
      GenericCommand command,
      String clientId,
      Function<Conversation.Reply, GenericCommand> onSuccess) {
    CompletionStage<Conversation.Reply> answer =
        gate.thenCompose(
            verdict ->
                verdict.refusal() != null
                    ? CompletableFuture.completedFuture(verdict.refusal())
                    : Futures.direct(
                        entities.apply(entityId).ask(message.apply(verdict)::apply, askTimeout)));
    context.pipeToSelf(
        answer,
        (reply, failure) -> {
          if (failure != null || refused(reply)) {
            return new SessionActor.Emit(toFrame(command, clientId, reply, failure, null));
          }
          return new SessionActor.Emit(onSuccess.apply(reply));
        });
  }

  private static boolean refused(Conversation.Reply reply) {
    return reply instanceof Conversation.Rejected || reply instanceof Conversation.RejectedByApp;
  }

  private GenericCommand toFrame(
      GenericCommand command,
      String clientId,
      Conversation.Reply reply,
      Throwable failure,
      OpType membershipOp) {
    if (failure != null) {
      return storageError(command, clientId, failure);
    }
    if (reply instanceof Conversation.Rejected rejected) {
      ErrorCode code = ErrorCode.of(rejected.code()).orElse(ErrorCode.CONVERSATION_INTERNAL_ERROR);
      return Replies.error(requestId(command), clientId, code, rejected.detail());
    }
    if (reply instanceof Conversation.RejectedByApp rejected) {
      return Replies.rejectedByApp(requestId(command), clientId, rejected);
    }
    return membershipReply(command, clientId, reply, membershipOp);
  }

  private GenericCommand membershipReply(
      GenericCommand command, String clientId, Conversation.Reply reply, OpType op) {
    Conversation.MembershipChanged changed = (Conversation.MembershipChanged) reply;
    return membership(command, clientId, changed.allowed(), changed.failed(), op);
  }

  /**
   * {@code added}/{@code removed} always carry {@code allowedPids}: JS updates its members from it
   * (§6.2).
   */
  private static GenericCommand membership(
      GenericCommand command,
      String clientId,
      List<String> allowed,
      List<Conversation.Failure> failed,
      OpType op) {
    ConvCommand.Builder result =
        ConvCommand.newBuilder()
            .setCid(command.getConvMessage().getCid())
            .addAllAllowedPids(allowed);
    for (Conversation.Failure failure : failed) {
      result.addFailedPids(
          ErrorCommand.newBuilder()
              .setCode(failure.code())
              .setReason(failure.reason())
              .addAllPids(failure.clientIds()));
    }
    return Replies.replyTo(command, CommandType.conv, op, clientId).setConvMessage(result).build();
  }

  private static List<Conversation.Failure> failed(ErrorCode code, List<String> clientIds) {
    return clientIds.isEmpty() ? List.of() : List.of(new Conversation.Failure(code, clientIds));
  }

  private void emitAnswer(
      GenericCommand command, String clientId, GenericCommand frame, Throwable failure) {
    Throwable cause =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    GenericCommand answer =
        cause instanceof QueryBudget.Exceeded tooExpensive
            ? Replies.error(
                requestId(command),
                clientId,
                ErrorCode.CONVERSATION_QUERY_FAILED,
                tooExpensive.getMessage())
            : failure != null ? storageError(command, clientId, failure) : frame;
    self.tell(new SessionActor.Emit(answer));
  }

  private GenericCommand storageError(GenericCommand command, String clientId, Throwable failure) {
    // Runs on future threads too: a plain logger, not the actor's.
    LOG.warn(
        "Conversation request {}/{} failed: {}",
        command.getCmd(),
        command.getOp(),
        failure.toString());
    return Replies.error(
        requestId(command),
        clientId,
        ErrorCode.CONVERSATION_API_FAILED,
        "conversation unavailable, retry");
  }

  /**
   * The app's access rules (unique id key, self-join); the default ones for an app configured
   * elsewhere.
   */
  private io.parley.node.settings.AppAccess access(String appId) {
    return nodeSettings
        .app(appId)
        .map(NodeSettings.App::access)
        .orElseGet(() -> io.parley.node.settings.AppAccess.defaults(appId));
  }

  private static Integer requestId(GenericCommand command) {
    return command.hasI() ? command.getI() : null;
  }

  private void emit(GenericCommand command) {
    self.tell(new SessionActor.Emit(command));
  }
}
