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
    long offlineTailBudgetBytes,
    Duration presenceIdleTimeout,
    int maxResidentPresences,
    int indexWriteAttempts,
    Duration indexRetryBackoff,
    Duration indexRetryMaxBackoff,
    int indexMaxPendingRetries,
    Duration indexActivityInterval,
    int memberConversationsScanned,
    MemberReads memberReads,
    Duration messageRetention,
    Buckets buckets,
    TemporaryPurge temporaryPurge) {

  /**
   * The job that deletes expired temporary conversations ({@code temporary-purge}): how often, how
   * long after expiry, how far back it looks, how many per run, deletes per second.
   */
  public record TemporaryPurge(
      Duration interval, Duration grace, Duration lookback, int maxPerRun, int deletesPerSecond) {
    static TemporaryPurge fromConfig(Config purge) {
      TemporaryPurge parsed =
          new TemporaryPurge(
              purge.getDuration("interval"),
              purge.getDuration("grace"),
              purge.getDuration("lookback"),
              purge.getInt("max-per-run"),
              purge.getInt("deletes-per-second"));
      if (parsed.interval().isNegative()
          || parsed.grace().isNegative()
          || parsed.lookback().compareTo(parsed.grace()) <= 0
          || parsed.maxPerRun() < 1
          || parsed.deletesPerSecond() < 1) {
        throw new IllegalArgumentException(
            "parley.storage.temporary-purge: interval and grace not negative, lookback above grace, "
                + "max-per-run and deletes-per-second positive: "
                + parsed);
      }
      return parsed;
    }
  }

  /**
   * How the member-index reads of concurrent logins are grouped ({@code member-index-reads}): at
   * most {@code clientsPerRead} clients per Cassandra request, at most {@code inFlight} requests
   * out at once.
   */
  public record MemberReads(int clientsPerRead, int inFlight) {
    static MemberReads fromConfig(Config reads) {
      MemberReads parsed =
          new MemberReads(reads.getInt("clients-per-read"), reads.getInt("in-flight"));
      if (parsed.clientsPerRead() < 1 || parsed.clientsPerRead() > 1000 || parsed.inFlight() < 1) {
        throw new IllegalArgumentException(
            "parley.storage.member-index-reads: clients-per-read must be 1..1000, in-flight positive: "
                + parsed);
      }
      return parsed;
    }
  }

  /**
   * How history and the app index are partitioned (review M11): chatroom history also read from
   * month partitions written before day buckets; {@code appIndexBuckets} partitions per app and
   * month of {@code conversations_by_app_bucket}; the unbucketed table also read.
   */
  public record Buckets(boolean chatroomLegacyMonths, int appIndexBuckets, boolean appIndexLegacy) {
    static Buckets fromConfig(Config storage) {
      Buckets parsed =
          new Buckets(
              storage.getBoolean("chatroom-legacy-month-buckets"),
              storage.getInt("app-index-buckets"),
              storage.getBoolean("app-index-legacy"));
      if (parsed.appIndexBuckets() < 1 || parsed.appIndexBuckets() > 1024) {
        throw new IllegalArgumentException(
            "parley.storage.app-index-buckets must be 1..1024: " + parsed.appIndexBuckets());
      }
      return parsed;
    }
  }

  static Storage fromConfig(Config storage) {
    Storage parsed =
        new Storage(
            storage.getInt("snapshot-every"),
            storage.getInt("keep-snapshots"),
            storage.getBoolean("delete-events-on-snapshot"),
            storage.getDuration("position-flush-interval"),
            storage.getDuration("conversation-idle-timeout"),
            storage.getInt("max-resident-conversations"),
            storage.getBytes("offline-tail-budget"),
            storage.getDuration("presence-idle-timeout"),
            storage.getInt("max-resident-presences"),
            storage.getInt("index-write-attempts"),
            storage.getDuration("index-retry-backoff"),
            storage.getDuration("index-retry-max-backoff"),
            storage.getInt("index-max-pending-retries"),
            storage.getDuration("index-activity-interval"),
            storage.getInt("member-conversations-scanned"),
            MemberReads.fromConfig(storage.getConfig("member-index-reads")),
            storage.getDuration("message-retention"),
            Buckets.fromConfig(storage),
            TemporaryPurge.fromConfig(storage.getConfig("temporary-purge")));
    if (parsed.snapshotEvery() < 0
        || parsed.keepSnapshots() < 1
        || parsed.maxResidentConversations() < 1
        || parsed.offlineTailBudgetBytes() < 0
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
              + "position-flush-interval above 0, offline-tail-budget not negative: "
              + parsed);
    }
    return parsed;
  }
}
