package io.parley.node.conversation;

import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.Storage;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Read-side indexes of conversations in Cassandra, kept by the conversation entities themselves:
 *
 * <ul>
 *   <li>{@code conversations_by_member}: the conversations a client is in, each with when it was
 *       last active, so "conversations I am in" reads one partition instead of scanning, most
 *       active first;
 *   <li>{@code conversations_by_app_bucket}: an app's conversations by creation month, spread over
 *       {@code app-index-buckets} partitions per month by a hash of the id (one month of a busy app
 *       in one partition was a hot spot, review M11), newest first: the bounded candidate set for
 *       queries on attributes alone. Reads merge the buckets newest first.
 * </ul>
 *
 * Writes are idempotent and happen after the entity's event is persisted, each with a write time
 * that increases with the conversation's changes, so a late retry never undoes a newer change. A
 * failed write is retried a bounded number of times (never when Cassandra refuses it); an insert
 * lost to a crash is repaired when the conversation next changes or is next loaded (the entity
 * re-asserts its rows on recovery), and a lost delete when the removed client next asks the
 * conversation (it deletes the stale row). Chatrooms and temporary conversations are not listed (as
 * in LeanCloud's {@code _Conversation}).
 */
public final class ConversationIndex implements MemberIndex {

  private static final int MONTHS_SCANNED = 36;

  /** The shipped {@code member-index-reads}, for indexes built without settings (tests). */
  static final Storage.MemberReads DEFAULT_MEMBER_READS = new Storage.MemberReads(32, 1);

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final io.parley.node.concurrent.PreparedStatements statements;
  private final String keyspace;
  private final Retries retries;
  private final int scanned;
  private final MemberIndexReads memberReads;
  private final AppIndex appIndex;
  private final java.util.concurrent.atomic.AtomicLong lastWriteTime =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger pendingRetries =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * How a failed index write is retried: at most {@code attempts} tries in all, waiting {@code
   * backoff} doubling up to {@code maxBackoff}, and at most {@code maxPendingRetries} writes
   * waiting per node.
   */
  public record Retries(
      int attempts, Duration backoff, Duration maxBackoff, int maxPendingRetries) {
    public static final Retries DEFAULT =
        new Retries(6, Duration.ofSeconds(1), Duration.ofSeconds(30), 10_000);
  }

  /**
   * How an app's conversations are listed: {@code buckets} partitions per month (fixed for a
   * cluster's life: rows are found by the bucket they were written to); {@code legacy}: also read
   * the unbucketed {@code conversations_by_app} of clusters that ran before the split.
   */
  public record AppIndex(int buckets, boolean legacy) {
    public static final AppIndex DEFAULT = new AppIndex(4, true);

    public AppIndex {
      if (buckets < 1 || buckets > 1024) {
        throw new IllegalArgumentException("app-index-buckets must be 1..1024: " + buckets);
      }
    }

    /**
     * The bucket of a conversation: stable across JVMs and releases (String.hashCode is specified).
     */
    public int of(String cid) {
      return Math.floorMod(cid.hashCode(), buckets);
    }
  }

  public ConversationIndex(ActorSystem<?> system, String keyspace) {
    this(system, keyspace, Retries.DEFAULT, 10_000, AppIndex.DEFAULT);
  }

  /**
   * {@code scanned}: the most rows of one client's partition read to find its most active
   * conversations.
   */
  public ConversationIndex(ActorSystem<?> system, String keyspace, Retries retries, int scanned) {
    this(system, keyspace, retries, scanned, AppIndex.DEFAULT);
  }

  public ConversationIndex(
      ActorSystem<?> system, String keyspace, Retries retries, int scanned, AppIndex appIndex) {
    this(system, keyspace, retries, scanned, appIndex, DEFAULT_MEMBER_READS);
  }

  public ConversationIndex(
      ActorSystem<?> system,
      String keyspace,
      Retries retries,
      int scanned,
      AppIndex appIndex,
      Storage.MemberReads memberReads) {
    this.system = system;
    this.appIndex = appIndex;
    this.retries = retries;
    this.scanned = scanned;
    // Its own session: sharing the journal plugin's config path would skip the plugin's table
    // creation.
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.statements = new io.parley.node.concurrent.PreparedStatements(session);
    this.keyspace = keyspace;
    // direct: the connector's session is a converted Scala future, whose non-async continuations
    // go to the common pool (an OS thread each on 2 CPUs).
    this.memberReads =
        new MemberIndexReads(
            () -> statements.get(MemberIndexReads.cql(keyspace)),
            () -> Futures.direct(session.underlying()),
            scanned,
            memberReads,
            system.executionContext());
  }

  /**
   * Creates the tables (local runs and tests only; production uses deploy/cassandra/schema.cql).
   */
  public CompletionStage<Done> createTables(String replication) {
    List<String> statements =
        List.of(
            "CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = " + replication,
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".conversations_by_member ("
                + "app_id text, client_id text, cid text, active_at bigint, PRIMARY KEY ((app_id, client_id), cid))",
            // The conversations' snapshot table, before any conversation recovers: the persistence
            // plugin makes it only on first use, which raced with the first recoveries (the same
            // layout as deploy/cassandra/schema.cql).
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".snapshots ("
                + "persistence_id text, sequence_nr bigint, timestamp bigint, ser_id int, ser_manifest text, "
                + "snapshot_data blob, snapshot blob, meta_ser_id int, meta_ser_manifest text, meta blob, "
                + "PRIMARY KEY (persistence_id, sequence_nr)) WITH CLUSTERING ORDER BY (sequence_nr DESC)",
            // A keyspace made before the column existed (local runs keep their data).
            "ALTER TABLE "
                + keyspace
                + ".conversations_by_member ADD IF NOT EXISTS active_at bigint",
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".conversations_by_app ("
                + "app_id text, month int, created_at bigint, cid text, PRIMARY KEY ((app_id, month), created_at, cid))"
                + " WITH CLUSTERING ORDER BY (created_at DESC, cid ASC)",
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".conversations_by_app_bucket ("
                + "app_id text, month int, bucket int, created_at bigint, cid text, "
                + "PRIMARY KEY ((app_id, month, bucket), created_at, cid))"
                + " WITH CLUSTERING ORDER BY (created_at DESC, cid ASC)",
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".temporary_conversations ("
                + "hour bigint, expires_at bigint, app_id text, cid text, "
                + "PRIMARY KEY ((hour), expires_at, app_id, cid))");
    CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
    for (String statement : statements) {
      done = done.thenCompose(previous -> Futures.direct(session.executeDDL(statement)));
    }
    return done;
  }

  @Override
  public CompletionStage<Done> record(
      String appId, Conversation.Snapshot conversation, List<String> removed) {
    return record(appId, conversation, removed, writeTime(conversation));
  }

  /**
   * Writes the rows with Cassandra write time {@code writeTime} (microseconds): of two writes of
   * the same row the later change wins, whatever order they arrive in, so an old insert retried
   * after a newer delete cannot bring a removed member's row back.
   */
  public CompletionStage<Done> record(
      String appId, Conversation.Snapshot conversation, List<String> removed, long writeTime) {
    // Chatrooms have no members to index and temporary conversations are read by id; a system
    // conversation's
    // subscribers are indexed, so that a broadcast reaches an offline subscriber at login (unread,
    // offline queue).
    if (conversation.kind() == Kind.TEMPORARY
        && conversation.expiresAt() > 0
        && !conversation.unique()) {
      // Listed by expiry hour, for the purge of expired ones (TemporaryPurge). Not a unique one:
      // the first conversation of a unique member set keeps the link to its successor.
      return write(
          new Job(conversation.id()),
          "INSERT INTO "
              + keyspace
              + ".temporary_conversations (hour, expires_at, app_id, cid) VALUES (?, ?, ?, ?)",
          TemporaryPurge.hour(conversation.expiresAt()),
          conversation.expiresAt(),
          appId,
          conversation.id());
    }
    if (conversation.kind() == Kind.TRANSIENT || conversation.kind() == Kind.TEMPORARY) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    Job job = new Job(conversation.id());
    List<CompletionStage<Done>> writes = new ArrayList<>();
    for (String member : conversation.members()) {
      writes.add(
          write(
              job,
              "INSERT INTO "
                  + keyspace
                  + ".conversations_by_member (app_id, client_id, cid, active_at) "
                  + "VALUES (?, ?, ?, ?) USING TIMESTAMP ?",
              appId,
              member,
              conversation.id(),
              activeAt(conversation),
              writeTime));
    }
    for (String member : removed) {
      writes.add(
          write(
              job,
              "DELETE FROM "
                  + keyspace
                  + ".conversations_by_member USING TIMESTAMP ? "
                  + "WHERE app_id = ? AND client_id = ? AND cid = ?",
              writeTime,
              appId,
              member,
              conversation.id()));
    }
    writes.add(
        write(
            job,
            "INSERT INTO "
                + keyspace
                + ".conversations_by_app_bucket (app_id, month, bucket, created_at, cid) "
                + "VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?",
            appId,
            month(conversation.createdAt()),
            appIndex.of(conversation.id()),
            conversation.createdAt(),
            conversation.id(),
            writeTime));
    return CompletableFuture.allOf(
            writes.stream()
                .map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new))
        .thenApply(done -> Done.getInstance());
  }

  @Override
  public CompletionStage<Done> forget(
      String appId, Conversation.Snapshot conversation, String clientId) {
    return write(
        new Job(conversation.id()),
        "DELETE FROM "
            + keyspace
            + ".conversations_by_member USING TIMESTAMP ? "
            + "WHERE app_id = ? AND client_id = ? AND cid = ?",
        writeTime(conversation),
        appId,
        clientId,
        conversation.id());
  }

  /** Index writes waiting for a retry on this node (bounded by {@code max-pending-retries}). */
  public int pendingRetries() {
    return pendingRetries.get();
  }

  /**
   * Strictly increasing on this node, and never before the conversation's last change (whose time
   * may come from another node's clock).
   */
  private long writeTime(Conversation.Snapshot conversation) {
    long now = Math.max(System.currentTimeMillis(), conversation.updatedAt()) * 1000;
    return lastWriteTime.updateAndGet(previous -> Math.max(previous + 1, now));
  }

  /** The writes of one change: its failures are reported once, not once per row. */
  private static final class Job {
    final String cid;
    final java.util.concurrent.atomic.AtomicBoolean reported =
        new java.util.concurrent.atomic.AtomicBoolean();

    Job(String cid) {
      this.cid = cid;
    }
  }

  /**
   * One idempotent write; the returned stage is its first attempt, later attempts run in the
   * background.
   */
  private CompletionStage<Done> write(Job job, String cql, Object... values) {
    return attempt(job, cql, values, 1);
  }

  private CompletionStage<Done> attempt(Job job, String cql, Object[] values, int attempt) {
    CompletionStage<Done> write = Futures.direct(session.executeWrite(cql, values));
    write.whenComplete(
        (done, failure) -> {
          if (failure != null) {
            retryLater(job, cql, values, attempt, failure);
          }
        });
    return write;
  }

  /**
   * Retries a write that failed for a reason that can pass (timeouts, unavailable replicas, lost
   * connections) with a doubling backoff, at most {@code attempts} times; a write Cassandra refuses
   * (an invalid value, such as a key over 64 KiB) is never retried. What is given up is repaired
   * when the conversation next changes or loads (it re-asserts its rows).
   */
  private void retryLater(Job job, String cql, Object[] values, int attempt, Throwable failure) {
    Throwable cause =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (!transientFailure(cause)) {
      if (job.reported.compareAndSet(false, true)) {
        system
            .log()
            .warn(
                "Index write for conversation {} refused by Cassandra, not retried: {}",
                job.cid,
                cause.toString());
      }
      return;
    }
    if (attempt >= retries.attempts()
        || pendingRetries.incrementAndGet() > retries.maxPendingRetries()) {
      if (attempt < retries.attempts()) {
        pendingRetries.decrementAndGet();
      }
      if (job.reported.compareAndSet(false, true)) {
        system
            .log()
            .warn(
                "Index write for conversation {} given up after {} attempt(s) ({} retries pending on this node): {}",
                job.cid,
                attempt,
                pendingRetries.get(),
                cause.toString());
      }
      return;
    }
    Duration backoff = retries.backoff().multipliedBy(1L << Math.min(attempt - 1, 20));
    Duration delay = backoff.compareTo(retries.maxBackoff()) > 0 ? retries.maxBackoff() : backoff;
    system
        .scheduler()
        .scheduleOnce(
            delay,
            () -> {
              pendingRetries.decrementAndGet();
              attempt(job, cql, values, attempt + 1);
            },
            system.executionContext());
  }

  /** Whether a failed write may succeed when tried again. */
  static boolean transientFailure(Throwable cause) {
    if (cause instanceof com.datastax.oss.driver.api.core.servererrors.FunctionFailureException) {
      return false;
    }
    return cause instanceof com.datastax.oss.driver.api.core.DriverTimeoutException
        || cause instanceof com.datastax.oss.driver.api.core.servererrors.QueryExecutionException
        || cause instanceof com.datastax.oss.driver.api.core.AllNodesFailedException
        || cause instanceof com.datastax.oss.driver.api.core.connection.ClosedConnectionException
        || cause instanceof com.datastax.oss.driver.api.core.connection.HeartbeatException
        || cause instanceof com.datastax.oss.driver.api.core.connection.BusyConnectionException
        || cause instanceof com.datastax.oss.driver.api.core.RequestThrottlingException
        || cause instanceof java.util.concurrent.TimeoutException;
  }

  /** When a conversation was last active: its last message, or its last change. */
  static long activeAt(Conversation.Snapshot conversation) {
    return conversation.lastMessage() == null
        ? conversation.updatedAt()
        : Math.max(conversation.updatedAt(), conversation.lastMessage().timestamp());
  }

  /**
   * The ids of the conversations {@code clientId} is in, at most {@code limit}, the most recently
   * active first (a client in more keeps its active ones, whatever their ids). At most {@code
   * scanned} rows of the client's partition are read (member-conversations-scanned).
   */
  public CompletionStage<List<String>> conversationsOf(String appId, String clientId, int limit) {
    // Every login reads this (the unread notice, the v1 offline push): grouped across concurrent
    // logins, answered on the system dispatcher.
    return memberReads
        .read(appId, clientId)
        .thenApply(
            rows ->
                rows.stream()
                    .sorted(
                        java.util.Comparator.comparingLong(
                                (Row row) -> row.isNull("active_at") ? 0 : row.getLong("active_at"))
                            .thenComparing(row -> row.getString("cid"))
                            .reversed())
                    .limit(limit)
                    .map(row -> row.getString("cid"))
                    .toList());
  }

  /** Requests that read clients' conversations so far (each for one or more clients). */
  long memberReads() {
    return memberReads.reads();
  }

  /**
   * The app's newest conversation ids, at most {@code limit}, scanning back month by month: each
   * month's buckets (and the legacy table) are read in parallel, each with the page's {@code
   * LIMIT}, and merged newest first.
   */
  public CompletionStage<List<String>> recentConversations(String appId, int limit) {
    return recent(appId, YearMonth.now(ZoneOffset.UTC), 0, limit, new ArrayList<>());
  }

  private record Listed(long createdAt, String cid) {}

  private CompletionStage<List<String>> recent(
      String appId, YearMonth month, int scanned, int limit, List<String> found) {
    if (found.size() >= limit || scanned >= MONTHS_SCANNED) {
      return CompletableFuture.completedFuture(found);
    }
    int wanted = limit - found.size();
    int monthKey = month.getYear() * 100 + month.getMonthValue();
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    for (int bucket = 0; bucket < appIndex.buckets(); bucket++) {
      reads.add(
          Futures.direct(
                  session.selectAll(
                      "SELECT created_at, cid FROM "
                          + keyspace
                          + ".conversations_by_app_bucket WHERE app_id = ? AND month = ? AND bucket = ? LIMIT ?",
                      appId,
                      monthKey,
                      bucket,
                      wanted))
              .toCompletableFuture());
    }
    if (appIndex.legacy()) {
      reads.add(
          Futures.direct(
                  session.selectAll(
                      "SELECT created_at, cid FROM "
                          + keyspace
                          + ".conversations_by_app WHERE app_id = ? AND month = ? LIMIT ?",
                      appId,
                      monthKey,
                      wanted))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenCompose(
            all -> {
              java.util.Set<String> seen = new java.util.HashSet<>(found);
              reads.stream()
                  .flatMap(read -> read.join().stream())
                  .map(row -> new Listed(row.getLong("created_at"), row.getString("cid")))
                  .sorted(
                      java.util.Comparator.comparingLong(Listed::createdAt)
                          .reversed()
                          .thenComparing(Listed::cid))
                  .filter(listed -> seen.add(listed.cid()))
                  .limit(wanted)
                  .forEach(listed -> found.add(listed.cid()));
              return recent(appId, month.minusMonths(1), scanned + 1, limit, found);
            });
  }

  private static int month(long epochMillis) {
    YearMonth month = YearMonth.from(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    return month.getYear() * 100 + month.getMonthValue();
  }
}
