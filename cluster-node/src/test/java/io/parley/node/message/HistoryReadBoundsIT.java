package io.parley.node.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * History reads are bounded (review C3): a conversation's newest messages and a history page read
 * only the rows they return from Cassandra, never the whole month partition. The rows Cassandra
 * scanned per read come from its own metric ({@code system_views.rows_per_read}) on a keyspace only
 * this test reads. History past its configured retention expires (review M11).
 */
class HistoryReadBoundsIT {

  private static final String APP = "parley-dev";
  private static final int BUSY = 3000;
  private static final String KEYSPACE =
      "parley_bounds_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);
  @RegisterExtension static final Cql CQL = new Cql();
  private static MessageStore store;

  /**
   * The busy conversation's timestamps: the newest message BUSY - 1 ms ago, one per millisecond
   * before.
   */
  private static long newest;

  @BeforeAll
  static void fillABusyConversation() throws Exception {
    store = TestStores.create(CLUSTER.first().system(), CQL.session(), KEYSPACE);
    // All in the current month, so the newest ones and their month partition are one read.
    long now = System.currentTimeMillis();
    newest =
        Math.max(
            now - 1,
            java.time.YearMonth.now(java.time.ZoneOffset.UTC)
                    .atDay(1)
                    .atStartOfDay(java.time.ZoneOffset.UTC)
                    .toInstant()
                    .toEpochMilli()
                + BUSY);
    PreparedStatement insert =
        CQL.session()
            .prepare(
                "INSERT INTO "
                    + KEYSPACE
                    + ".conversation_messages (app_id, cid, month, "
                    + "timestamp, msg_id, from_client, data, bin, mention_all, receipt, patch_timestamp, recalled) "
                    + "VALUES (?, ?, ?, ?, ?, 'Tom', ?, false, false, false, 0, false)");
    List<CompletionStage<?>> writes = new ArrayList<>();
    for (int n = 0; n < BUSY; n++) {
      long at = newest - (BUSY - 1 - n);
      // One message in 500 is typed (an image, _lctype -2); the others are plain text.
      String data = n % 500 == 7 ? "{\"_lctype\":-2,\"_lctext\":\"" + n + "\"}" : "text " + n;
      writes.add(
          CQL.session()
              .executeAsync(
                  insert.bind(
                      APP, "busy", MessageStore.month(at), at, String.format("m%05d", n), data)));
      if (writes.size() == 64) {
        CompletableFuture.allOf(
                writes.stream()
                    .map(CompletionStage::toCompletableFuture)
                    .toArray(CompletableFuture[]::new))
            .get();
        writes.clear();
      }
    }
    // Five messages with the same timestamp: bounds with an id pick among them.
    for (String id : List.of("a", "b", "c", "d", "e")) {
      writes.add(
          CQL.session()
              .executeAsync(
                  insert.bind(APP, "ties", MessageStore.month(newest), newest, id, "tie " + id)));
    }
    CompletableFuture.allOf(
            writes.stream()
                .map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new))
        .get();
  }

  /** The most rows Cassandra read for one request on this keyspace's history table so far. */
  private static long mostRowsPerRead() {
    Row row =
        CQL.session()
            .execute(
                "SELECT max FROM system_views.rows_per_read WHERE keyspace_name = ? AND table_name = ?",
                KEYSPACE,
                "conversation_messages")
            .one();
    return row == null ? 0 : ((Number) row.getObject("max")).longValue();
  }

  private static List<String> texts(List<StoredMessage> messages) {
    return messages.stream().map(StoredMessage::data).toList();
  }

  private static List<StoredMessage> page(String cid, HistoryQuery query) throws Exception {
    return store
        .page(APP, cid, query, newest - BUSY)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  @Test
  void loading_a_busy_conversation_reads_its_newest_hundred_rows_not_the_month() throws Exception {
    List<StoredMessage> recent =
        store
            .recent(APP, "busy", 100, newest - BUSY)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertEquals(100, recent.size());
    assertEquals("text " + (BUSY - 100), recent.get(0).data(), "oldest first");
    assertEquals("text " + (BUSY - 1), recent.get(99).data());
    long scanned = mostRowsPerRead();
    System.out.printf(
        "recent(100) of a partition of %d rows: at most %d rows read per request%n", BUSY, scanned);
    assertTrue(scanned > 0 && scanned <= 150, "rows read for 100 messages: " + scanned);
  }

  @Test
  void a_history_page_reads_only_its_range_in_both_directions() throws Exception {
    long middle = newest - 1000;
    // OLD (newest first) from the middle, excluded, 20 messages: the 20 before it.
    List<StoredMessage> older =
        page(
            "busy",
            new HistoryQuery(middle, null, false, Long.MIN_VALUE, null, true, true, 20, null));
    assertEquals(20, older.size());
    assertEquals(middle - 20, older.get(0).timestamp());
    assertEquals(middle - 1, older.get(19).timestamp());
    // NEW (oldest first) from the middle, included, up to an end 5 ms later: 6 messages.
    List<StoredMessage> newer =
        page("busy", new HistoryQuery(middle, null, true, middle + 5, null, true, false, 20, null));
    assertEquals(
        List.of(0L, 1L, 2L, 3L, 4L, 5L), newer.stream().map(m -> m.timestamp() - middle).toList());
    long scanned = mostRowsPerRead();
    System.out.printf(
        "history pages of 20 in a partition of %d rows: at most %d rows read per request%n",
        BUSY, scanned);
    assertTrue(scanned <= 150, "rows read for pages of 20: " + scanned);
  }

  @Test
  void bounds_with_a_message_id_split_messages_of_the_same_millisecond() throws Exception {
    assertEquals(
        List.of("tie a", "tie b"),
        texts(
            page(
                "ties",
                new HistoryQuery(newest, "c", false, Long.MIN_VALUE, null, true, true, 10, null))));
    assertEquals(
        List.of("tie a", "tie b", "tie c"),
        texts(
            page(
                "ties",
                new HistoryQuery(newest, "c", true, Long.MIN_VALUE, null, true, true, 10, null))));
    assertEquals(
        List.of("tie c", "tie d"),
        texts(
            page(
                "ties", new HistoryQuery(newest, "b", false, newest, "d", true, false, 10, null))));
    assertEquals(
        List.of("tie d", "tie e"),
        texts(
            page(
                "ties",
                new HistoryQuery(
                    newest, "c", false, Long.MAX_VALUE, null, true, false, 10, null))));
    assertEquals(
        List.of(),
        texts(
            page(
                "ties",
                new HistoryQuery(newest, null, false, Long.MIN_VALUE, null, true, true, 10, null))),
        "a bound without an id excludes its whole millisecond");
    assertEquals(
        List.of("tie d", "tie e"),
        texts(
            page(
                "ties",
                new HistoryQuery(newest, null, true, Long.MIN_VALUE, null, true, true, 2, null))));
  }

  @Test
  void a_type_filter_reads_in_chunks_and_stops_after_its_scan_budget() throws Exception {
    // Typed messages are n = 7, 507, ..., 2507; newest first, the budget reaches back MAX_SCANNED
    // rows.
    List<StoredMessage> images =
        page(
            "busy",
            new HistoryQuery(Long.MAX_VALUE, null, true, Long.MIN_VALUE, null, true, true, 10, -2));
    List<String> expected = new ArrayList<>();
    for (int n = 7; n < BUSY; n += 500) {
      if (n >= BUSY - MessageStore.MAX_SCANNED) {
        expected.add("{\"_lctype\":-2,\"_lctext\":\"" + n + "\"}");
      }
    }
    assertEquals(expected, texts(images));
    long scanned = mostRowsPerRead();
    System.out.printf(
        "type-filtered page: %d found, at most %d rows read per request%n", images.size(), scanned);
    assertTrue(scanned <= 150, "rows read per chunk: " + scanned);
  }

  private static int ttlOf(String cid, long timestamp) {
    return CQL.session()
        .execute(
            "SELECT TTL(data) FROM "
                + KEYSPACE
                + ".conversation_messages WHERE app_id = ? AND cid = ? "
                + "AND month = ?",
            APP,
            cid,
            MessageStore.month(timestamp))
        .one()
        .getInt(0);
  }

  @Test
  void history_past_its_retention_expires_and_an_edit_keeps_the_expiry() throws Exception {
    MessageStore retained =
        new MessageStore(
            CLUSTER.first().system(), KEYSPACE, TestStores.SETTINGS, Duration.ofSeconds(4));
    long now = System.currentTimeMillis();
    StoredMessage message =
        new StoredMessage(
            "r1", "Tom", now, "short-lived", false, List.of(), false, false, 0, false, null);
    retained
        .write(APP, "retained", List.of(message))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    int written = ttlOf("retained", now);
    retained
        .update(
            APP,
            "retained",
            new StoredMessage(
                "r1", "Tom", now, "edited", false, List.of(), false, false, now + 1, false, null))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    int edited = ttlOf("retained", now);
    System.out.printf(
        "retention 4 s: TTL %d s when written, %d s after an edit%n", written, edited);
    assertTrue(written > 0 && written <= 4, "TTL " + written);
    assertTrue(edited > 0 && edited <= written, "TTL after the edit " + edited);
    assertEquals(
        List.of("edited"),
        texts(retained.recent(APP, "retained", 10, now - 1000).toCompletableFuture().get()));
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!retained
        .recent(APP, "retained", 10, now - 1000)
        .toCompletableFuture()
        .get()
        .isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "the message outlived its retention");
      Thread.sleep(200);
    }
  }
}
