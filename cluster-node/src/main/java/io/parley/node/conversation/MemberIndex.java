package io.parley.node.conversation;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The port through which a {@link Conversation} keeps the per-member conversation index up to date
 * ({@link ConversationIndex} in production): written on every change of membership and re-asserted
 * after recovery, so that a client's conversation queries see the change.
 */
public interface MemberIndex {
  /**
   * Records the members (and the removed) of a conversation; idempotent; completes when written.
   */
  CompletionStage<Done> record(
      String appId, Conversation.Snapshot conversation, List<String> removed);

  /**
   * Deletes the row of {@code clientId}, who is not a member: a stale row left by a delete that was
   * lost.
   */
  default CompletionStage<Done> forget(
      String appId, Conversation.Snapshot conversation, String clientId) {
    return record(appId, conversation, List.of(clientId));
  }

  /** An index that keeps nothing (tests of the entity alone). */
  MemberIndex NONE =
      (appId, conversation, removed) -> CompletableFuture.completedFuture(Done.getInstance());
}
