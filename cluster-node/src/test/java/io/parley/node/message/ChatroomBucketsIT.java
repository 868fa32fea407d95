package io.parley.node.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Chatroom history is partitioned by day (review M11): a chatroom with messages on three days,
 * written through the store's group commit with explicit timestamps, lands in three day partitions
 * and pages correctly in both directions across the day boundaries, with {@code till} bounds, for
 * the recovery's recent messages and for a patch; chatroom rows an older release wrote into the
 * month partition are still read (and no longer once chatroom-legacy-month-buckets is off).
 */
class ChatroomBucketsIT {

  private static final String APP = "parley-dev";
  private static final String ROOM = "room-" + UUID.randomUUID().toString().substring(0, 8);
  private static final String KEYSPACE =
      "parley_buckets_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);
  @RegisterExtension static final Cql CQL = new Cql();
  private static MessageStore store;

  /** Every message of the room, oldest first: two legacy ones, then four a day on three days. */
  private static final List<StoredMessage> ALL = new ArrayList<>();

  private static long createdAt;

  @BeforeAll
  static void fillAChatroomOverThreeDays() throws Exception {
    TestStores.create(CLUSTER.first().system(), CQL.session(), KEYSPACE);
    store = store(true);
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    createdAt = at(today.minusDays(6), 9, 0);
    // Written by an older release into the month partition (yyyymm), before the upgrade.
    List<StoredMessage> legacy =
        List.of(
            message("legacy-0", at(today.minusDays(5), 10, 0)),
            message("legacy-1", at(today.minusDays(5), 11, 0)));
    for (StoredMessage m : legacy) {
      CQL.session()
          .execute(
              "INSERT INTO "
                  + KEYSPACE
                  + ".conversation_messages (app_id, cid, month, timestamp, msg_id, from_client, data, bin, "
                  + "mention_all, receipt, patch_timestamp, recalled) VALUES (?, ?, ?, ?, ?, 'Tom', ?, false, false, false, 0, false)",
              APP,
              ROOM,
              MessageStore.month(m.timestamp()),
              m.timestamp(),
              m.id(),
              m.data());
    }
    ALL.addAll(legacy);
    List<StoredMessage> days = new ArrayList<>();
    for (int day = 3; day >= 1; day--) {
      // Around midnight too: 00:00:00.000 and 23:59:59.999 are the day's first and last instants.
      LocalDate date = today.minusDays(day);
      days.add(message("d" + day + "-a", at(date, 0, 0)));
      days.add(message("d" + day + "-b", at(date, 12, 0)));
      days.add(message("d" + day + "-c", at(date, 12, 0)));
      days.add(message("d" + day + "-d", at(date.plusDays(1), 0, 0) - 1));
    }
    store.chatroom().write(APP, ROOM, days).toCompletableFuture().get(30, TimeUnit.SECONDS);
    ALL.addAll(days);
    ALL.sort(Comparator.comparingLong(StoredMessage::timestamp).thenComparing(StoredMessage::id));
  }

  private static MessageStore store(boolean legacyMonths) {
    return new MessageStore(
        CLUSTER.first().system(), KEYSPACE, TestStores.SETTINGS, Duration.ZERO, legacyMonths);
  }

