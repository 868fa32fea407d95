package io.parley.node.conversation;

import com.typesafe.config.Config;
import io.parley.node.serialization.CborSerializable;
import java.time.Duration;

/** Conversation limits (PROTOCOL.md §17), from {@code parley.conversation}. */
public record ConversationLimits(
    int maxMembers,
    int maxTemporaryMembers,
    Duration defaultTemporaryTtl,
    Duration maxTemporaryTtl,
    int defaultQueryLimit,
    int maxQueryLimit,
    int maxQueryCandidates)
    implements CborSerializable {

  public static final ConversationLimits DEFAULT =
      new ConversationLimits(500, 10, Duration.ofDays(1), Duration.ofDays(30), 10, 1000, 1000);

  public static ConversationLimits fromConfig(Config conversation) {
    return new ConversationLimits(
        conversation.getInt("max-members"),
        conversation.getInt("max-temporary-members"),
        conversation.getDuration("default-temporary-ttl"),
        conversation.getDuration("max-temporary-ttl"),
        conversation.getInt("default-query-limit"),
        conversation.getInt("max-query-limit"),
        conversation.getInt("max-query-candidates"));
  }
}
