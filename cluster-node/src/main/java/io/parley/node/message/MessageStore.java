package io.parley.node.message;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.concurrent.Futures;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.settings.MessageWrites;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Message history in Cassandra: {@code messages ((app_id, cid, month), timestamp, msg_id)}, newest
 * first, where {@code month} is the partition's bucket ({@link Buckets}: months, days for
 * chatrooms, see {@link #chatroom()}). One row per message, written once (in batches per
 * conversation) before the sender's ack; patches (recall, edit) update the row. History is read
 * here, never by replaying a conversation's journal.
 */
public final class MessageStore implements MessageArchive {

  private static final long SLACK = java.time.Duration.ofDays(1).toMillis();

  /** Rows read per round trip when a type filter ({@code lctype}) drops some of them. */
  private static final int CHUNK = 100;

  /**
   * At most this many rows are examined for one page, whatever the filter keeps (bounds a type
   * filter's scan).
   */
  static final int MAX_SCANNED = 2000;

  private static final String INSERT =
      "INSERT INTO %s.conversation_messages (app_id, cid, month, timestamp, msg_id, "
          + "from_client, data, bin, mention_pids, mention_all, receipt, patch_timestamp, recalled, push_data, "
          + "to_clients, valid_till) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private final CassandraSession session;
  private final String keyspace;
  private final GroupCommit groupCommit;
  private final long retentionSeconds;
  private final Buckets buckets;
  private final MessageStore chatroom;

  public MessageStore(ActorSystem<?> system, String keyspace, MessageWrites settings) {
    this(system, keyspace, settings, java.time.Duration.ZERO);
  }

  public MessageStore(
      ActorSystem<?> system,
      String keyspace,
      MessageWrites settings,
      java.time.Duration retention) {
    this(system, keyspace, settings, retention, true);
  }