  private static long at(LocalDate date, int hour, int minute) {
    return date.atTime(hour, minute).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  private static StoredMessage message(String id, long timestamp) {
    return new StoredMessage(
        id, "Tom", timestamp, "text " + id, false, List.of(), false, false, 0, false, null);
  }

  private static List<String> ids(List<StoredMessage> messages) {
    return messages.stream().map(StoredMessage::id).toList();
  }

  private static List<StoredMessage> page(MessageArchive archive, HistoryQuery query)
      throws Exception {
    return ((MessageStore) archive)
        .page(APP, ROOM, query, createdAt)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  private static long rowsIn(int bucket) {
    return CQL.session()
        .execute(
            "SELECT count(*) FROM "
                + KEYSPACE
                + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ?",
            APP,
            ROOM,
            bucket)
        .one()
        .getLong(0);
  }

  @Test
  void each_day_of_a_chatroom_is_its_own_partition() {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    for (int day = 1; day <= 3; day++) {
      LocalDate date = today.minusDays(day);
      int bucket = Buckets.DAY.of(at(date, 12, 0));
      assertEquals(
          (date.getYear() * 100 + date.getMonthValue()) * 100 + date.getDayOfMonth(), bucket);
      assertEquals(4, rowsIn(bucket), "day " + date);
    }
  }

  @Test
  void pages_newest_first_cross_the_day_boundaries_and_reach_the_legacy_month_rows()
      throws Exception {
    List<String> seen = new ArrayList<>();
    HistoryQuery query =
        new HistoryQuery(Long.MAX_VALUE, null, true, Long.MIN_VALUE, null, true, true, 3, null);
    List<Integer> sizes = new ArrayList<>();
    while (true) {
      List<StoredMessage> got = page(store.chatroom(), query);
      if (got.isEmpty()) {
        break;
      }
      sizes.add(got.size());
      // A page is oldest first; pages go back in time.
      List<String> newestFirst = new ArrayList<>(ids(got));
      java.util.Collections.reverse(newestFirst);
      seen.addAll(newestFirst);
      StoredMessage oldest = got.get(0);
      query =
          new HistoryQuery(
              oldest.timestamp(), oldest.id(), false, Long.MIN_VALUE, null, true, true, 3, null);
    }
    List<String> expected = new ArrayList<>(ids(ALL));
    java.util.Collections.reverse(expected);
    assertEquals(expected, seen);
    assertEquals(List.of(3, 3, 3, 3, 2), sizes);
  }

  @Test
  void pages_oldest_first_cross_the_day_boundaries() throws Exception {
    List<String> seen = new ArrayList<>();
    HistoryQuery query =
        new HistoryQuery(createdAt, null, true, Long.MAX_VALUE, null, true, false, 5, null);
    while (true) {
      List<StoredMessage> got = page(store.chatroom(), query);
      if (got.isEmpty()) {
        break;
      }
      seen.addAll(ids(got));
      StoredMessage newest = got.get(got.size() - 1);
      query =
          new HistoryQuery(
              newest.timestamp(), newest.id(), false, Long.MAX_VALUE, null, true, false, 5, null);
    }
    assertEquals(ids(ALL), seen);
  }

  @Test
  void till_bounds_recent_messages_and_patches_find_the_right_partition() throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    // Newest first from the end of day -1 down to (excluding) day -2's noon messages.
    long till = at(today.minusDays(2), 12, 0);
    List<StoredMessage> got =
        page(
            store.chatroom(),
            new HistoryQuery(at(today, 0, 0), null, false, till, null, false, true, 20, null));
    assertEquals(List.of("d2-d", "d1-a", "d1-b", "d1-c", "d1-d"), ids(got));

    List<StoredMessage> recent =
        store
            .chatroom()
            .recent(APP, ROOM, 6, createdAt)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertEquals(ids(ALL).subList(ALL.size() - 6, ALL.size()), ids(recent));

    // A recall of a legacy row and of a day row: each updates its own partition, none appears
    // twice.
    for (StoredMessage original : List.of(ALL.get(0), ALL.get(ALL.size() - 1))) {
      StoredMessage found =
          store
              .chatroom()
              .find(APP, ROOM, original.timestamp(), original.id())
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              .orElseThrow();
      store
          .chatroom()
          .update(
              APP,
              ROOM,
              found.patched(
                  "edited " + found.id(),
                  false,
                  false,
                  System.currentTimeMillis(),
                  List.of(),
                  false))
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    }
    List<StoredMessage> all =
        page(
            store.chatroom(),
            new HistoryQuery(
                Long.MAX_VALUE, null, true, Long.MIN_VALUE, null, true, true, 100, null));
    assertEquals(ids(ALL), ids(all));
    assertEquals("edited " + ALL.get(0).id(), all.get(0).data());
    assertEquals("edited " + ALL.get(ALL.size() - 1).id(), all.get(all.size() - 1).data());
  }

  @Test
  void without_legacy_months_only_the_day_partitions_are_read() throws Exception {
    List<StoredMessage> got =
        page(
            store(false).chatroom(),
            new HistoryQuery(
                Long.MAX_VALUE, null, true, Long.MIN_VALUE, null, true, true, 100, null));
    assertEquals(12, got.size());
    assertTrue(got.stream().noneMatch(m -> m.id().startsWith("legacy")), ids(got)::toString);
    // Other conversations keep month partitions.
    assertEquals(MessageStore.month(createdAt), Buckets.MONTH.of(createdAt));
  }
}
