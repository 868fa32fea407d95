package io.parley.node.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * Conversation limits (docs/protocol.md §17) and features, from {@code parley.conversation}; part
 * of {@link NodeSettings}. Tests derive other values from the shipped config with {@link
 * #fromConfig} over overrides.
 */
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
    long maxQuerySteps) {

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

  /**
   * Reads {@code parley.conversation}; a count or size out of range fails at start with {@link
   * ConfigException.BadValue} naming its key.
   */
  public static ConversationSettings fromConfig(Config conversation) {
    return new ConversationSettings(
        conversation.getBoolean("member-roles"),
        conversation.getBoolean("blacklist"),
        atLeast(conversation, "max-members", 1),
        atLeast(conversation, "max-temporary-members", 1),
        conversation.getDuration("default-temporary-ttl"),
        conversation.getDuration("max-temporary-ttl"),
        atLeast(conversation, "default-query-limit", 1),
        atLeast(conversation, "max-query-limit", 1),
        atLeast(conversation, "max-query-candidates", 1),
        atLeast(conversation, "max-shutup", 0),
        atLeast(conversation, "max-blacklist", 0),
        bytes(conversation, "max-message-size"),
        atLeast(conversation, "offline-messages-per-conversation", 0),
        atLeast(conversation, "offline-conversations", 0),
        atLeast(conversation, "max-chatroom-online", 1),
        bytes(conversation, "max-attributes-size"),
        conversation.getLong("max-query-steps"));
  }

  private static int atLeast(Config config, String key, int min) {
    int value = config.getInt(key);
    if (value < min) {
      throw new ConfigException.BadValue(
          config.origin(), key, "must be at least " + min + ", not " + value);
    }
    return value;
  }

  private static int bytes(Config config, String key) {
    long value = config.getBytes(key);
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new ConfigException.BadValue(
          config.origin(), key, "must be between 1 byte and 2 GiB, not " + value);
    }
    return (int) value;
  }
}
