package io.parley.node.settings;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * What is kept in Cassandra and in memory, and for how long ({@code parley.storage}, storage.conf):
 * journal snapshots and retention, how often positions are persisted, resident entities, member
 * index retries.
 */
public record Storage(
    int snapshotEvery,
    int keepSnapshots,
    boolean deleteEventsOnSnapshot,
    Duration positionFlushInterval,
    Duration conversationIdleTimeout,
    int maxResidentConversations,
    Duration presenceIdleTimeout,
    int maxResidentPresences,
    int indexWriteAttempts,
    Duration indexRetryBackoff,
    Duration indexRetryMaxBackoff,
    int indexMaxPendingRetries,
    Duration indexActivityInterval,
    int memberConversationsScanned,
    Duration messageRetention) {

  static Storage fromConfig(Config storage) {
    Storage parsed =
        new Storage(
            storage.getInt("snapshot-every"),
            storage.getInt("keep-snapshots"),
            storage.getBoolean("delete-events-on-snapshot"),
            storage.getDuration("position-flush-interval"),
            storage.getDuration("conversation-idle-timeout"),
            storage.getInt("max-resident-conversations"),
            storage.getDuration("presence-idle-timeout"),
            storage.getInt("max-resident-presences"),
            storage.getInt("index-write-attempts"),
            storage.getDuration("index-retry-backoff"),
            storage.getDuration("index-retry-max-backoff"),
            storage.getInt("index-max-pending-retries"),
            storage.getDuration("index-activity-interval"),
            storage.getInt("member-conversations-scanned"),
            storage.getDuration("message-retention"));
    if (parsed.snapshotEvery() < 0
        || parsed.keepSnapshots() < 1
        || parsed.maxResidentConversations() < 1
        || parsed.maxResidentPresences() < 1
        || parsed.indexWriteAttempts() < 1
        || parsed.indexMaxPendingRetries() < 0
        || parsed.memberConversationsScanned() < 1
        || parsed.messageRetention().isNegative()
        || parsed.indexActivityInterval().isNegative()
        || parsed.positionFlushInterval().isNegative()
        || parsed.positionFlushInterval().isZero()) {
      throw new IllegalArgumentException(
          "parley.storage: counts must be positive (snapshot-every may be 0) and "
              + "position-flush-interval above 0: "
              + parsed);
    }
    return parsed;
  }
}
