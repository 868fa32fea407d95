package io.parley.node.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which partitions a history page reads, per kind of conversation (review M11). */
class BucketsTest {

  private static long at(int year, int month, int day, int hour) {
    return LocalDateTime.of(year, month, day, hour, 0).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  @Test
  void months_for_conversations_days_for_chatrooms_never_the_same_number() {
    long t = at(2026, 11, 30, 23);
    assertEquals(202611, Buckets.MONTH.of(t));
    assertEquals(20261130, Buckets.DAY.of(t));
    assertEquals(20261130, Buckets.DAY_AND_LEGACY_MONTH.of(t));
    assertEquals(202611, Buckets.DAY_AND_LEGACY_MONTH.legacyOf(t));
    assertEquals(-1, Buckets.DAY.legacyOf(t));
  }

  @Test
  void a_range_across_a_month_end_lists_its_days_and_legacy_months_in_reading_order() {
    long low = at(2026, 10, 30, 12);
    long high = at(2026, 11, 2, 1);
    assertEquals(List.of(202611, 202610), Buckets.MONTH.between(low, high, true, 24));
    assertEquals(List.of(202610, 202611), Buckets.MONTH.between(low, high, false, 24));
    assertEquals(
        List.of(20261102, 20261101, 20261031, 20261030), Buckets.DAY.between(low, high, true, 92));
    // Each month's legacy partition holds rows older than its days: after them newest first.
    assertEquals(
        List.of(20261102, 20261101, 202611, 20261031, 20261030, 202610),
        Buckets.DAY_AND_LEGACY_MONTH.between(low, high, true, 92));
    assertEquals(
        List.of(202610, 20261030, 20261031, 202611, 20261101, 20261102),
        Buckets.DAY_AND_LEGACY_MONTH.between(low, high, false, 92));
    // Bounded: at most this many days (or months) per page.
    assertEquals(List.of(20261102, 20261101), Buckets.DAY.between(low, high, true, 2));
  }
}
