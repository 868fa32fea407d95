package io.parley.node.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.Delivery;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.Limits;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * What the translators of one session's {@code conv/*} and {@code blacklist} requests share ({@link
 * MembershipCommands}, {@link ModerationCommands}, {@link ConversationQueries}): the request checks
 * (client ids, attributes: docs/protocol.md §17), one ask to a conversation entity with its reply,
 * refusal or failure turned into a frame, and the way answers reach the session actor (as {@link
 * SessionActor.Emit}, so they go out in the session's order).
 */
final class ConversationAsks {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ConversationCommands.class);

  final ActorContext<SessionActor.Command> context;

  /** The session actor, captured once: callbacks on other threads tell it, never the context. */
  final ActorRef<SessionActor.Command> self;

  /**
   * Where this session receives conversation notices (its adapter): what it joins chatrooms with.
   */
  final ActorRef<Delivery> inbox;

  final Function<String, EntityRef<Conversation.Command>> entities;
  final ConversationSettings limits;
  final NodeSettings nodeSettings;

  /** Per-request bounds (ids, member ids, attribute nesting): docs/protocol.md §17. */
  final Limits requestLimits;

  final Duration askTimeout;
  final Clock clock;
  final ConversationHooks hooks;

  ConversationAsks(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationSettings limits,
      NodeSettings nodeSettings,
      Duration askTimeout,
      ConversationHooks hooks,
      Clock clock) {
    this.context = context;
    this.self = context.getSelf();
    this.inbox = inbox;
    this.entities = entities;
    this.limits = limits;
    this.nodeSettings = nodeSettings;
    this.requestLimits = nodeSettings.limits();
    this.askTimeout = askTimeout;
    this.hooks = hooks;
    this.clock = clock;
  }

  /**
   * Every clientId a request names follows the login rules (§17); the first that does not is
   * answered 4103 and nothing is done. False when the request was refused.
   */
  boolean validClientIds(GenericCommand command, String clientId, List<String> named) {
    String invalid = ClientIds.firstInvalid(named, nodeSettings.session().maxClientIdLength());
    if (invalid == null) {
      return true;
    }
    emit(
        Replies.errorTo(
            command,
            clientId,
            ErrorCode.INVALID_LOGIN,
            ClientIds.rule(nodeSettings.session().maxClientIdLength())
                + ": "
                + abbreviated(invalid)));
    return false;
  }

  /**
   * Attributes a request sets pass {@link #attributesProblem}; otherwise the request is answered
   * 4306 with the reason and nothing is done. False when the request was refused.
   */
  boolean validAttributes(
      GenericCommand command, String clientId, String json, boolean mustBeObject) {
    String problem = attributesProblem(json, mustBeObject);
    if (problem == null) {
      return true;
    }
    emit(Replies.errorTo(command, clientId, ErrorCode.CONVERSATION_UPDATE_FAILED, problem));
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

  /** Like {@link #ask}, for a start that may have moved on (see {@link Conversations#start}). */
  void pipe(
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

  void ask(
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
  void askAfter(
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

  GenericCommand toFrame(
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
      return Replies.errorTo(command, clientId, code, rejected.detail());
    }
    if (reply instanceof Conversation.RejectedByApp rejected) {
      return Replies.rejectedByApp(Replies.requestId(command), clientId, rejected);
    }
    return membershipReply(command, clientId, reply, membershipOp);
  }

  GenericCommand membershipReply(
      GenericCommand command, String clientId, Conversation.Reply reply, OpType op) {
    Conversation.MembershipChanged changed = (Conversation.MembershipChanged) reply;
    return membership(command, clientId, changed.allowed(), changed.failed(), op);
  }

  /**
   * {@code added}/{@code removed} always carry {@code allowedPids}: JS updates its members from it
   * (§6.2).
   */
  static GenericCommand membership(
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

  static List<Conversation.Failure> failed(ErrorCode code, List<String> clientIds) {
    return clientIds.isEmpty() ? List.of() : List.of(new Conversation.Failure(code, clientIds));
  }

  GenericCommand storageError(GenericCommand command, String clientId, Throwable failure) {
    // Runs on future threads too: a plain logger, not the actor's.
    LOG.warn(
        "Conversation request {}/{} failed: {}",
        command.getCmd(),
        command.getOp(),
        failure.toString());
    return Replies.errorTo(
        command, clientId, ErrorCode.CONVERSATION_API_FAILED, "conversation unavailable, retry");
  }

  /**
   * The app's access rules (unique id key, self-join); the default ones for an app configured
   * elsewhere.
   */
  io.parley.node.settings.AppAccess access(String appId) {
    return nodeSettings
        .app(appId)
        .map(NodeSettings.App::access)
        .orElseGet(() -> io.parley.node.settings.AppAccess.defaults(appId));
  }

  void emit(GenericCommand command) {
    self.tell(new SessionActor.Emit(command));
  }
}
