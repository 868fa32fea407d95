package io.parley.node.conversation;

import com.typesafe.config.Config;
import io.parley.node.serialization.CborSerializable;
import java.time.Duration;

/** Conversation limits (docs/protocol.md §17) and features, from {@code parley.conversation}. */
public record ConversationSettings(
    boolean memberRoles,
    boolean blacklist,
    int maxMembers,
    int maxTemporaryMembers,
    Duration defaultTemporaryTtl,
    Duration maxTemporaryTtl,
    int defaultQueryLimit,
    int maxQueryLimit,
    int maxQueryCandidates,
    int maxShutup,
    int maxBlacklist,
    int maxMessageSize,
    int offlineMessagesPerConversation,
    int offlineConversations,
    int maxChatroomOnline,
    int maxAttributesSize,
    long maxQuerySteps)
    implements CborSerializable {

  public static final ConversationSettings DEFAULT =
      new ConversationSettings(
          true,
          true,
          500,
          10,
          Duration.ofDays(1),
          Duration.ofDays(30),
          10,
          1000,
          1000,
          500,
          500,
          5120,
          20,
          50,
          5000,
          16 * 1024,
          2_000_000);

  /**
   * The settings before attribute and query-cost limits, for callers that do not care about them.
   */
  public ConversationSettings(
      boolean memberRoles,
      boolean blacklist,
      int maxMembers,
      int maxTemporaryMembers,
      Duration defaultTemporaryTtl,
      Duration maxTemporaryTtl,
      int defaultQueryLimit,
      int maxQueryLimit,
      int maxQueryCandidates,
      int maxShutup,
      int maxBlacklist,
      int maxMessageSize,
      int offlineMessagesPerConversation,
      int offlineConversations,
      int maxChatroomOnline) {
    this(
        memberRoles,
        blacklist,
        maxMembers,
        maxTemporaryMembers,
        defaultTemporaryTtl,
        maxTemporaryTtl,
        defaultQueryLimit,
        maxQueryLimit,
        maxQueryCandidates,
        maxShutup,
        maxBlacklist,
        maxMessageSize,
        offlineMessagesPerConversation,
        offlineConversations,
        maxChatroomOnline,
        DEFAULT.maxAttributesSize(),
        DEFAULT.maxQuerySteps());
  }

  public ConversationSettings withMemberRoles(boolean enabled) {
    return new ConversationSettings(
        enabled,
        blacklist,
        maxMembers,
        maxTemporaryMembers,
        defaultTemporaryTtl,
        maxTemporaryTtl,
        defaultQueryLimit,
        maxQueryLimit,
        maxQueryCandidates,
        maxShutup,
        maxBlacklist,
        maxMessageSize,
        offlineMessagesPerConversation,
        offlineConversations,
        maxChatroomOnline,
        maxAttributesSize,
        maxQuerySteps);
  }

  public static ConversationSettings fromConfig(Config conversation) {
    return new ConversationSettings(
        conversation.getBoolean("member-roles"),
        conversation.getBoolean("blacklist"),
        conversation.getInt("max-members"),
        conversation.getInt("max-temporary-members"),
        conversation.getDuration("default-temporary-ttl"),
        conversation.getDuration("max-temporary-ttl"),
        conversation.getInt("default-query-limit"),
        conversation.getInt("max-query-limit"),
        conversation.getInt("max-query-candidates"),
        conversation.getInt("max-shutup"),
        conversation.getInt("max-blacklist"),
        (int) conversation.getBytes("max-message-size").longValue(),
        conversation.getInt("offline-messages-per-conversation"),
        conversation.getInt("offline-conversations"),
        conversation.getInt("max-chatroom-online"),
        (int) conversation.getBytes("max-attributes-size").longValue(),
        conversation.getLong("max-query-steps"));
  }
}
