package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationState.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The storage API's view of conversations that LeanCloud's storage SDK uses for {@code
 * AV.Conversation} (REST-AND-HOOKS §3.6): {@code /1.1/classes/_Conversation}. A save creates the
 * conversation through the same start as {@code conv/start} ({@code tr}: a chatroom, {@code sys}: a
 * system conversation whose {@code m} are its subscribers); an update of {@code m} with {@code
 * AddUnique}/{@code Add}/{@code Remove} is a membership change with its pushes, any other column an
 * attribute update. Master key only (the class's default ACL).
 *
 * <p>Each route only translates the storage API's shape and calls the {@link ConversationEndpoints}
 * handler the v1.2 route calls.
 */
public final class LegacyConversationEndpoints extends RestEndpoints {

  private final ConversationEndpoints conversations;

  public LegacyConversationEndpoints(ConversationEndpoints conversations) {
    this.conversations = conversations;
  }

  @Override
  public Route routes(Caller caller) {
    return pathPrefix(
        PathMatchers.segment("classes").slash("_Conversation"),
        () ->
            concat(
                pathEndOrSingleSlash(
                    () ->
                        concat(
                            post(() -> jsonBody(body -> create(caller.requireMaster(), body))),
                            get(
                                () ->
                                    conversations.withQuery(
                                        query -> query(caller.requireMaster(), query))))),
                path(
                    PathMatchers.segment(),
                    cid ->
                        concat(
                            get(() -> conversations.read(caller.requireMaster(), cid)),
                            put(() -> jsonBody(body -> update(caller.requireMaster(), cid, body))),
                            delete(
                                () -> reply(conversations.delete(caller.requireMaster(), cid)))))));
  }

  /**
   * {@code POST}: answers 201 with {@code objectId} and {@code createdAt}, as the storage API does.
   */
  private Route create(Caller caller, ObjectNode body) {
    Kind kind =
        optionalBoolean(body, "tr").orElse(false)
            ? Kind.TRANSIENT
            : optionalBoolean(body, "sys").orElse(false) ? Kind.SYSTEM : Kind.NORMAL;
    List<String> members = body.has("m") ? members(body.get("m"), "AddUnique", "Add") : List.of();
    String creator = optionalText(body, "c").orElse(Conversation.SERVER);
    boolean unique = optionalBoolean(body, "unique").orElse(false);
    return replyCreated(
        conversations
            .create(caller, kind, creator, members, unique, ConversationEndpoints.attributes(body))
            .thenApply(
                created ->
                    JSON.createObjectNode()
                        .put("objectId", created.id())
                        .put("createdAt", Instant.ofEpochMilli(created.createdAt()).toString())));
  }

  /** {@code GET}: every kind the query matches, as {@code {"results": [...]}}. */
  private Route query(Caller caller, io.parley.node.conversation.query.ConversationQuery query) {
    return reply(
        conversations
            .find(caller, query)
            .thenApply(
                found -> {
                  ObjectNode answer = JSON.createObjectNode();
                  answer.putArray("results").addAll(found.page());
                  return answer;
                }));
  }

  /**
   * {@code PUT}: {@code m} as {@code {"__op": "AddUnique"|"Add"|"Remove", "objects": [...]}}
   * changes the members, the other columns are updated; answers {@code updatedAt} and {@code
   * objectId}.
   */
  private Route update(Caller caller, String cid, ObjectNode body) {
    ObjectNode columns = body.deepCopy();
    JsonNode m = columns.remove("m");
    CompletionStage<Conversation.MembershipChanged> membership =
        m == null
            ? CompletableFuture.completedFuture(null)
            : conversations.changeMembers(
                caller,
                cid,
                members(m, "AddUnique", "Add", "Remove"),
                !m.path("__op").asText("").equals("Remove"));
    return reply(
        membership
            .thenCompose(
                changed ->
                    columns.isEmpty()
                        ? CompletableFuture.<Conversation.Reply>completedFuture(changed)
                        : conversations.updateColumns(caller, cid, columns))
            .thenApply(reply -> ConversationEndpoints.updated(cid, reply)));
  }

  /** {@code m} as a plain array (a create only) or as one of the storage API's array operations. */
  private static List<String> members(JsonNode m, String... ops) {
    JsonNode objects = m;
    if (m.isObject()) {
      String op = m.path("__op").asText("");
      if (!List.of(ops).contains(op)) {
        throw RestError.badParameter(
            "m: operation " + op + " is not supported, use " + List.of(ops));
      }
      objects = m.get("objects");
    } else if (List.of(ops).contains("Remove")) {
      throw RestError.badParameter(
          "m is changed with {\"__op\": \"AddUnique\"|\"Remove\", \"objects\": [...]}");
    }
    if (objects == null || !objects.isArray()) {
      throw RestError.badParameter("m must be an array of client ids");
    }
    ObjectNode wrapped = JSON.createObjectNode();
    wrapped.set("m", objects);
    return objects.isEmpty()
        ? new ArrayList<>()
        : clientIds(wrapped, "m", ConversationEndpoints.MAX_CLIENT_IDS);
  }
}
