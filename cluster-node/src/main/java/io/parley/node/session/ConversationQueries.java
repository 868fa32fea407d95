package io.parley.node.session;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.conversation.query.ConversationQuery;
import io.parley.node.conversation.query.InvalidQueryException;
import io.parley.node.conversation.query.QueryBudget;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.util.List;
import java.util.Set;

/**
 * The session side of conversation reads (docs/protocol.md §6.4, §6.7): {@code conv/query} through
 * {@link ConversationFinder}, {@code count}, {@code members} and {@code is_member}. Part of {@link
 * ConversationCommands}; nothing here changes a conversation.
 */
final class ConversationQueries {

  private final ConversationAsks asks;
  private final ConversationFinder finder;

  ConversationQueries(ConversationAsks asks, ConversationFinder finder) {
    this.asks = asks;
    this.finder = finder;
  }

  void onCount(String appId, String clientId, GenericCommand command) {
    asks.ask(
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
    asks.ask(
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
          ObjectNode answer = ConversationAsks.JSON.createObjectNode();
          for (String id : request.getMCount() == 0 ? List.of(clientId) : request.getMList()) {
            answer.put(id, conversation.members().contains(id));
          }
          result.setResults(JsonObjectMessage.newBuilder().setData(answer.toString()));
          return Replies.replyTo(command, CommandType.conv, OpType.result, clientId)
              .setConvMessage(result)
              .build();
        });
  }

  /**
   * conv/query (§6.4). Candidates come from the ids in the condition, else from the per-member
   * index (the member the condition requires, or the requester when there is no condition), else
   * from the app's newest conversations (at most {@code max-query-candidates}); the condition,
   * sort, skip and limit then apply.
   */
  void onQuery(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    if (request.getTempConvIdsCount() > asks.requestLimits.idsPerRequest()) {
      asks.emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.CONVERSATION_QUERY_FAILED,
              "at most " + asks.requestLimits.idsPerRequest() + " tempConvIds per query"));
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
      asks.emit(
          Replies.errorTo(
              command, clientId, ErrorCode.CONVERSATION_QUERY_FAILED, invalid.getMessage()));
      return;
    }
    if (query.objectIds().map(Set::size).orElse(0) > asks.requestLimits.idsPerRequest()) {
      asks.emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.CONVERSATION_QUERY_FAILED,
              "at most " + asks.requestLimits.idsPerRequest() + " objectIds per query"));
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
    ArrayNode results = ConversationAsks.JSON.createArrayNode();
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
    ArrayNode results = ConversationAsks.JSON.createArrayNode();
    long now = asks.clock.millis();
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

  private void emitAnswer(
      GenericCommand command, String clientId, GenericCommand frame, Throwable failure) {
    Throwable cause =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    GenericCommand answer =
        cause instanceof QueryBudget.Exceeded tooExpensive
            ? Replies.errorTo(
                command, clientId, ErrorCode.CONVERSATION_QUERY_FAILED, tooExpensive.getMessage())
            : failure != null ? asks.storageError(command, clientId, failure) : frame;
    asks.self.tell(new SessionActor.Emit(answer));
  }
}
