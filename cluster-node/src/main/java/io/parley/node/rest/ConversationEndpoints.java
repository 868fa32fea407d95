package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.AttributeUpdate;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.conversation.query.ConversationQuery;
import io.parley.node.conversation.query.InvalidQueryException;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * IM REST API v1.2, normal conversations and chatrooms (REST-AND-HOOKS §3.1, §3.2): {@code
 * /1.2/rtm/conversations} and {@code /1.2/rtm/chatrooms}: create, query, update, members, mutes,
 * permanent silences and blacklists (roles: {@link MemberRoleEndpoints}). Master key only, as on
 * LeanCloud. Each call is the entity command a client's {@code conv/*} sends, made by the app
 * server ({@link Conversation#SERVER}), so members get the same pushes.
 */
public final class ConversationEndpoints extends RestEndpoints {

  /** Client ids one call may name (LeanCloud's batch size for members, silences and blacklists). */
  static final int MAX_CLIENT_IDS = 500;

  private final ConversationFinder finder;
  private final Conversations conversations;
  private final Clock clock;

  public ConversationEndpoints(
      ConversationFinder finder, Conversations conversations, Clock clock) {
    this.finder = finder;
    this.conversations = conversations;
    this.clock = clock;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        pathPrefix(rtm("conversations"), () -> kind(caller, Kind.NORMAL)),
        pathPrefix(rtm("chatrooms"), () -> kind(caller, Kind.TRANSIENT)),
        // §3.3: service conversations are created, read and updated like the others; their
        // subscribers and
        // broadcasts are ServiceConversationEndpoints'.
        pathPrefix(rtm("service-conversations"), () -> kind(caller, Kind.SYSTEM)));
  }

  private Route kind(Caller caller, Kind kind) {
    return concat(
        pathEndOrSingleSlash(
            () ->
                concat(
                    post(() -> jsonBody(body -> create(caller.requireMaster(), kind, body))),
                    get(() -> withQuery(query -> query(caller.requireMaster(), kind, query))))),
        pathPrefix(
            PathMatchers.segment(),
            cid ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            concat(
                                get(() -> read(caller.requireMaster(), cid)),
                                put(
                                    () ->
                                        jsonBody(
                                            body -> update(caller.requireMaster(), cid, body))),
                                delete(() -> reply(delete(caller.requireMaster(), cid))))),
                    path(
                        "members",
                        () ->
                            concat(
                                get(() -> members(caller.requireMaster(), cid)),
                                post(
                                    () ->
                                        jsonBody(
                                            body ->
                                                membership(
                                                    caller.requireMaster(), cid, body, true))),
                                delete(
                                    () ->
                                        jsonBody(
                                            body ->
                                                membership(
                                                    caller.requireMaster(), cid, body, false))))),
                    path(
                        PathMatchers.segment("members").slash("online-count"),
                        () ->
                            get(
                                () ->
                                    reply(
                                        conversations
                                            .ask(
                                                caller.requireMaster().appId(),
                                                cid,
                                                Conversation.Count::new)
                                            .thenApply(
                                                reply ->
                                                    result(
                                                        ((Conversation.Counted) accepted(reply))
                                                            .count()))))),
                    path(
                        "mutes",
                        () ->
                            concat(
                                get(
                                    () ->
                                        reply(
                                            existing(caller.requireMaster(), cid)
                                                .thenApply(
                                                    found -> strings("result", found.muted())))),
                                post(
                                    () ->
                                        jsonBody(
                                            body -> mute(caller.requireMaster(), cid, body, true))),
                                delete(
                                    () ->
                                        jsonBody(
                                            body ->
                                                mute(caller.requireMaster(), cid, body, false))))),
                    path("permanent-silenceds", () -> moderated(caller, cid, false)),
                    path("blacklists", () -> moderated(caller, cid, true)))));
  }

  // ----------------------------------------------------------------------------------------------
  // create

  /**
   * {@code POST}: {@code name}, {@code m}, {@code unique} and any custom columns; the creator is
   * {@code c} when given, else the app server (no Owner). Members get {@code joined} as from a
   * client's {@code conv/start}.
   */
  private Route create(Caller caller, Kind kind, ObjectNode body) {
    List<String> members =
        kind != Kind.NORMAL || !body.has("m") ? List.of() : clientIds(body, "m", MAX_CLIENT_IDS);
    boolean unique = optionalBoolean(body, "unique").orElse(false);
    String creator = optionalText(body, "c").orElse(Conversation.SERVER);
    return reply(
        create(caller, kind, creator, members, unique, attributes(body))
            .thenApply(ConversationEndpoints::document));
  }

  /** Starts a conversation as {@code conv/start} does; answers its snapshot or the refusal. */
  CompletionStage<Conversation.Snapshot> create(
      Caller caller,
      Kind kind,
      String creator,
      List<String> members,
      boolean unique,
      ObjectNode attributes) {
    return conversations
        .start(
            caller.appId(),
            caller.app().access().uniqueIdKey(),
            creator,
            members,
            attributes.toString(),
            kind,
            unique,
            0,
            clock.instant())
        .thenApply(reply -> ((Conversation.Created) accepted(reply)).conversation());
  }

  /** The custom columns of a create: everything the server does not own. */
  static ObjectNode attributes(ObjectNode body) {
    ObjectNode attributes = JSON.createObjectNode();
    body.fields()
        .forEachRemaining(
            field -> {
              if (!AttributeUpdate.isProtected(field.getKey())) {
                attributes.set(field.getKey(), field.getValue());
              }
            });
    return attributes;
  }

  // -----------------------------------------------------------------------------------------------
  // query

  /**
   * {@code GET}: {@code where}, {@code order}, {@code limit}, {@code skip} as in {@code
   * conv/query}.
   */
  private Route query(Caller caller, Kind kind, ConversationQuery query) {
    if (kind == Kind.TRANSIENT) {
      // Chatrooms are not indexed (README, Queries): they are found by id.
      if (query.objectIds().isEmpty()) {
        throw RestError.badParameter("chatrooms are queried by objectId: where={\"objectId\":...}");
      }
    }
    return reply(
        find(caller, query)
            .thenApply(
                found -> {
                  ObjectNode answer = JSON.createObjectNode();
                  ArrayNode results = answer.putArray("results");
                  for (int n = 0; n < found.page().size(); n++) {
                    if ((found.conversations().get(n).kind() == Kind.TRANSIENT)
                        == (kind == Kind.TRANSIENT)) {
                      results.add(found.page().get(n));
                    }
                  }
                  return answer;
                }));
  }

  /** Runs a {@code conv/query} as the app server (no requester): the page and its snapshots. */
  CompletionStage<ConversationFinder.Found> find(Caller caller, ConversationQuery query) {
    return finder.find(caller.appId(), null, query);
  }

  /** {@code GET} one conversation: its document, or 404 / 4303. */
  Route read(Caller caller, String cid) {
    return reply(existing(caller, cid).thenApply(ConversationEndpoints::document));
  }

  /** {@code DELETE}: the conversation is gone for everyone, its history too; answers {@code {}}. */
  CompletionStage<JsonNode> delete(Caller caller, String cid) {
    return conversations
        .ask(caller.appId(), cid, replyTo -> new Conversation.Delete(clock.millis(), replyTo))
        .thenApply(
            reply -> {
              accepted(reply);
              return JSON.createObjectNode();
            });
  }

  /**
   * The storage query parameters ({@code where}, {@code order}, {@code limit}, {@code skip}) as a
   * {@code conv/query} for {@code inner}; 400 when invalid.
   */
  Route withQuery(Function<ConversationQuery, Route> inner) {
    return withParameters(
        parameters ->
            inner.apply(
                parseQuery(
                    parameters.optional("where"),
                    parameters.optional("order"),
                    parameters.optional("limit"),
                    parameters.optional("skip"))));
  }

  private ConversationQuery parseQuery(
      Optional<String> where,
      Optional<String> order,
      Optional<String> limit,
      Optional<String> skip) {
    try {
      return ConversationQuery.parse(
          where.orElse(null),
          order.orElse(null),
          limit.isPresent() ? intParameter(limit, "limit", 0, 0, Integer.MAX_VALUE) : null,
          skip.isPresent() ? intParameter(skip, "skip", 0, 0, Integer.MAX_VALUE) : null,
          finder.queryLimits());
    } catch (InvalidQueryException invalid) {
      throw RestError.badParameter("invalid query: " + invalid.getMessage());
    }
  }

  // --------------------------------------------------------------------------------------- update,
  // members

  /**
   * {@code PUT}: any columns but {@code m}; members get {@code updated} as from {@code
   * conv/update}.
   */
  private Route update(Caller caller, String cid, ObjectNode body) {
    if (body.has("m")) {
      throw RestError.badParameter("m cannot be updated here: use .../members");
    }
    return reply(updateColumns(caller, cid, body).thenApply(reply -> updated(cid, reply)));
  }

  /** Sets these columns as {@code conv/update} does; answers the accepted reply or the refusal. */
  CompletionStage<Conversation.Reply> updateColumns(Caller caller, String cid, ObjectNode columns) {
    return conversations
        .ask(
            caller.appId(),
            cid,
            replyTo ->
                new Conversation.Update(
                    Conversation.SERVER, columns.toString(), clock.millis(), replyTo))
        .thenApply(ConversationEndpoints::accepted);
  }

  private Route members(Caller caller, String cid) {
    return reply(
        existing(caller, cid)
            .thenApply(
                found -> {
                  if (found.kind() == Kind.TRANSIENT) {
                    throw RestError.refused(
                        ErrorCode.NORMAL_CONVERSATION_REQUIRED,
                        "Chatroom members are not listed; see members/online-count.");
                  }
                  return strings("result", found.members());
                }));
  }

  /**
   * {@code POST}/{@code DELETE .../members {"client_ids": [...]}}: as {@code conv/add} / {@code
   * conv/remove}.
   */
  private Route membership(Caller caller, String cid, ObjectNode body, boolean add) {
    List<String> ids = clientIds(body, "client_ids", MAX_CLIENT_IDS);
    return reply(changeMembers(caller, cid, ids, add).thenApply(changed -> updated(cid, changed)));
  }

  /**
   * Adds or removes these members as {@code conv/add} / {@code conv/remove} do; refused as a whole
   * when nobody could be changed.
   */
  CompletionStage<Conversation.MembershipChanged> changeMembers(
      Caller caller, String cid, List<String> ids, boolean add) {
    long now = clock.millis();
    return conversations
        .ask(
            caller.appId(),
            cid,
            replyTo ->
                add
                    ? new Conversation.Add(Conversation.SERVER, ids, now, null, replyTo)
                    : new Conversation.Remove(Conversation.SERVER, ids, now, replyTo))
        .thenApply(ConversationEndpoints::changed);
  }

  /**
   * {@code POST}/{@code DELETE .../mutes {"client_ids": [...]}}: each as its own {@code conv/mute}.
   */
  private Route mute(Caller caller, String cid, ObjectNode body, boolean mute) {
    List<String> ids = clientIds(body, "client_ids", MAX_CLIENT_IDS);
    long now = clock.millis();
    CompletionStage<Conversation.Reply> last = CompletableFuture.completedFuture(null);
    for (String id : ids) {
      last =
          last.thenCompose(
              previous ->
                  previous == null || previous instanceof Conversation.Accepted
                      ? conversations.ask(
                          caller.appId(),
                          cid,
                          replyTo -> new Conversation.Mute(id, mute, now, replyTo))
                      : CompletableFuture.completedFuture(previous));
    }
    return reply(last.thenApply(reply -> updated(cid, accepted(reply))));
  }

  /** Permanent silences (shut-up) or the blacklist: list, add, remove. */
  private Route moderated(Caller caller, String cid, boolean blacklist) {
    return concat(
        get(
            () ->
                parameterOptional(
                    "limit",
                    limit ->
                        parameterOptional(
                            "next",
                            next ->
                                reply(
                                    conversations
                                        .ask(
                                            caller.requireMaster().appId(),
                                            cid,
                                            replyTo ->
                                                new Conversation.ListModerated(
                                                    blacklist,
                                                    intParameter(
                                                        limit, "limit", 50, 1, MAX_CLIENT_IDS),
                                                    next.orElse(null),
                                                    replyTo))
                                        .thenApply(
                                            reply -> {
                                              Conversation.Listed listed =
                                                  (Conversation.Listed) accepted(reply);
                                              ObjectNode answer =
                                                  strings("client_ids", listed.clientIds());
                                              if (listed.next() != null) {
                                                answer.put("next", listed.next());
                                              }
                                              return answer;
                                            }))))),
        post(() -> jsonBody(body -> moderate(caller.requireMaster(), cid, body, blacklist, true))),
        delete(
            () -> jsonBody(body -> moderate(caller.requireMaster(), cid, body, blacklist, false))));
  }

  private Route moderate(
      Caller caller, String cid, ObjectNode body, boolean blacklist, boolean add) {
    List<String> ids = clientIds(body, "client_ids", MAX_CLIENT_IDS);
    long now = clock.millis();
    Function<ActorRef<Conversation.Reply>, Conversation.Command> command =
        replyTo ->
            blacklist
                ? new Conversation.Block(Conversation.SERVER, ids, add, now, replyTo)
                : new Conversation.Shutup(Conversation.SERVER, ids, add, now, replyTo);
    return reply(
        conversations
            .ask(caller.appId(), cid, command)
            .thenApply(
                reply -> {
                  Conversation.MembershipChanged changed = changed(reply);
                  ObjectNode answer = JSON.createObjectNode();
                  if (!changed.failed().isEmpty()) {
                    ArrayNode failed = answer.putArray("failed");
                    changed
                        .failed()
                        .forEach(
                            failure ->
                                failed
                                    .addObject()
                                    .put("code", failure.code())
                                    .put("error", failure.reason())
                                    .set(
                                        "client_ids",
                                        strings("ids", failure.clientIds()).get("ids")));
                  }
                  return answer;
                }));
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  /** The conversation, read through the finder; 404 with 4303 when there is none. */
  CompletionStage<Conversation.Snapshot> existing(Caller caller, String cid) {
    return existing(finder, caller, cid);
  }

  /** The conversation {@code cid} of the caller's app; 404 with 4303 when there is none. */
  static CompletionStage<Conversation.Snapshot> existing(
      ConversationFinder finder, Caller caller, String cid) {
    return finder
        .byIds(caller.appId(), List.of(cid))
        .thenApply(
            found ->
                found.stream().findFirst().orElseThrow(() -> RestError.conversationNotFound(cid)));
  }

  /** The reply, or its refusal thrown as the REST error. */
  static Conversation.Reply accepted(Conversation.Reply reply) {
    if (reply instanceof Conversation.Rejected rejected) {
      throw RestError.refused(
          rejected.code(), rejected.detail() != null ? rejected.detail() : rejected.reason());
    }
    if (reply instanceof Conversation.RejectedByApp byApp) {
      // _messageReceived / _messageUpdate said no (rest-messages on): 4402 / 4405 with the app's
      // detail and code, as the SDKs show them.
      throw RestError.refused(
          byApp.code(),
          byApp.reason()
              + (byApp.appMsg() != null ? ": " + byApp.appMsg() : "")
              + (byApp.appCode() != null ? " (app code " + byApp.appCode() + ")" : ""));
    }
    return reply;
  }

  /** A membership change; refused as a whole when nobody could be changed and someone failed. */
  static Conversation.MembershipChanged changed(Conversation.Reply reply) {
    Conversation.MembershipChanged changed = (Conversation.MembershipChanged) accepted(reply);
    if (changed.allowed().isEmpty() && !changed.failed().isEmpty()) {
      Conversation.Failure first = changed.failed().get(0);
      throw RestError.refused(first.code(), first.reason() + ": " + first.clientIds());
    }
    return changed;
  }

  /**
   * A conversation as LeanCloud's REST returns it: the stored columns (no requester-specific ones).
   */
  static ObjectNode document(Conversation.Snapshot conversation) {
    return ConversationFinder.toResult(conversation, null);
  }

  static ObjectNode updated(String cid, Conversation.Reply reply) {
    long updatedAt =
        reply instanceof Conversation.Accepted accepted
            ? accepted.conversation().updatedAt()
            : reply instanceof Conversation.MembershipChanged changed
                ? changed.conversation().updatedAt()
                : System.currentTimeMillis();
    ObjectNode answer = JSON.createObjectNode();
    answer.put("updatedAt", Instant.ofEpochMilli(updatedAt).toString());
    answer.put("objectId", cid);
    return answer;
  }

  static ObjectNode strings(String field, List<String> values) {
    ObjectNode answer = JSON.createObjectNode();
    ArrayNode array = answer.putArray(field);
    values.forEach(array::add);
    return answer;
  }

  static ObjectNode result(long value) {
    return JSON.createObjectNode().put("result", value);
  }

  static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }
}
