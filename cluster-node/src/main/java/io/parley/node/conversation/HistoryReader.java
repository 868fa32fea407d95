package io.parley.node.conversation;

import io.parley.node.concurrent.Futures;
import io.parley.node.message.HistoryQuery;
import io.parley.node.message.MessageStore;
import io.parley.node.message.StoredMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The read side of history (docs/protocol.md §6.15), shared by every edge: one ask to the
 * conversation, which checks that the reader may read it (members only; chatrooms: who has joined)
 * and, in a conversation of two, says how far the other member has received and read; then one page
 * from the message table (of a service conversation, only the messages the reader may see: the
 * broadcasts and its own per-user messages). History is never read by replaying a conversation's
 * journal.
 */
public final class HistoryReader {

  /** What a read gives: a page, or the conversation's refusal. */
  public sealed interface Result {}

  /**
   * A page of history, oldest first, and the other member's positions in a conversation of two (or
   * null).
   */
  public record Page(List<StoredMessage> messages, Conversation.Position other) implements Result {}

  /** Not found, expired, or not a member: the LeanCloud code and why. */
  public record Refused(int code, String detail) implements Result {}

  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final MessageStore store;
  private final Duration askTimeout;

  public HistoryReader(
      Function<String, EntityRef<Conversation.Command>> entities,
      MessageStore store,
      Duration askTimeout) {
    this.entities = entities;
    this.store = store;
    this.askTimeout = askTimeout;
  }

  public CompletionStage<Result> read(String appId, String reader, String cid, HistoryQuery query) {
    return Futures.direct(
            entities
                .apply(ConversationIds.entityId(appId, cid))
                .<Conversation.Reply>ask(
                    replyTo -> new Conversation.OpenHistory(reader, replyTo), askTimeout))
        .thenCompose(
            reply -> {
              if (reply instanceof Conversation.Rejected rejected) {
                return CompletableFuture.completedFuture(
                    new Refused(rejected.code(), rejected.detail()));
              }
              Conversation.HistoryOpened opened = (Conversation.HistoryOpened) reply;
              HistoryQuery seen =
                  opened.perUser() && !Conversation.SERVER.equals(reader)
                      ? query.seenBy(reader)
                      : query;
              return (opened.chatroom() ? store.chatroom() : store)
                  .page(appId, cid, seen, opened.createdAt())
                  .thenApply(messages -> (Result) new Page(messages, opened.other()));
            });
  }
}
