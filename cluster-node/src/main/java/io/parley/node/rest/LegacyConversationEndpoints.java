package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.conversation.query.ConversationQuery;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 */
public final class LegacyConversationEndpoints extends RestEndpoints {

  private final ConversationFinder finder;
  private final Conversations conversations;
  private final Clock clock;

  public LegacyConversationEndpoints(
      ConversationFinder finder, Conversations conversations, Clock clock) {
    this.finder = finder;
    this.conversations = conversations;
    this.clock = clock;
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
                                    parameterOptional(
                                        "where",
                                        where ->
                                            parameterOptional(
                                                "order",
                                                order ->
                                                    parameterOptional(
                                                        "limit",
                                                        limit ->
                                                            parameterOptional(
                                                                "skip",
                                                                skip ->
                                                                    query(
                                                                        caller.requireMaster(),
                                                                        where,
                                                                        order,
                                                                        limit,
                                                                        skip)))))))),
                path(
                    PathMatchers.segment(),
                    cid ->
                        concat(
                            get(
                                () ->
                                    reply(
                                        finder
                                            .byIds(caller.requireMaster().appId(), List.of(cid))
                                            .thenApply(
                                                found ->
                                                    (JsonNode)
                                                        ConversationEndpoints.document(
                                                            found.stream()
                                                                .findFirst()
                                                                .orElseThrow(
                                                                    () ->
                                                                        RestError.refused(
                                                                            4303,
                                                                            "Conversation "
                                                                                + cid
                                                                                + " not found.")))))),
                            put(() -> jsonBody(body -> update(caller.requireMaster(), cid, body))),
                            delete(
                                () ->
                                    reply(
                                        ConversationEndpoints.delete(
                                            conversations,
                                            clock,
                                            caller.requireMaster(),
                                            cid)))))));
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
            .start(
                caller.appId(),
                caller.app().access().uniqueIdKey(),
                creator,
                members,
                ConversationEndpoints.attributes(body).toString(),
                kind,
                unique,
                0,
                clock.instant())
            .thenApply(
                reply -> {
                  Conversation.Snapshot created =
                      ((Conversation.Created) ConversationEndpoints.accepted(reply)).conversation();
                  return JSON.createObjectNode()
                      .put("objectId", created.id())
                      .put("createdAt", Instant.ofEpochMilli(created.createdAt()).toString());
                }));
  }

  private Route query(
      Caller caller,
      Optional<String> where,
      Optional<String> order,
      Optional<String> limit,
      Optional<String> skip) {
    ConversationQuery query = ConversationEndpoints.parseQuery(where, order, limit, skip, finder);
    return reply(
        finder
            .find(caller.appId(), null, query)
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
    long now = clock.millis();
    CompletionStage<Conversation.Reply> membership = CompletableFuture.completedFuture(null);
    if (m != null) {
      String op = m.path("__op").asText("");
      List<String> ids = members(m, "AddUnique", "Add", "Remove");
      membership =
          conversations.ask(
              caller.appId(),
              cid,
              replyTo ->
                  op.equals("Remove")
                      ? new Conversation.Remove(Conversation.SERVER, ids, now, replyTo)
                      : new Conversation.Add(Conversation.SERVER, ids, now, null, replyTo));
    }
    CompletionStage<Conversation.Reply> answer =
        membership.thenCompose(
            changed -> {
              if (changed != null) {
                ConversationEndpoints.changed(changed);
              }
              if (columns.isEmpty()) {
                return CompletableFuture.completedFuture(changed);
              }
              return conversations.ask(
                  caller.appId(),
                  cid,
                  replyTo ->
                      new Conversation.Update(
                          Conversation.SERVER, columns.toString(), now, replyTo));
            });
    return reply(
        answer.thenApply(
            reply -> ConversationEndpoints.updated(cid, ConversationEndpoints.accepted(reply))));
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
