package io.parley.node.conversation.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.message.StoredMessage;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The read side of {@code conv/query} (docs/protocol.md §6.4), shared by every edge: it picks a
 * bounded candidate set, reads each candidate from its entity, and applies the condition, sort,
 * skip and limit to the result documents. Candidates are the ids in the condition, else the
 * conversations of the member the condition requires (the requester's when there is no condition),
 * else the app's newest conversations, at most {@code max-query-candidates} in every case.
 */
public final class ConversationFinder {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One page of results as LeanCloud documents, and how many candidates matched in all. */
  public record Found(
      List<ObjectNode> page, List<Conversation.Snapshot> conversations, int matching) {}

  private final Conversations conversations;
  private final ConversationIndex index;
  private final ConversationSettings limits;

  public ConversationFinder(
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationIndex index,
      ConversationSettings limits,
      Duration askTimeout) {
    this.conversations = new Conversations(entities, askTimeout);
    this.index = index;
    this.limits = limits;
  }

  /** The query's limits, for parsing a request into a {@link ConversationQuery}. */
  public QueryLimits queryLimits() {
    return new QueryLimits(limits.defaultQueryLimit(), limits.maxQueryLimit());
  }

  /**
   * Runs {@code query} for {@code requester} (null: the app server, REST); {@code page()} and
   * {@code conversations()} are parallel lists (temporary conversations are never results: they are
   * read by id, see {@link #byIds}).
   */
  public CompletionStage<Found> find(String appId, String requester, ConversationQuery query) {
    Optional<String> indexed = indexedMember(requester, query);
    return candidates(appId, requester, query)
        .thenCompose(ids -> byIds(appId, ids))
        .thenApply(
            found -> {
              List<ObjectNode> documents = new ArrayList<>();
              java.util.Map<ObjectNode, Conversation.Snapshot> byDocument =
                  new java.util.IdentityHashMap<>();
              for (Conversation.Snapshot conversation : found) {
                // The member index may still name a conversation the member has left (a lost
                // delete): the
                // conversation's own member list decides.
                boolean stale =
                    indexed.isPresent() && !conversation.members().contains(indexed.get());
                if (conversation.kind() != Kind.TEMPORARY && !stale) {
                  ObjectNode document = toResult(conversation, requester);
                  byDocument.put(document, conversation);
                  documents.add(document);
                }
              }
              // One budget for the whole query (max-query-steps): beyond it the query fails with
              // QueryBudget.Exceeded.
              ConversationQuery.Evaluated evaluated =
                  query.evaluate(documents, new QueryBudget(limits.maxQuerySteps()));
              List<ObjectNode> page = evaluated.page();
              return new Found(
                  page, page.stream().map(byDocument::get).toList(), evaluated.matching());
            });
  }

  /**
   * The conversations of {@code cids} that exist (unknown and malformed ids are left out). A
   * candidate that does not answer (in handoff, overloaded, timed out) is left out too: one bad
   * candidate never fails the query.
   */
  public CompletionStage<List<Conversation.Snapshot>> byIds(String appId, List<String> cids) {
    return conversations
        .askAll(
            appId, cids.stream().filter(ConversationIds::isValid).toList(), Conversation.Get::new)
        .thenApply(
            answers ->
                answers.stream()
                    .filter(Conversation.Accepted.class::isInstance)
                    .map(reply -> ((Conversation.Accepted) reply).conversation())
                    .toList());
  }

  /** The member whose index rows are the candidates, if they are. */
  private static Optional<String> indexedMember(String requester, ConversationQuery query) {
    if (query.objectIds().isPresent()) {
      return Optional.empty();
    }
    // The app server (requester null) without a member condition sees the app's newest
    // conversations.
    return query.hasCondition() || requester == null
        ? query.requiredMember()
        : Optional.of(requester);
  }

  /**
   * The roles of {@code cid}'s members ({@code _ConversationMemberInfo}): {@link
   * Conversation.Roles}, or the entity's {@link Conversation.Rejected} (not found, or {@code
   * reader} not a member; null reader: the master key).
   */
  public CompletionStage<Conversation.Reply> roles(String appId, String cid, String reader) {
    if (!ConversationIds.isValid(cid)) {
      return CompletableFuture.completedFuture(
          new Conversation.Rejected(ErrorCode.CONVERSATION_NOT_FOUND, "no conversation " + cid));
    }
    return conversations.ask(appId, cid, replyTo -> new Conversation.RolesOf(reader, replyTo));
  }

  /**
   * The clients online in chatroom {@code cid}: {@link Conversation.Counted}, or {@link
   * Conversation.Rejected} 4303 when it does not exist, 4316 when it is not a chatroom.
   */
  public CompletionStage<Conversation.Reply> onlineCount(String appId, String cid) {
    return inChatroom(appId, cid, Conversation.Count::new);
  }

  /**
   * A random sample of at most {@code limit} clients online in chatroom {@code cid}, on any node:
   * {@link Conversation.Listed}, or the refusals of {@link #onlineCount}.
   */
  public CompletionStage<Conversation.Reply> onlineSample(String appId, String cid, int limit) {
    return inChatroom(appId, cid, replyTo -> new Conversation.OnlineSample(limit, replyTo));
  }

  private CompletionStage<Conversation.Reply> inChatroom(
      String appId,
      String cid,
      Function<org.apache.pekko.actor.typed.ActorRef<Conversation.Reply>, Conversation.Command>
          question) {
    return byIds(appId, List.of(cid))
        .thenCompose(
            found -> {
              if (found.isEmpty()) {
                return CompletableFuture.completedFuture(
                    new Conversation.Rejected(
                        ErrorCode.CONVERSATION_NOT_FOUND, "no conversation " + cid));
              }
              if (found.get(0).kind() != Kind.TRANSIENT) {
                return CompletableFuture.completedFuture(
                    new Conversation.Rejected(
                        ErrorCode.TRANSIENT_CONVERSATION_REQUIRED, cid + " is not a chatroom"));
              }
              return conversations.ask(appId, cid, question);
            });
  }

  /**
   * The service conversations {@code clientId} subscribes to (REST-AND-HOOKS §3.4), in conversation
   * id order.
   */
  public CompletionStage<List<Conversation.Snapshot>> subscriptions(String appId, String clientId) {
    return index
        .conversationsOf(appId, clientId, limits.maxQueryCandidates())
        .thenCompose(cids -> byIds(appId, cids))
        .thenApply(
            found ->
                found.stream()
                    .filter(
                        conversation ->
                            conversation.kind() == Kind.SYSTEM
                                && conversation.members().contains(clientId))
                    .sorted(java.util.Comparator.comparing(Conversation.Snapshot::id))
                    .toList());
  }

  /**
   * How many messages {@code clientId} has not read, in all its conversations or only in {@code
   * cid} (0 when it is not a member there); counts as the {@code unread} notice at login does
   * (§8.4).
   */
  public CompletionStage<Integer> unreadCount(String appId, String clientId, Optional<String> cid) {
    return index
        .conversationsOf(appId, clientId, limits.maxQueryCandidates())
        .thenCompose(
            cids ->
                conversations.askAll(
                    appId,
                    cids.stream().filter(id -> cid.isEmpty() || cid.get().equals(id)).toList(),
                    replyTo -> new Conversation.UnreadOf(clientId, replyTo)))
        .thenApply(
            answers ->
                answers.stream()
                    .filter(Conversation.Unread.class::isInstance)
                    .mapToInt(reply -> ((Conversation.Unread) reply).count())
                    .sum());
  }

  private CompletionStage<List<String>> candidates(
      String appId, String requester, ConversationQuery query) {
    Optional<Set<String>> ids = query.objectIds();
    if (ids.isPresent()) {
      return CompletableFuture.completedFuture(List.copyOf(ids.get()));
    }
    Optional<String> member = indexedMember(requester, query);
    if (member.isPresent()) {
      return index.conversationsOf(appId, member.get(), limits.maxQueryCandidates());
    }
    return index.recentConversations(appId, limits.maxQueryCandidates());
  }

  /**
   * A query result document (§6.4): stored attributes at the top level, then the system columns.
   */
  public static ObjectNode toResult(Conversation.Snapshot conversation, String requester) {
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
    if (conversation.creator() != null && !conversation.creator().isEmpty()) {
      result.put("c", conversation.creator());
    }
    ArrayNode members = result.putArray("m");
    conversation.members().forEach(members::add);
    ArrayNode muted = result.putArray("mu");
    conversation.muted().forEach(muted::add);
    if (requester != null) {
      result.put("muted", conversation.muted().contains(requester));
    }
    result.put("tr", conversation.kind() == Kind.TRANSIENT);
    result.put("sys", conversation.kind() == Kind.SYSTEM);
    result.put("unique", conversation.unique());
    if (conversation.uniqueId() != null) {
      result.put("uniqueId", conversation.uniqueId());
    }
    result.put("createdAt", Instant.ofEpochMilli(conversation.createdAt()).toString());
    result.put("updatedAt", Instant.ofEpochMilli(conversation.updatedAt()).toString());
    if (conversation.lastMessage() != null && seesLastMessage(conversation, requester)) {
      ObjectNode lm = result.putObject("lm");
      lm.put("__type", "Date");
      lm.put("iso", Instant.ofEpochMilli(conversation.lastMessage().timestamp()).toString());
    }
    return result;
  }

  /**
   * Whether {@code requester} may see the last message ({@code lm}, {@code msg*}): members, and
   * anyone in a chatroom (whose history is public), and the app server ({@code requester} null:
   * REST with the master key). An outsider who learns an id learns nothing of what is said in it.
   */
  public static boolean seesLastMessage(Conversation.Snapshot conversation, String requester) {
    return requester == null
        || conversation.kind() == Kind.TRANSIENT
        || conversation.members().contains(requester);
  }

  /** With flag bit 1 (§6.4): the last message's fields, only when there is one. */
  public static void addLastMessage(ObjectNode result, Conversation.Snapshot conversation) {
    StoredMessage last = conversation.lastMessage();
    if (last == null) {
      return;
    }
    result.put("msg", last.data());
    result.put("msg_from", last.from());
    result.put("msg_mid", last.id());
    result.put("msg_timestamp", last.timestamp());
    if (last.patchTimestamp() > 0) {
      result.put("patch_timestamp", last.patchTimestamp());
    }
    result.put("bin", last.binary());
  }
}
