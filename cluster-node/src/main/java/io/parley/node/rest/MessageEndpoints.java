package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.HistoryReader;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.message.HistoryQuery;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Messages through the REST API (REST-AND-HOOKS §3.1, §3.2, §3.6, §5.3): send as any client, edit,
 * recall, history by conversation, by client and app-wide, and the legacy {@code /1.1/rtm/messages}
 * and {@code /1.1/rtm/broadcast} that LeanCloud's storage SDK calls for {@code
 * AV.Conversation#send} and {@code #broadcast}. A send is the conversation's own send path ({@link
 * Conversation.Post}): stored before it is answered, then the same pushes, offline queues and
 * unread counts as a client's {@code direct}. Sends, edits and recalls count against the app's
 * message budget, broadcasts against its broadcast budget.
 */
public final class MessageEndpoints extends RestEndpoints {

  /** Mentioned clients one message may name (LeanCloud: 20). */
  private static final int MAX_MENTIONS = 20;

  /** Recipients of one per-user service message (LeanCloud: 20). */
  static final int MAX_RECIPIENTS = 20;

  private static final int DEFAULT_HISTORY = 100;
  private static final Set<String> PRIORITIES = Set.of("high", "normal", "low");

  private final Conversations conversations;
  private final ConversationFinder finder;
  private final HistoryReader history;
  private final ConversationIndex index;
  private final RestLimiter limiter;
  private final int maxHistory;
  private final int maxConversations;

