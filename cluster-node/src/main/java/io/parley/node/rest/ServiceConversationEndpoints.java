package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.message.BroadcastRegistry;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Service (system) conversations' subscribers and broadcasts (REST-AND-HOOKS §3.3), master key
 * only: {@code /1.2/rtm/service-conversations/{id}/subscribers} (subscribe, unsubscribe, list,
 * count), {@code .../broadcasts}, edit and recall of a broadcast ({@code PUT .../messages/{mid}}
 * and {@code .../recall}), the global {@code POST /1.2/rtm/broadcasts}, and their v1.1 forms (§3.6:
 * {@code /1.1/rtm/conversation/subscription}, {@code .../subscribers/count}, {@code
 * .../subscribed}, {@code /1.1/rtm/broadcast/subscriber}), which call the same handlers.
 * Subscribing is the entity's own subscription path (a client's {@code conv/add} of itself to a
 * system conversation); a broadcast is the app server's post to every subscriber. Create, query,
 * read and update of service conversations are {@link ConversationEndpoints}' (kind {@code
 * SYSTEM}).
 */
public final class ServiceConversationEndpoints extends RestEndpoints {

  /** Subscribers per listing page, at most (LeanCloud: 50). */
  static final int MAX_SUBSCRIBERS_PAGE = 50;

  /** How long a global broadcast stays valid, by default and at most (LeanCloud: a month). */
  static final java.time.Duration DEFAULT_VALIDITY = java.time.Duration.ofDays(30);

  static final java.time.Duration MAX_VALIDITY = java.time.Duration.ofDays(31);

  /** Broadcasts per listing page: by default, and at most. */
  static final int DEFAULT_BROADCASTS_PAGE = 10;

  static final int MAX_BROADCASTS_PAGE = 100;

  private final ConversationFinder finder;
  private final Conversations conversations;
  private final MessageEndpoints messages;
  private final BroadcastRegistry broadcasts;
  private final Clock clock;

