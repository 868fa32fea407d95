package io.parley.node.message;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** Where a conversation's messages are durably kept; {@link MessageStore} in production. */
public interface MessageArchive {

  /**
   * The archive of chatrooms (partitioned by day instead of month, review M11); the same methods.
   */
  MessageArchive chatroom();

  /** Completes once every message is durable. */
  CompletionStage<Done> write(String appId, String cid, List<StoredMessage> messages);

  /**
   * The newest {@code limit} messages of a conversation created at {@code createdAt}, oldest first.
   */
  CompletionStage<List<StoredMessage>> recent(String appId, String cid, int limit, long createdAt);

  /**
   * The ids and timestamps (no payloads) of the newest {@code limit} messages, in the current and
   * the previous month: what a resend is recognised by after the conversation restarted
   * (docs/protocol.md §7.10).
   */
  CompletionStage<java.util.Map<String, Long>> recentIds(
      String appId, String cid, int limit, long createdAt);

  CompletionStage<Optional<StoredMessage>> find(
      String appId, String cid, long timestamp, String id);

  CompletionStage<Done> update(String appId, String cid, StoredMessage message);

  /**
   * Removes the message {@code id} sent at {@code timestamp}; completes when durable (also when
   * there was none).
   */
  CompletionStage<Done> delete(String appId, String cid, long timestamp, String id);
}