  /**
   * {@code retention}: how long a message is kept (Cassandra's TTL on its row, patches included);
   * zero keeps messages forever. {@code chatroomLegacyMonths}: chatroom history is also looked for
   * in month partitions (written before chatrooms were bucketed by day).
   */
  public MessageStore(
      ActorSystem<?> system,
      String keyspace,
      MessageWrites settings,
      java.time.Duration retention,
      boolean chatroomLegacyMonths) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.keyspace = keyspace;
    this.retentionSeconds = retention.toSeconds();
    this.buckets = Buckets.MONTH;
    this.groupCommit =
        new GroupCommit(
            session.underlying(),
            INSERT.formatted(keyspace)
                + (retentionSeconds > 0 ? " USING TTL " + retentionSeconds : ""),
            new GroupCommit.Settings(
                settings.batchMaxStatements(),
                settings.batchMaxBytes(),
                settings.writesInFlight(),
                settings.maxQueuedWrites(),
                DefaultConsistencyLevel.valueOf(settings.writeConsistency()),
                settings.writeTimeout()),
            system.executionContext(),
            NodeMetrics.get(system));
    this.chatroom =
        new MessageStore(this, chatroomLegacyMonths ? Buckets.DAY_AND_LEGACY_MONTH : Buckets.DAY);
  }

  /** The same table and writer, bucketed as {@code buckets}. */
  private MessageStore(MessageStore store, Buckets buckets) {
    this.session = store.session;
    this.keyspace = store.keyspace;
    this.retentionSeconds = store.retentionSeconds;
    this.groupCommit = store.groupCommit;
    this.buckets = buckets;
    this.chatroom = this;
  }

  /** Chatroom history: the same table, one partition per chatroom and day (review M11). */
  @Override
  public MessageStore chatroom() {
    return chatroom;
  }

  public CompletionStage<Done> createTables() {
    return Futures.direct(
            session.executeDDL(
                "CREATE TABLE IF NOT EXISTS "
                    + keyspace
                    + ".conversation_messages ("
                    + "app_id text, cid text, month int, timestamp bigint, msg_id text, from_client text, data text, bin boolean, "
                    + "mention_pids list<text>, mention_all boolean, receipt boolean, patch_timestamp bigint, recalled boolean, "
                    + "push_data text, to_clients list<text>, valid_till bigint, "
                    + "PRIMARY KEY ((app_id, cid, month), timestamp, msg_id)) WITH CLUSTERING ORDER BY (timestamp DESC, msg_id DESC)"))
        // A table made before per-user messages and broadcast expiry lacks their columns: added (an
        // error when one exists already is the expected answer).
        .thenCompose(done -> addColumn("to_clients list<text>"))
        .thenCompose(done -> addColumn("valid_till bigint"));
  }

  private CompletionStage<Done> addColumn(String column) {
    return Futures.direct(
            session.executeDDL("ALTER TABLE " + keyspace + ".conversation_messages ADD " + column))
        .exceptionally(exists -> Done.getInstance());
  }

  /**
   * Writes {@code messages} of one conversation, grouped with other conversations' writes;
   * completes when durable.
   */
  @Override
  public CompletionStage<Done> write(String appId, String cid, List<StoredMessage> messages) {
    return groupCommit.write(appId, cid, messages, buckets);
  }

  /**
   * A patch keeps the message's expiry: its cells get the TTL the row has left (cells written
   * without one would outlive the row and keep a fragment of it visible).
   */
  @Override
  public CompletionStage<Done> update(String appId, String cid, StoredMessage m) {
    // Rounded so that the patch never outlives the row (whose TTL started when it was written).
    long left =
        retentionSeconds <= 0
            ? 0
            : retentionSeconds
                - Math.max(0, (System.currentTimeMillis() - m.timestamp() + 999) / 1000);
    if (retentionSeconds > 0 && left <= 0) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return partitionOf(appId, cid, m.timestamp(), m.id())
        .thenCompose(bucket -> update(appId, cid, m, left, bucket));
  }

  private CompletionStage<Done> update(
      String appId, String cid, StoredMessage m, long left, int bucket) {
    return Futures.direct(
        session.executeWrite(
            "UPDATE "
                + keyspace
                + ".conversation_messages"
                + (left > 0 ? " USING TTL " + left : "")
                + " SET data = ?, bin = ?, mention_pids = ?, "
                + "mention_all = ?, patch_timestamp = ?, recalled = ? WHERE app_id = ? AND cid = ? AND month = ? "
                + "AND timestamp = ? AND msg_id = ?",
            m.data(),
            m.binary(),
            m.mentionPids(),
            m.mentionAll(),
            m.patchTimestamp(),
            m.recalled(),
            appId,
            cid,
            bucket,
            m.timestamp(),
            m.id()));
  }

  /**
   * The partition that holds the message: its bucket, or for a chatroom message written before day
   * buckets its legacy month partition.
   */
  private CompletionStage<Integer> partitionOf(
      String appId, String cid, long timestamp, String id) {
    int bucket = buckets.of(timestamp);
    int legacy = buckets.legacyOf(timestamp);
    if (legacy < 0) {
      return CompletableFuture.completedFuture(bucket);
    }
    return findIn(appId, cid, bucket, timestamp, id)
        .thenApply(found -> found.isPresent() ? bucket : legacy)
        .thenCompose(
            chosen ->
                chosen == bucket
                    ? CompletableFuture.completedFuture(bucket)
                    : findIn(appId, cid, legacy, timestamp, id)
                        .thenApply(found -> found.isPresent() ? legacy : bucket));
  }

  @Override
  public CompletionStage<Done> delete(String appId, String cid, long timestamp, String id) {
    int legacy = buckets.legacyOf(timestamp);
    CompletionStage<Done> deleted = deleteIn(appId, cid, buckets.of(timestamp), timestamp, id);
    return legacy < 0
        ? deleted
        : deleted.thenCompose(done -> deleteIn(appId, cid, legacy, timestamp, id));
  }

  private CompletionStage<Done> deleteIn(
      String appId, String cid, int bucket, long timestamp, String id) {
    return Futures.direct(
        session.executeWrite(
            "DELETE FROM "
                + keyspace
                + ".conversation_messages WHERE app_id = ? "
                + "AND cid = ? AND month = ? AND timestamp = ? AND msg_id = ?",
            appId,
            cid,
            bucket,
            timestamp,
            id));
  }

  /** The message {@code id} sent at {@code timestamp}, if any. */
  @Override
  public CompletionStage<Optional<StoredMessage>> find(
      String appId, String cid, long timestamp, String id) {
    int legacy = buckets.legacyOf(timestamp);
    CompletionStage<Optional<StoredMessage>> found =
        findIn(appId, cid, buckets.of(timestamp), timestamp, id);
    return legacy < 0
        ? found
        : found.thenCompose(
            row ->
                row.isPresent()
                    ? CompletableFuture.completedFuture(row)
                    : findIn(appId, cid, legacy, timestamp, id));
  }

  private CompletionStage<Optional<StoredMessage>> findIn(
      String appId, String cid, int bucket, long timestamp, String id) {
    return Futures.direct(
            session.selectOne(
                "SELECT * FROM "
                    + keyspace
                    + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ? "
                    + "AND timestamp = ? AND msg_id = ?",
                appId,
                cid,
                bucket,
                timestamp,
                id))
        .thenApply(row -> row.map(MessageStore::toMessage));
  }

  /** The newest {@code limit} messages, oldest first. */
  @Override
  public CompletionStage<List<StoredMessage>> recent(
      String appId, String cid, int limit, long createdAt) {
    return page(
        appId,
        cid,
        new HistoryQuery(Long.MAX_VALUE, null, true, Long.MIN_VALUE, null, true, true, limit, null),
        createdAt);
  }

  /**
   * The current and the previous bucket (month, or day for chatrooms, with their legacy month
   * partitions), newest first.
   */
  @Override
  public CompletionStage<java.util.Map<String, Long>> recentIds(
      String appId, String cid, int limit, long createdAt) {
    long now = System.currentTimeMillis();
    long previous =
        buckets == Buckets.MONTH
            ? YearMonth.from(Instant.ofEpochMilli(now).atZone(ZoneOffset.UTC))
                .minusMonths(1)
                .atDay(1)
                .atStartOfDay(ZoneOffset.UTC)
                .toInstant()
                .toEpochMilli()
            : now - java.time.Duration.ofDays(1).toMillis();
    List<Integer> partitions = buckets.between(Math.max(previous, createdAt - SLACK), now, true, 2);
    return idsOf(appId, cid, partitions, 0, limit, new java.util.HashMap<>());
  }

  private CompletionStage<java.util.Map<String, Long>> idsOf(
      String appId,
      String cid,
      List<Integer> partitions,
      int index,
      int limit,
      java.util.Map<String, Long> into) {
    if (index >= partitions.size() || into.size() >= limit) {
      return CompletableFuture.completedFuture(into);
    }
    return idsOf(appId, cid, partitions.get(index), limit - into.size(), into)
        .thenCompose(found -> idsOf(appId, cid, partitions, index + 1, limit, found));
  }

  private CompletionStage<java.util.Map<String, Long>> idsOf(
      String appId, String cid, int month, int limit, java.util.Map<String, Long> into) {
    return Futures.direct(
            session.selectAll(
                "SELECT timestamp, msg_id FROM "
                    + keyspace
                    + ".conversation_messages "
                    + "WHERE app_id = ? AND cid = ? AND month = ? LIMIT ?",
                appId,
                cid,
                month,
                limit))
        .thenApply(
            rows -> {
              rows.forEach(row -> into.put(row.getString("msg_id"), row.getLong("timestamp")));
              return into;
            });
  }

  /**
   * One page of history (§6.15), oldest first: {@code newestFirst} selects from the start point
   * backwards (direction OLD), otherwise forwards (NEW).
   */
  public CompletionStage<List<StoredMessage>> page(
      String appId, String cid, HistoryQuery query, long createdAt) {
    // Only the month partitions that can hold an answer: from the later of the conversation's
    // creation and
    // the query's lower bound, to the earlier of now and its upper bound (newest first).
    // A day of slack on both sides covers clock differences between the nodes that stamped the
    // messages.
    long low = Math.max(createdAt - SLACK, query.newestFirst() ? query.end() : query.start());
    long high =
        Math.min(
            System.currentTimeMillis() + SLACK, query.newestFirst() ? query.start() : query.end());
    List<Integer> months = buckets.between(low, high, query.newestFirst(), buckets.maxScanned());
    return collect(appId, cid, query, months, 0, new ArrayList<>())
        .thenApply(
            found -> {
              found.sort(
                  Comparator.comparingLong(StoredMessage::timestamp)
                      .thenComparing(StoredMessage::id));
              return found;
            });
  }

  /**
   * Fills {@code found} from the month partitions in order. Each read names the page's bounds and a
   * {@code LIMIT}, so Cassandra reads at most what the page needs: the rest of the month is never
   * touched. With a type filter ({@code lctype}) rows are read in chunks, each continuing after the
   * last row read, and at most {@link #MAX_SCANNED} rows per page are examined.
   */
  private CompletionStage<List<StoredMessage>> collect(
      String appId,
      String cid,
      HistoryQuery query,
      List<Integer> months,
      int index,
      List<StoredMessage> found) {
    return collect(appId, cid, query, months, index, Bounds.of(query), found, 0);
  }

  private CompletionStage<List<StoredMessage>> collect(
      String appId,
      String cid,
      HistoryQuery query,
      List<Integer> months,
      int index,
      Bounds bounds,
      List<StoredMessage> found,
      int scanned) {
    if (found.size() >= query.limit() || index >= months.size() || scanned >= MAX_SCANNED) {
      return CompletableFuture.completedFuture(found);
    }
    int wanted =
        !query.filtered() ? query.limit() - found.size() : Math.min(CHUNK, MAX_SCANNED - scanned);
    String order = query.newestFirst() ? "DESC" : "ASC";
    String cql =
        "SELECT * FROM "
            + keyspace
            + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ? "
            + "AND (timestamp, msg_id) "
            + (bounds.lowStrict() ? ">" : ">=")
            + " (?, ?) "
            + "AND (timestamp, msg_id) "
            + (bounds.highStrict() ? "<" : "<=")
            + " (?, ?) "
            + "ORDER BY timestamp "
            + order
            + ", msg_id "
            + order
            + " LIMIT ?";
    return Futures.direct(
            session.selectAll(
                cql,
                appId,
                cid,
                months.get(index),
                bounds.low(),
                bounds.lowId(),
                bounds.high(),
                bounds.highId(),
                wanted))
        .thenCompose(
            rows -> {
              StoredMessage lastRead = null;
              for (Row row : rows) {
                lastRead = toMessage(row);
                if (query.accepts(lastRead) && found.size() < query.limit()) {
                  found.add(lastRead);
                }
              }
              if (rows.size() < wanted || lastRead == null) {
                // This month has nothing more inside the bounds: on to the next one, from the
                // page's own bounds.
                return collect(
                    appId,
                    cid,
                    query,
                    months,
                    index + 1,
                    Bounds.of(query),
                    found,
                    scanned + rows.size());
              }
              // A full chunk (type filter): continue in this month after the last row read.
              return collect(
                  appId,
                  cid,
                  query,
                  months,
                  index,
                  bounds.after(lastRead, query.newestFirst()),
                  found,
                  scanned + rows.size());
            });
  }

  /**
   * A page's range as two bounds on the clustering key {@code (timestamp, msg_id)}. A bound without
   * an id covers every message at its timestamp; it becomes a key bound with the smallest id,
   * {@code ''}.
   */
  record Bounds(
      long low, String lowId, boolean lowStrict, long high, String highId, boolean highStrict) {

    static Bounds of(HistoryQuery query) {
      long low = clamp(query.newestFirst() ? query.end() : query.start());
      String lowId = query.newestFirst() ? query.endId() : query.startId();
      boolean lowIncluded = query.newestFirst() ? query.endIncluded() : query.startIncluded();
      long high = clamp(query.newestFirst() ? query.start() : query.end());
      String highId = query.newestFirst() ? query.startId() : query.endId();
      boolean highIncluded = query.newestFirst() ? query.startIncluded() : query.endIncluded();
      boolean lowHasId = lowId != null && !lowId.isEmpty();
      boolean highHasId = highId != null && !highId.isEmpty();
      return new Bounds(
          lowHasId || lowIncluded ? low : low + 1,
          lowHasId ? lowId : "",
          lowHasId && !lowIncluded,
          highHasId || !highIncluded ? high : high + 1,
          highHasId ? highId : "",
          !highHasId || !highIncluded);
    }

    /** The rest of the range after {@code last} in reading order. */
    Bounds after(StoredMessage last, boolean newestFirst) {
      return newestFirst
          ? new Bounds(low, lowId, lowStrict, last.timestamp(), last.id(), true)
          : new Bounds(last.timestamp(), last.id(), true, high, highId, highStrict);
    }

    private static long clamp(long timestamp) {
      return Math.max(Long.MIN_VALUE + 1, Math.min(Long.MAX_VALUE - 1, timestamp));
    }
  }

  private static StoredMessage toMessage(Row row) {
    return new StoredMessage(
        row.getString("msg_id"),
        row.getString("from_client"),
        row.getLong("timestamp"),
        row.getString("data"),
        row.getBoolean("bin"),
        row.getList("mention_pids", String.class),
        row.getBoolean("mention_all"),
        row.getBoolean("receipt"),
        row.getLong("patch_timestamp"),
        row.getBoolean("recalled"),
        row.getString("push_data"),
        row.getList("to_clients", String.class),
        row.getLong("valid_till"));
  }

  /**
   * Deletes the history of a conversation that is not a chatroom in its month partitions from
   * {@code first} to {@code last} (UTC), one partition delete each: for a conversation whose
   * messages nobody may read any more (an expired temporary one, the warm-up's).
   */
  public CompletionStage<Done> deleteMonths(
      String appId, String cid, YearMonth first, YearMonth last) {
    CompletionStage<Done> deletes = CompletableFuture.completedFuture(Done.getInstance());
    for (YearMonth m = first; !m.isAfter(last); m = m.plusMonths(1)) {
      int bucket = m.getYear() * 100 + m.getMonthValue();
      deletes =
          deletes.thenCompose(
              done ->
                  Futures.direct(
                      session.executeWrite(
                          "DELETE FROM "
                              + keyspace
                              + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ?",
                          appId,
                          cid,
                          bucket)));
    }
    return deletes;
  }

  /** The month bucket of a message of a conversation that is not a chatroom (tests). */
  static int month(long epochMillis) {
    return Buckets.MONTH.of(epochMillis);
  }
}