  public ServiceConversationEndpoints(
      ConversationFinder finder,
      Conversations conversations,
      MessageEndpoints messages,
      BroadcastRegistry broadcasts,
      Clock clock) {
    this.finder = finder;
    this.conversations = conversations;
    this.messages = messages;
    this.broadcasts = broadcasts;
    this.clock = clock;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        path(rtm("broadcasts"), () -> globalBroadcasts(caller, "from_client")),
        path(
            rtm("broadcasts").slash(PathMatchers.segment()),
            mid -> delete(() -> deleteBroadcast(caller.requireMaster(), mid))),
        path(
            rtm("broadcast"),
            () ->
                concat(
                    globalBroadcasts(caller, "from_peer"),
                    delete(
                        () ->
                            parameterOptional(
                                "mid",
                                mid ->
                                    deleteBroadcast(
                                        caller.requireMaster(), required(mid, "mid")))))),
        serviceConversation(caller),
        legacy(caller));
  }

  /** Send ({@code POST}, the sender in {@code fromField}) and list ({@code GET}) broadcasts. */
  private Route globalBroadcasts(Caller caller, String fromField) {
    return concat(
        post(
            () ->
                jsonBody(
                    body ->
                        globalBroadcast(
                            caller.requireMaster(), body, requiredText(body, fromField)))),
        get(() -> listBroadcasts(caller)));
  }

  /**
   * {@code GET /1.2/rtm/broadcasts?conv_id=&limit=&skip=} (and v1.1 {@code GET
   * /1.1/rtm/broadcast}): the service conversation's global broadcasts still valid, newest first,
   * as {@code [{"msg-id", "conv-id", "from", "timestamp", "valid_till", "data"}]}.
   */
  private Route listBroadcasts(Caller caller) {
    Caller master = caller.requireMaster();
    return parameterOptional(
        "conv_id",
        cid ->
            parameterOptional(
                "limit",
                limit ->
                    parameterOptional(
                        "skip",
                        skip -> {
                          String conversation = required(cid, "conv_id");
                          int size =
                              intParameter(
                                  limit, "limit", DEFAULT_BROADCASTS_PAGE, 1, MAX_BROADCASTS_PAGE);
                          int from = intParameter(skip, "skip", 0, 0, Integer.MAX_VALUE);
                          return reply(
                              system(master, conversation)
                                  .thenCompose(
                                      found ->
                                          broadcasts.valid(
                                              master.appId(), conversation, clock.millis()))
                                  .thenApply(
                                      valid -> {
                                        ArrayNode page = JSON.createArrayNode();
                                        valid.stream()
                                            .skip(from)
                                            .limit(size)
                                            .forEach(
                                                broadcast ->
                                                    page.addObject()
                                                        .put("msg-id", broadcast.messageId())
                                                        .put("conv-id", broadcast.cid())
                                                        .put("from", broadcast.from())
                                                        .put("timestamp", broadcast.timestamp())
                                                        .put("valid_till", broadcast.validTill())
                                                        .put("data", broadcast.data()));
                                        return page;
                                      }));
                        })));
  }

  /**
   * {@code DELETE /1.2/rtm/broadcasts/{message_id}} (and v1.1 {@code DELETE
   * /1.1/rtm/broadcast?mid=}): the broadcast is deleted from its conversation (through it: no
   * longer queued or counted for who has not received it, no longer in history) and from the valid
   * ones; an unknown or expired one is 404 / 4404.
   */
  private Route deleteBroadcast(Caller caller, String mid) {
    return reply(
        broadcasts
            .find(caller.appId(), mid, clock.millis())
            .thenCompose(
                found -> {
                  BroadcastRegistry.Broadcast broadcast =
                      found.orElseThrow(
                          () ->
                              RestError.refused(
                                  ErrorCode.MESSAGE_NOT_FOUND, "No valid broadcast " + mid + "."));
                  return conversations
                      .ask(
                          caller.appId(),
                          broadcast.cid(),
                          replyTo ->
                              new Conversation.DeleteMessage(mid, broadcast.timestamp(), replyTo))
                      .thenCompose(
                          reply -> {
                            ConversationEndpoints.accepted(reply);
                            return broadcasts.delete(caller.appId(), mid);
                          });
                })
            .thenApply(done -> JSON.createObjectNode()));
  }

  /**
   * {@code POST /1.2/rtm/broadcasts} (§3.5) and v1.1 {@code POST /1.1/rtm/broadcast}: {@code
   * from_client} ({@code from_peer}), {@code conv_id} (a service conversation), {@code message},
   * {@code push}, {@code valid_till} (ms; default a month from now, at most 31 days): a broadcast
   * to the conversation's subscribers, stored ({@code transient} is not supported), delivered to
   * who is online and, until {@code valid_till}, at the next login of the others; then listed as
   * valid until it expires. Counted against the global broadcast budget.
   */
  private Route globalBroadcast(Caller caller, ObjectNode body, String from) {
    long now = clock.millis();
    long validTill = validTill(body, now);
    String cid = requiredText(body, "conv_id");
    return reply(
        messages
            .broadcast(caller, cid, from, body, RestLimiter.Budget.GLOBAL_BROADCASTS, validTill)
            .thenCompose(
                sent ->
                    broadcasts
                        .record(
                            caller.appId(),
                            new BroadcastRegistry.Broadcast(
                                sent.get("msg-id").asText(),
                                cid,
                                from,
                                sent.get("timestamp").asLong(),
                                validTill,
                                MessageEndpoints.message(body)),
                            now)
                        .thenApply(done -> sent)));
  }

  /** {@code valid_till}: in ms, after now and at most {@link #MAX_VALIDITY} ahead. */
  private static long validTill(ObjectNode body, long now) {
    com.fasterxml.jackson.databind.JsonNode value = body.get("valid_till");
    if (value == null || value.isNull()) {
      return now + DEFAULT_VALIDITY.toMillis();
    }
    if (!value.canConvertToLong() || value.isTextual()) {
      throw RestError.badParameter("valid_till must be a timestamp in milliseconds");
    }
    long till = value.longValue();
    if (till <= now || till > now + MAX_VALIDITY.toMillis()) {
      throw RestError.badParameter("valid_till must be after now and at most a month ahead");
    }
    return till;
  }

  /** {@code POST .../broadcasts}: to every subscriber, against the subscriber broadcast budget. */
  private Route subscriberBroadcast(
      Caller caller, Function<ObjectNode, String> cidOf, String fromField) {
    return postJson(
        body ->
            messages.broadcast(
                caller.requireMaster(),
                cidOf.apply(body),
                requiredText(body, fromField),
                body,
                RestLimiter.Budget.BROADCASTS,
                0));
  }

  private Route serviceConversation(Caller caller) {
    return pathPrefix(
        rtm("service-conversations").slash(PathMatchers.segment()),
        cid ->
            concat(
                path(
                    "subscribers",
                    () ->
                        concat(
                            subscribe(caller, body -> cid),
                            get(() -> subscribers(caller.requireMaster(), Optional.of(cid))))),
                path(
                    PathMatchers.segment("subscribers").slash("count"),
                    () -> get(() -> count(caller.requireMaster(), cid))),
                path(
                    PathMatchers.segment("subscribers").slash(PathMatchers.segment()),
                    clientId ->
                        delete(() -> subscribe(caller.requireMaster(), cid, clientId, false))),
                path("broadcasts", () -> subscriberBroadcast(caller, body -> cid, "from_client")),
                path(
                    "messages",
                    () ->
                        post(
                            () ->
                                jsonBody(
                                    body ->
                                        reply(
                                            messages.perUser(
                                                caller.requireMaster(),
                                                cid,
                                                requiredText(body, "from_client"),
                                                toClients(body),
                                                body,
                                                false))))),
                path(
                    PathMatchers.segment("subscribers")
                        .slash(PathMatchers.segment())
                        .slash("messages"),
                    clientId -> get(() -> messages.thread(caller.requireMaster(), cid, clientId))),
                path(
                    PathMatchers.segment("subscribers")
                        .slash(PathMatchers.segment())
                        .slash("messages")
                        .slash(PathMatchers.segment()),
                    (clientId, mid) ->
                        delete(
                            () ->
                                parameterOptional(
                                    "timestamp",
                                    timestamp ->
                                        messages.deletePerUser(
                                            caller.requireMaster(),
                                            cid,
                                            clientId,
                                            mid,
                                            timestamp)))),
                path(
                    PathMatchers.segment("messages").slash(PathMatchers.segment()),
                    mid -> put(() -> jsonBody(body -> patch(caller, cid, mid, body, false)))),
                path(
                    PathMatchers.segment("messages").slash(PathMatchers.segment()).slash("recall"),
                    mid -> put(() -> jsonBody(body -> patch(caller, cid, mid, body, true))))));
  }

  /**
   * {@code PUT .../messages/{mid}} and {@code .../recall} ({@code from_client}, {@code message},
   * {@code timestamp}[, {@code to_clients}]): edits or recalls a broadcast or a per-user message,
   * as {@code PUT /1.2/rtm/conversations/{id}/messages/{mid}} does in a normal conversation; the
   * online subscribers who see it get {@code patch/modify} (of a per-user message, its recipients
   * alone, whatever {@code to_clients} says: it is only checked).
   */
  private Route patch(Caller caller, String cid, String mid, ObjectNode body, boolean recall) {
    Caller master = caller.requireMaster();
    if (body.has("to_clients")) {
      toClients(body); // checked; the stored message knows its recipients
    }
    return onSuccess(system(master, cid), found -> messages.patch(master, cid, mid, body, recall));
  }

  /**
   * The v1.1 forms (§3.6), each translated to the v1.2 handler above: {@code POST
   * /rtm/conversation/subscription {"conv_id","client_id"}}, {@code DELETE ...?conv_id&client_id},
   * {@code GET ...?conv_id[&limit&client_id]} (the subscribers), {@code GET
   * /rtm/conversation/subscribers/count?conv_id}, {@code GET
   * /rtm/conversation/subscribed?conv_id&client_id} ({@code true} or {@code false}), and {@code
   * POST /rtm/broadcast/subscriber} ({@code from_peer}, {@code conv_id}, {@code message}, {@code
   * push}).
   */
  private Route legacy(Caller caller) {
    return concat(
        path(
            rtm("conversation", "subscription"),
            () ->
                concat(
                    subscribe(caller, body -> requiredText(body, "conv_id")),
                    delete(
                        () ->
                            requiredParameters(
                                "conv_id",
                                "client_id",
                                (cid, clientId) ->
                                    subscribe(caller.requireMaster(), cid, clientId, false))),
                    get(() -> subscribers(caller.requireMaster(), Optional.empty())))),
        path(
            rtm("conversation", "subscribers", "count"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "conv_id",
                            cid -> count(caller.requireMaster(), required(cid, "conv_id"))))),
        path(
            rtm("conversation", "subscribed"),
            () ->
                get(
                    () ->
                        requiredParameters(
                            "conv_id",
                            "client_id",
                            (cid, clientId) ->
                                reply(
                                    system(caller.requireMaster(), cid)
                                        .thenApply(
                                            found ->
                                                JSON.getNodeFactory()
                                                    .booleanNode(
                                                        found.members().contains(clientId))))))),
        path(
            rtm("broadcast", "subscriber"),
            () -> subscriberBroadcast(caller, body -> requiredText(body, "conv_id"), "from_peer")));
  }

  /** {@code to_clients}: 1 to 20 client ids (required). */
  private static List<String> toClients(ObjectNode body) {
    return clientIds(body, "to_clients", MessageEndpoints.MAX_RECIPIENTS);
  }

  /**
   * {@code POST {"client_id"}}: subscribes the client to the conversation {@code cidOf} names
   * (v1.2: the path; v1.1: {@code conv_id} in the body).
   */
  private Route subscribe(Caller caller, Function<ObjectNode, String> cidOf) {
    return post(
        () ->
            jsonBody(
                body ->
                    subscribe(
                        caller.requireMaster(),
                        cidOf.apply(body),
                        requiredText(body, "client_id"),
                        true)));
  }

  /** Two required query parameters. */
  private Route requiredParameters(
      String first, String second, java.util.function.BiFunction<String, String, Route> inner) {
    return withParameters(
        parameters ->
            inner.apply(
                required(parameters.optional(first), first),
                required(parameters.optional(second), second)));
  }

  /**
   * {@code GET} the subscribers of {@code cid} (v1.2: in the path; v1.1: {@code conv_id}), paged by
   * {@code limit} and {@code client_id} (the last one of the previous page).
   */
  private Route subscribers(Caller caller, Optional<String> pathCid) {
    return withParameters(
        parameters ->
            subscribers(
                caller,
                pathCid.orElseGet(() -> required(parameters.optional("conv_id"), "conv_id")),
                parameters.optional("limit"),
                parameters.optional("client_id")));
  }

  private static String required(Optional<String> value, String name) {
    return value
        .filter(text -> !text.isEmpty())
        .orElseThrow(() -> RestError.badParameter(name + " is required"));
  }

  /** {@code GET .../subscribers/count}: {@code {"count": n}}. */
  private Route count(Caller caller, String cid) {
    return reply(
        system(caller, cid)
            .thenApply(found -> JSON.createObjectNode().put("count", found.members().size())));
  }

  /** The service conversation {@code cid}, or its refusal (4303, 4313). */
  private CompletionStage<Conversation.Snapshot> system(Caller caller, String cid) {
    return messages.system(caller, cid);
  }

  /**
   * {@code POST .../subscribers {"client_id"}} and {@code DELETE .../subscribers/{client_id}}:
   * {@code {}}.
   */
  private Route subscribe(Caller caller, String cid, String clientId, boolean subscribe) {
    long now = clock.millis();
    return reply(
        system(caller, cid)
            .thenCompose(
                found ->
                    conversations.ask(
                        caller.appId(),
                        cid,
                        replyTo ->
                            subscribe
                                ? new Conversation.Add(
                                    clientId, List.of(clientId), now, null, replyTo)
                                : new Conversation.Remove(
                                    clientId, List.of(clientId), now, replyTo)))
            .thenApply(
                reply -> {
                  ConversationEndpoints.changed(reply);
                  return JSON.createObjectNode();
                }));
  }

  /**
   * {@code GET .../subscribers?limit=&client_id=}: subscribers in the order they subscribed, after
   * {@code client_id} (exclusive), as {@code [{"subscriber", "conv_id"}]}. LeanCloud adds each
   * one's subscription time, which Parley does not keep.
   */
  private Route subscribers(
      Caller caller, String cid, Optional<String> limit, Optional<String> after) {
    int pageSize = intParameter(limit, "limit", MAX_SUBSCRIBERS_PAGE, 1, MAX_SUBSCRIBERS_PAGE);
    return reply(
        system(caller, cid)
            .thenApply(
                found -> {
                  List<String> all = found.members();
                  int from =
                      after.filter(id -> !id.isEmpty()).map(id -> all.indexOf(id) + 1).orElse(0);
                  ArrayNode page = JSON.createArrayNode();
                  all.subList(Math.min(from, all.size()), Math.min(all.size(), from + pageSize))
                      .forEach(
                          subscriber -> {
                            ObjectNode row = page.addObject();
                            row.put("subscriber", subscriber).put("conv_id", cid);
                          });
                  return page;
                }));
  }
}
