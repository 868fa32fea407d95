package io.parley.node.conversation;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.protocol.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The conversation entities as every edge reaches them (the sessions' {@code conv/*} and the REST
 * API): one ask per call, and the start of a conversation (§6.1) with its id rules, so that a
 * client's {@code conv/start} and a REST create are one implementation.
 */
public final class Conversations {

  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final Duration askTimeout;

  public Conversations(
      Function<String, EntityRef<Conversation.Command>> entities, Duration askTimeout) {
    this.entities = entities;
    this.askTimeout = askTimeout;
  }

  /** One ask to conversation {@code cid} of {@code appId}. */
  public CompletionStage<Conversation.Reply> ask(
      String appId,
      String cid,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> message) {
    return Futures.direct(
        entities.apply(ConversationIds.entityId(appId, cid)).ask(message::apply, askTimeout));
  }

  /**
   * The same question to each conversation of {@code cids} at once: the answers in the order of
   * {@code cids}, {@code null} for one that failed or did not answer in time, so that one slow or
   * lost conversation never fails the others.
   */
  public CompletionStage<List<Conversation.Reply>> askAll(
      String appId,
      List<String> cids,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> message) {
    List<CompletableFuture<Conversation.Reply>> answers =
        cids.stream()
            .map(
                cid ->
                    ask(appId, cid, message)
                        .toCompletableFuture()
                        .handle((reply, failure) -> failure == null ? reply : null))
            .toList();
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(done -> answers.stream().map(CompletableFuture::join).toList());
  }

  /** One message to conversation {@code cid} of {@code appId}, no answer. */
  public void tell(String appId, String cid, Conversation.Command message) {
    entities.apply(ConversationIds.entityId(appId, cid)).tell(message);
  }

  /**
   * Starts a conversation (§6.1): a new id, or for {@code unique} the id derived from the member
   * set (the creator included), so that two starts of the same set reach one entity. Answers {@link
   * Conversation.Created} or {@link Conversation.Rejected}. {@code ttlSeconds} only counts for a
   * temporary conversation.
   */
  public CompletionStage<Conversation.Reply> start(
      String appId,
      byte[] uniqueIdKey,
      String creator,
      List<String> members,
      String attributesJson,
      Kind kind,
      boolean unique,
      long ttlSeconds,
      Instant now) {
    boolean isUnique = (kind == Kind.NORMAL || kind == Kind.TEMPORARY) && unique;
    String uniqueId = isUnique ? ConversationIds.uniqueId(uniqueIdKey, members) : null;
    String cid =
        !isUnique
            ? (kind == Kind.TEMPORARY
                ? ConversationIds.newTemporaryId(now)
                : ConversationIds.newId(now))
            : kind == Kind.TEMPORARY
                ? ConversationIds.uniqueTemporaryConversationId(uniqueId)
                : ConversationIds.uniqueConversationId(uniqueId);
    long expiresAt = kind == Kind.TEMPORARY ? now.toEpochMilli() + ttlSeconds * 1000 : 0;
    Function<ActorRef<Conversation.Reply>, Conversation.Command> start =
        replyTo ->
            new Conversation.Start(
                creator,
                members,
                attributesJson,
                kind,
                isUnique,
                uniqueId,
                expiresAt,
                now.toEpochMilli(),
                replyTo);
    return startAt(appId, cid, start, 3);
  }

  /**
   * Starts at {@code cid}; an expired unique temporary conversation moves the start on to the one
   * that replaces it (at most {@code hops} times: the first of the set, its successor, the first
   * again, a new successor).
   */
  private CompletionStage<Conversation.Reply> startAt(
      String appId,
      String cid,
      Function<ActorRef<Conversation.Reply>, Conversation.Command> start,
      int hops) {
    return ask(appId, cid, start)
        .thenCompose(
            reply -> {
              if (!(reply instanceof Conversation.Moved moved)) {
                return CompletableFuture.completedFuture(reply);
              }
              if (hops == 0) {
                return CompletableFuture.completedFuture(
                    new Conversation.Rejected(
                        ErrorCode.CONVERSATION_INTERNAL_ERROR,
                        "temporary conversation start did not settle"));
              }
              if (moved.stale() == null) {
                return startAt(appId, moved.cid(), start, hops - 1);
              }
              return ask(
                      appId,
                      moved.cid(),
                      replyTo -> new Conversation.Successor(moved.stale(), replyTo))
                  .thenCompose(
                      next ->
                          next instanceof Conversation.Moved successor
                              ? startAt(appId, successor.cid(), start, hops - 1)
                              : CompletableFuture.completedFuture(next));
            });
  }
}
