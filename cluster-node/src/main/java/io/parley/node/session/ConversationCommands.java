package io.parley.node.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of conversation commands: turns {@code conv/*} frames into {@link Conversation} entity
 * commands and their replies back into frames. One ask per request; the answer comes back to the session
 * actor as an {@link SessionActor.Emit}, so replies stay in the session's order of sending.
 */
public final class ConversationCommands {

  /** Builds the translator for one session actor. */
  public interface Factory {
    ConversationCommands create(ActorContext<SessionActor.Command> context);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ActorContext<SessionActor.Command> context;
  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final Duration askTimeout;
  private final Clock clock;

  private ConversationCommands(
      ActorContext<SessionActor.Command> context,
      Function<String, EntityRef<Conversation.Command>> entities,
      Duration askTimeout,
      Clock clock) {
    this.context = context;
    this.entities = entities;
    this.askTimeout = askTimeout;
    this.clock = clock;
  }

  /** Conversations reached through Cluster Sharding, wherever they live. */
  public static Factory sharded(ClusterSharding sharding, Duration askTimeout, Clock clock) {
    return using(id -> sharding.entityRefFor(Conversation.ENTITY_KEY, id), askTimeout, clock);
  }

  /** Conversations reached through {@code entities}; tests pass {@code TestEntityRef}s. */
  public static Factory using(
      Function<String, EntityRef<Conversation.Command>> entities, Duration askTimeout, Clock clock) {
    return context -> new ConversationCommands(context, entities, askTimeout, clock);
  }

  public boolean handles(GenericCommand command) {
    return command.getCmd() == CommandType.conv
        && (command.getOp() == OpType.start || command.getOp() == OpType.query);
  }

  public void handle(String appId, String clientId, GenericCommand command) {
    switch (command.getOp()) {
      case start -> onStart(appId, clientId, command);
      case query -> onQuery(appId, clientId, command);
      default -> emit(Replies.unsupported(command, clientId));
    }
  }

  /** conv/start: the initiator is always a member (§6.1); replies {@code started} with cid and cdate. */
  private void onStart(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    List<String> members = new ArrayList<>(request.getMList());
    if (!members.contains(clientId)) {
      members.add(clientId);
    }
    String attributes = request.hasAttr() ? request.getAttr().getData() : "{}";
    if (!isJsonObject(attributes)) {
      emit(Replies.error(requestId(command), clientId, ErrorCode.CONVERSATION_UPDATE_FAILED, "attr must be a JSON object"));
      return;
    }
    String cid = newConversationId(clock.instant());
    long now = clock.millis();
    ask(
        Conversation.entityId(appId, cid),
        replyTo ->
            new Conversation.Start(
                clientId, members, attributes, request.getTransient(), request.getUnique(), now, replyTo),
        command,
        clientId,
        snapshot ->
            Replies.replyTo(command, CommandType.conv, OpType.started, clientId)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setCid(snapshot.id())
                        .setCdate(Instant.ofEpochMilli(snapshot.createdAt()).toString()))
                .build());
  }

  /** conv/query; this version answers queries by {@code objectId}. */
  private void onQuery(String appId, String clientId, GenericCommand command) {
    Optional<String> objectId = objectIdCondition(command.getConvMessage());
    if (objectId.isEmpty()) {
      emit(Replies.error(requestId(command), clientId, ErrorCode.CONVERSATION_QUERY_FAILED,
          "this server answers conversation queries by objectId only"));
      return;
    }
    EntityRef<Conversation.Command> entity = entities.apply(Conversation.entityId(appId, objectId.get()));
    CompletionStage<Conversation.Reply> answer = entity.ask(Conversation.Get::new, askTimeout);
    context.pipeToSelf(
        answer,
        (reply, failure) -> {
          ArrayNode results = JSON.createArrayNode();
          if (reply instanceof Conversation.Accepted accepted) {
            results.add(toResult(accepted.conversation()));
          } else if (failure != null) {
            return new SessionActor.Emit(storageError(command, clientId, failure));
          }
          return new SessionActor.Emit(
              Replies.replyTo(command, CommandType.conv, OpType.results, clientId)
                  .setConvMessage(
                      ConvCommand.newBuilder()
                          .setResults(JsonObjectMessage.newBuilder().setData(results.toString())))
                  .build());
        });
  }

  private void ask(
      String entityId,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> message,
      GenericCommand command,
      String clientId,
      Function<Conversation.Snapshot, GenericCommand> onAccepted) {
    CompletionStage<Conversation.Reply> answer = entities.apply(entityId).ask(message::apply, askTimeout);
    BiFunction<Conversation.Reply, Throwable, SessionActor.Command> toFrame =
        (reply, failure) -> {
          if (failure != null) {
            return new SessionActor.Emit(storageError(command, clientId, failure));
          }
          if (reply instanceof Conversation.Rejected rejected) {
            ErrorCode code = ErrorCode.of(rejected.code()).orElse(ErrorCode.CONVERSATION_INTERNAL_ERROR);
            return new SessionActor.Emit(Replies.error(requestId(command), clientId, code, rejected.detail()));
          }
          return new SessionActor.Emit(onAccepted.apply(((Conversation.Accepted) reply).conversation()));
        };
    context.pipeToSelf(answer, toFrame::apply);
  }

  private GenericCommand storageError(GenericCommand command, String clientId, Throwable failure) {
    context.getLog().warn("Conversation request {}/{} failed: {}", command.getCmd(), command.getOp(), failure.toString());
    return Replies.error(requestId(command), clientId, ErrorCode.CONVERSATION_API_FAILED, "conversation unavailable, retry");
  }

  /** A query result element (§6.4): stored attributes at the top level, then the system columns. */
  static ObjectNode toResult(Conversation.Snapshot conversation) {
    ObjectNode result = JSON.createObjectNode();
    try {
      JsonNode attributes = JSON.readTree(conversation.attributesJson());
      if (attributes instanceof ObjectNode object) {
        result.setAll(object);
      }
    } catch (Exception e) {
      // attributes were validated as a JSON object when stored
    }
    result.put("objectId", conversation.id());
    result.put("c", conversation.creator());
    ArrayNode members = result.putArray("m");
    if (!conversation.transientRoom()) {
      conversation.members().forEach(members::add);
    }
    result.put("tr", conversation.transientRoom());
    result.put("sys", false);
    result.put("unique", conversation.unique());
    result.put("createdAt", Instant.ofEpochMilli(conversation.createdAt()).toString());
    result.put("updatedAt", Instant.ofEpochMilli(conversation.updatedAt()).toString());
    return result;
  }

  private static Optional<String> objectIdCondition(ConvCommand request) {
    if (!request.hasWhere()) {
      return Optional.empty();
    }
    try {
      JsonNode where = JSON.readTree(request.getWhere().getData());
      JsonNode objectId = where == null ? null : where.get("objectId");
      return objectId != null && objectId.isTextual() ? Optional.of(objectId.asText()) : Optional.empty();
    } catch (Exception malformed) {
      return Optional.empty();
    }
  }

  private static boolean isJsonObject(String text) {
    try {
      return JSON.readTree(text) instanceof ObjectNode;
    } catch (Exception malformed) {
      return false;
    }
  }

  /** 24 lowercase hex characters: 4 bytes of seconds, then 8 random bytes, like a MongoDB ObjectId. */
  static String newConversationId(Instant now) {
    byte[] id = new byte[12];
    int seconds = (int) now.getEpochSecond();
    id[0] = (byte) (seconds >>> 24);
    id[1] = (byte) (seconds >>> 16);
    id[2] = (byte) (seconds >>> 8);
    id[3] = (byte) seconds;
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    System.arraycopy(random, 0, id, 4, 8);
    return HexFormat.of().formatHex(id);
  }

  private static Integer requestId(GenericCommand command) {
    return command.hasI() ? command.getI() : null;
  }

  private void emit(GenericCommand command) {
    context.getSelf().tell(new SessionActor.Emit(command));
  }
}