  public MessageEndpoints(
      Conversations conversations,
      ConversationFinder finder,
      HistoryReader history,
      ConversationIndex index,
      RestLimiter limiter,
      int maxHistory,
      int maxConversations) {
    this.conversations = conversations;
    this.finder = finder;
    this.history = history;
    this.index = index;
    this.limiter = limiter;
    this.maxHistory = maxHistory;
    this.maxConversations = maxConversations;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        pathPrefix(
            rtm("conversations").slash(PathMatchers.segment()).slash("messages"),
            cid -> conversation(caller, cid, true)),
        pathPrefix(
            rtm("chatrooms").slash(PathMatchers.segment()).slash("messages"),
            cid -> conversation(caller, cid, false)),
        path(
            rtm("messages"),
            () ->
                concat(
                    get(() -> historyRoute(query -> appWide(caller.requireMaster(), query))),
                    post(() -> jsonBody(body -> legacySend(caller.requireMaster(), body))))),
        path(
            rtm("messages", "history"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "convid",
                            cid ->
                                parameterOptional(
                                    "from",
                                    from ->
                                        historyRoute(
                                            query ->
                                                cid.isPresent()
                                                    ? byConversation(
                                                        caller.requireMaster(), cid.get(), query)
                                                    : from.isPresent()
                                                        ? byClient(
                                                            caller.requireMaster(),
                                                            from.get(),
                                                            query)
                                                        : appWide(
                                                            caller.requireMaster(), query)))))),
        path(
            rtm("clients").slash(PathMatchers.segment()).slash("messages"),
            clientId ->
                get(
                    () ->
                        historyRoute(query -> byClient(caller.requireMaster(), clientId, query)))));
  }

  private Route conversation(Caller caller, String cid, boolean sync) {
    return concat(
        pathEndOrSingleSlash(
            () ->
                concat(
                    postJson(
                        body ->
                            send(
                                caller.requireMaster(),
                                cid,
                                requiredText(body, "from_client"),
                                body,
                                false,
                                sync)),
                    get(
                        () ->
                            historyRoute(
                                query -> byConversation(caller.requireMaster(), cid, query))))),
        path(
            PathMatchers.segment(),
            messageId ->
                concat(
                    put(
                        () ->
                            jsonBody(
                                body ->
                                    patch(caller.requireMaster(), cid, messageId, body, false))),
                    delete(
                        () ->
                            parameterOptional(
                                "timestamp",
                                timestamp ->
                                    deleteMessage(
                                        caller.requireMaster(), cid, messageId, timestamp))))),
        path(
            PathMatchers.segment().slash("recall"),
            messageId ->
                put(
                    () ->
                        jsonBody(
                            body -> patch(caller.requireMaster(), cid, messageId, body, true)))));
  }

  // ------------------------------------------------------------------------------------------------- send

  /**
   * {@code POST .../messages}: {@code from_client}, {@code message} (required), {@code transient},
   * {@code no_sync}, {@code push_data}, {@code priority}, {@code mention_all}, {@code
   * mention_client_ids}; answers {@code msg-id} and {@code timestamp} once stored. A chatroom never
   * syncs to the sender.
   */
  private CompletionStage<JsonNode> send(
      Caller caller,
      String cid,
      String from,
      ObjectNode body,
      boolean transientByDefault,
      boolean syncable) {
    Conversation.MessageDraft draft =
        draft(body, optionalBoolean(body, "transient").orElse(transientByDefault));
    boolean sync = syncable && !optionalBoolean(body, "no_sync").orElse(false);
    limiter.acquire(caller.app(), RestLimiter.Budget.MESSAGES);
    return post(caller, cid, from, draft, sync);
  }

  /**
   * {@code POST /1.1/rtm/messages}: {@code from_peer}, {@code conv_id}, {@code message}; transient
   * by default. Translated to the v1.2 send, or with {@code to_peers} to the per-user send.
   */
  private Route legacySend(Caller caller, ObjectNode body) {
    String from = requiredText(body, "from_peer");
    String cid = requiredText(body, "conv_id");
    if (body.has("to_peers")) {
      // a per-user message of a system conversation: the v1.2 handler
      return reply(
          perUser(caller, cid, from, clientIds(body, "to_peers", MAX_RECIPIENTS), body, true));
    }
    return reply(send(caller, cid, from, body, true, true));
  }

  /**
   * A per-user message of service conversation {@code cid} ({@code POST
   * /1.2/rtm/service-conversations/{id}/messages}, and {@code /1.1/rtm/messages} with {@code
   * to_peers}): {@code message}, {@code transient} (default {@code transientByDefault}), {@code
   * no_sync}, {@code push_data}, {@code priority}; stored with its recipients through the
   * conversation before the answer, delivered to them alone (online now, or at their next login).
   * Counted against the message budget (§3.7).
   */
  CompletionStage<JsonNode> perUser(
      Caller caller,
      String cid,
      String from,
      List<String> toClients,
      ObjectNode body,
      boolean transientByDefault) {
    if (toClients.isEmpty()) {
      throw RestError.badParameter("to_clients must name 1 to " + MAX_RECIPIENTS + " clients");
    }
    Conversation.MessageDraft draft =
        draft(body, optionalBoolean(body, "transient").orElse(transientByDefault));
    boolean sync = !optionalBoolean(body, "no_sync").orElse(false);
    return postToService(
        caller,
        cid,
        RestLimiter.Budget.MESSAGES,
        replyTo -> new Conversation.Post(from, draft, sync, replyTo, toClients, 0));
  }

  /**
   * {@code GET .../subscribers/{client_id}/messages}: the client's thread of service conversation
   * {@code cid} (the broadcasts and its own per-user messages), paged as the other history.
   */
  Route thread(Caller caller, String cid, String clientId) {
    return historyRoute(
        query ->
            reply(
                system(caller, cid)
                    .thenCompose(found -> page(caller, cid, query.seenBy(clientId)))
                    .thenApply(messages -> records(cid, messages, query))));
  }

  /**
   * {@code DELETE .../subscribers/{client_id}/messages/{mid}?timestamp=}: deletes a per-user
   * message that names the client, server side only; a message the client does not see is refused
   * with 404 / 4404, a broadcast with 400 / 4313. A message sent to several clients is one stored
   * message: it goes for all of them.
   */
  Route deletePerUser(
      Caller caller,
      String cid,
      String clientId,
      String messageId,
      java.util.Optional<String> timestamp) {
    if (timestamp.isEmpty()) {
      throw RestError.badParameter("timestamp is required (the message's timestamp in ms)");
    }
    long at = longParameter(timestamp, "timestamp", 0);
    HistoryQuery exactly =
        new HistoryQuery(at, messageId, true, at, messageId, true, true, 1, null);
    return reply(
        system(caller, cid)
            .thenCompose(found -> page(caller, cid, exactly))
            .thenCompose(
                found -> {
                  StoredMessage message =
                      found.stream()
                          .filter(m -> m.visibleTo(clientId))
                          .findFirst()
                          .orElseThrow(
                              () ->
                                  RestError.refused(
                                      ErrorCode.MESSAGE_NOT_FOUND,
                                      "No message " + messageId + " for " + clientId + "."));
                  if (message.toClients().isEmpty()) {
                    throw RestError.refused(
                        ErrorCode.SYSTEM_CONVERSATION_REQUIRED,
                        "Message " + messageId + " is a broadcast, not a per-user message.");
                  }
                  return conversations.ask(
                      caller.appId(),
                      cid,
                      replyTo -> new Conversation.DeleteMessage(messageId, at, replyTo));
                })
            .thenApply(
                reply -> {
                  ConversationEndpoints.accepted(reply);
                  return JSON.createObjectNode();
                }));
  }

  /** The service conversation {@code cid}: 404 / 4303 when none, 400 / 4313 when another kind. */
  CompletionStage<Conversation.Snapshot> system(Caller caller, String cid) {
    return ConversationEndpoints.existing(finder, caller, cid)
        .thenApply(
            found -> {
              if (found.kind() != Kind.SYSTEM) {
                throw RestError.refused(
                    ErrorCode.SYSTEM_CONVERSATION_REQUIRED,
                    "Conversation " + cid + " is not a service conversation (sys: true).");
              }
              return found;
            });
  }

  private static JsonNode sent(Conversation.Reply reply) {
    Conversation.Sent sent = (Conversation.Sent) ConversationEndpoints.accepted(reply);
    return JSON.createObjectNode()
        .put("msg-id", sent.messageId())
        .put("timestamp", sent.timestamp());
  }

  /**
   * A broadcast of {@code message} (and {@code push}) from {@code from} to every subscriber of
   * system conversation {@code cid}; also {@code POST
   * /1.2/rtm/service-conversations/{id}/broadcasts} and the global broadcasts ({@link
   * ServiceConversationEndpoints}), counted against {@code budget}; {@code validTill}: when it is
   * no longer delivered to who has not received it (ms, 0: never).
   */
  CompletionStage<JsonNode> broadcast(
      Caller caller,
      String cid,
      String from,
      ObjectNode body,
      RestLimiter.Budget budget,
      long validTill) {
    Conversation.MessageDraft draft =
        new Conversation.MessageDraft(
            message(body),
            false,
            List.of(),
            false,
            false,
            false,
            false,
            null,
            pushData(body, "push"));
    return postToService(
        caller,
        cid,
        budget,
        replyTo -> new Conversation.Post(from, draft, false, replyTo, List.of(), validTill));
  }

  /**
   * Counts against {@code budget}, then posts to service conversation {@code cid} (refused with
   * 4303 / 4313 when it is none); answers the sent message's id and timestamp.
   */
  private CompletionStage<JsonNode> postToService(
      Caller caller,
      String cid,
      RestLimiter.Budget budget,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> post) {
    limiter.acquire(caller.app(), budget);
    return system(caller, cid)
        .thenCompose(found -> conversations.ask(caller.appId(), cid, post))
        .thenApply(MessageEndpoints::sent);
  }

  private CompletionStage<JsonNode> post(
      Caller caller, String cid, String from, Conversation.MessageDraft draft, boolean sync) {
    return conversations
        .ask(caller.appId(), cid, replyTo -> new Conversation.Post(from, draft, sync, replyTo))
        .thenApply(MessageEndpoints::sent);
  }

  private static Conversation.MessageDraft draft(ObjectNode body, boolean transientMessage) {
    optionalText(body, "priority")
        .ifPresent(
            priority -> {
              if (!PRIORITIES.contains(priority.toLowerCase(Locale.ROOT))) {
                throw RestError.badParameter("priority must be high, normal or low");
              }
            });
    List<String> mentions =
        body.has("mention_client_ids")
            ? clientIds(body, "mention_client_ids", MAX_MENTIONS)
            : List.of();
    return new Conversation.MessageDraft(
        message(body),
        false,
        mentions,
        optionalBoolean(body, "mention_all").orElse(false),
        false,
        transientMessage,
        false,
        null,
        pushData(body, "push_data"));
  }

  /**
   * {@code message}: a string (typed messages are JSON text), or a JSON object sent as its text.
   */
  static String message(ObjectNode body) {
    JsonNode message = body.get("message");
    if (message != null && message.isObject()) {
      return message.toString();
    }
    return requiredText(body, "message");
  }

  private static String pushData(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual() && !value.isObject()) {
      throw RestError.badParameter(field + " must be a string or a JSON object");
    }
    return value.isTextual() ? value.textValue() : value.toString();
  }

  // -------------------------------------------------------------------------------------- edit and
  // recall

  /**
   * {@code PUT .../messages/{id}} ({@code from_client}, {@code message}, {@code timestamp}) and
   * {@code .../recall}.
   */
  Route patch(Caller caller, String cid, String messageId, ObjectNode body, boolean recall) {
    String from = requiredText(body, "from_client");
    long timestamp = requiredTimestamp(body, "timestamp");
    String data = recall ? "" : message(body);
    return reply(edit(caller, cid, messageId, from, timestamp, recall, data));
  }

  /**
   * Edits ({@code data}) or recalls the message {@code messageId} sent at {@code timestamp} by
   * {@code from}, as its sender's {@code patch/modify}; counts against the message budget. Also the
   * legacy {@code /1.1/rtm/patch/message} and {@code PUT /1.1/rtm/messages/logs} ({@link
   * LegacyRtmEndpoints}).
   */
  CompletionStage<JsonNode> edit(
      Caller caller,
      String cid,
      String messageId,
      String from,
      long timestamp,
      boolean recall,
      String data) {
    limiter.acquire(caller.app(), RestLimiter.Budget.MESSAGES);
    return conversations
        .ask(
            caller.appId(),
            cid,
            replyTo ->
                new Conversation.PatchMessage(
                    from, messageId, timestamp, recall, data, false, List.of(), false, null,
                    replyTo))
        .thenApply(
            reply -> {
              ConversationEndpoints.accepted(reply);
              return JSON.createObjectNode();
            });
  }

  /**
   * {@code DELETE .../messages/{id}?timestamp=} (and {@code from_client}): removes the stored
   * message, server side only (no push), as LeanCloud; answers {@code {}}.
   */
  private Route deleteMessage(
      Caller caller, String cid, String messageId, java.util.Optional<String> timestamp) {
    if (timestamp.isEmpty()) {
      throw RestError.badParameter("timestamp is required (the message's timestamp in ms)");
    }
    return reply(deleteStored(caller, cid, messageId, longParameter(timestamp, "timestamp", 0)));
  }

  /**
   * Removes the stored message {@code messageId} sent at {@code at}, server side only; answers
   * {@code {}}. Also the legacy {@code DELETE /1.1/rtm/messages/logs} ({@link LegacyRtmEndpoints}).
   */
  CompletionStage<JsonNode> deleteStored(Caller caller, String cid, String messageId, long at) {
    return conversations
        .ask(caller.appId(), cid, replyTo -> new Conversation.DeleteMessage(messageId, at, replyTo))
        .thenApply(
            reply -> {
              ConversationEndpoints.accepted(reply);
              return JSON.createObjectNode();
            });
  }

  // ----------------------------------------------------------------------------------------------
  // history

  /**
   * The paging parameters of §5.3: {@code msgid}+{@code timestamp} where to start (exclusive unless
   * {@code include_start}), {@code till_msgid}+{@code till_timestamp} where to stop ({@code
   * include_stop}), {@code reversed} (oldest first), {@code limit} (default 100, at most 1000).
   */
  Route historyRoute(Function<HistoryQuery, Route> inner) {
    return withParameters(parameters -> inner.apply(history(parameters)));
  }

  private HistoryQuery history(Parameters parameters) {
    boolean oldestFirst = flag(parameters, "reversed");
    int size = intParameter(parameters.optional("limit"), "limit", DEFAULT_HISTORY, 0, maxHistory);
    long start =
        longParameter(
            parameters.optional("timestamp"),
            "timestamp",
            oldestFirst ? Long.MIN_VALUE : Long.MAX_VALUE);
    long end =
        longParameter(
            parameters.optional("till_timestamp"),
            "till_timestamp",
            oldestFirst ? Long.MAX_VALUE : Long.MIN_VALUE);
    return new HistoryQuery(
        start,
        parameters.optional("msgid").orElse(null),
        flag(parameters, "include_start"),
        end,
        parameters.optional("till_msgid").orElse(null),
        flag(parameters, "include_stop"),
        !oldestFirst,
        size,
        null);
  }

  /** A {@code true}/{@code false} parameter; absent (or anything else) is false. */
  private static boolean flag(Parameters parameters, String name) {
    return parameters.optional(name).map(Boolean::parseBoolean).orElse(false);
  }

  private Route byConversation(Caller caller, String cid, HistoryQuery query) {
    return reply(page(caller, cid, query).thenApply(messages -> records(cid, messages, query)));
  }

  /**
   * {@code GET /1.2/rtm/clients/{id}/messages}: what the client sent, in the conversations it is
   * in.
   */
  private Route byClient(Caller caller, String clientId, HistoryQuery query) {
    return reply(
        Futures.direct(index.conversationsOf(caller.appId(), clientId, maxConversations))
            .thenCompose(
                cids -> merged(caller, cids, query, message -> message.from().equals(clientId))));
  }

  /** {@code GET /1.2/rtm/messages}: every conversation of the app, newest conversations first. */
  private Route appWide(Caller caller, HistoryQuery query) {
    return reply(
        Futures.direct(index.recentConversations(caller.appId(), maxConversations))
            .thenCompose(cids -> merged(caller, cids, query, message -> true)));
  }

  /** One page from each conversation, merged into one page in the asked order. */
  private CompletionStage<JsonNode> merged(
      Caller caller,
      List<String> cids,
      HistoryQuery query,
      java.util.function.Predicate<StoredMessage> keep) {
    record Found(String cid, StoredMessage message) {}
    List<CompletableFuture<List<Found>>> pages =
        cids.stream()
            .map(
                cid ->
                    page(caller, cid, query)
                        .toCompletableFuture()
                        .thenApply(
                            messages ->
                                messages.stream().filter(keep).map(m -> new Found(cid, m)).toList())
                        .exceptionally(notReadable -> List.of()))
            .toList();
    return CompletableFuture.allOf(pages.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Comparator<Found> order =
                  Comparator.comparingLong((Found found) -> found.message().timestamp())
                      .thenComparing(found -> found.message().id());
              List<Found> all =
                  pages.stream()
                      .flatMap(page -> page.join().stream())
                      .sorted(query.newestFirst() ? order.reversed() : order)
                      .limit(query.limit())
                      .toList();
              ArrayNode records = JSON.createArrayNode();
              all.forEach(found -> records.add(record(found.cid(), found.message())));
              return records;
            });
  }

  /** A page of one conversation (the app server may read any), oldest first. */
  private CompletionStage<List<StoredMessage>> page(Caller caller, String cid, HistoryQuery query) {
    return history
        .read(caller.appId(), Conversation.SERVER, cid, query)
        .thenApply(
            result -> {
              if (result instanceof HistoryReader.Refused refused) {
                throw RestError.refused(refused.code(), refused.detail());
              }
              return ((HistoryReader.Page) result).messages();
            });
  }

  /** The page as a JSON array of §5.3 records, newest first unless {@code reversed}. */
  private static JsonNode records(String cid, List<StoredMessage> messages, HistoryQuery query) {
    List<StoredMessage> ordered = new ArrayList<>(messages);
    ordered.sort(
        Comparator.comparingLong(StoredMessage::timestamp).thenComparing(StoredMessage::id));
    if (query.newestFirst()) {
      java.util.Collections.reverse(ordered);
    }
    ArrayNode records = JSON.createArrayNode();
    ordered.forEach(message -> records.add(record(cid, message)));
    return records;
  }

  /**
   * One history record (§5.3): {@code msg-id}, {@code conv-id}, {@code from}, {@code timestamp},
   * {@code data}...
   */
  static ObjectNode record(String cid, StoredMessage message) {
    ObjectNode record = JSON.createObjectNode();
    record.put("msg-id", message.id());
    record.put("conv-id", cid);
    record.put("from", message.from());
    record.put("timestamp", message.timestamp());
    record.put("data", message.data());
    record.put("bin", message.binary());
    record.put("to", cid);
    record.put("is-conv", true);
    record.put("is-room", false);
    if (message.mentionAll()) {
      record.put("mention-all", true);
    }
    if (!message.mentionPids().isEmpty()) {
      ArrayNode mentions = record.putArray("mention-pids");
      message.mentionPids().forEach(mentions::add);
    }
    if (message.patchTimestamp() > 0) {
      record.put("patch-timestamp", message.patchTimestamp());
    }
    if (message.recalled()) {
      record.put("recall", true);
    }
    return record;
  }
}
