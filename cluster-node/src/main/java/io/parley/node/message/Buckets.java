package io.parley.node.message;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * How a conversation's history is split into partitions of {@code conversation_messages} (its
 * {@code month} column, a bucket number in UTC): by month ({@code yyyymm}) for every conversation
 * but chatrooms, by day ({@code yyyymmdd}) for chatrooms, whose traffic would make month partitions
 * too large (review M11). The two kinds of numbers never overlap (6 and 8 digits), so chatroom rows
 * written by month before day buckets existed stay apart and readable ({@link
 * #DAY_AND_LEGACY_MONTH}).
 */
public enum Buckets {
  MONTH,
  DAY,
  /**
   * Day buckets, and for each month also its month partition: chatrooms on a cluster that stored
   * them by month before (parley.storage.chatroom-legacy-month-buckets).
   */
  DAY_AND_LEGACY_MONTH;

  /** The bucket a message sent at {@code epochMillis} is written to. */
  public int of(long epochMillis) {
    LocalDate date = Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate();
    return this == MONTH ? month(date) : day(date);
  }

  /** The bucket a message at {@code epochMillis} may have been written to before, or -1. */
  int legacyOf(long epochMillis) {
    return this == DAY_AND_LEGACY_MONTH
        ? month(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate())
        : -1;
  }

  /**
   * The buckets that can hold messages from {@code low} to {@code high} (milliseconds), newest
   * first (or oldest first), at most {@code max} bucket units (months or days; legacy month
   * partitions come with their days: after a month's first day newest first, before it oldest
   * first).
   */
  List<Integer> between(long low, long high, boolean newestFirst, int max) {
    LocalDate first = Instant.ofEpochMilli(Math.max(0, low)).atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate last = Instant.ofEpochMilli(Math.max(0, high)).atZone(ZoneOffset.UTC).toLocalDate();
    List<Integer> newest = new ArrayList<>();
    if (this == MONTH) {
      first = first.withDayOfMonth(1);
      for (LocalDate m = last.withDayOfMonth(1);
          !m.isBefore(first) && newest.size() < max;
          m = m.minusMonths(1)) {
        newest.add(month(m));
      }
    } else {
      int days = 0;
      for (LocalDate d = last; !d.isBefore(first) && days < max; d = d.minusDays(1), days++) {
        newest.add(day(d));
        if (this == DAY_AND_LEGACY_MONTH && (d.getDayOfMonth() == 1 || d.equals(first))) {
          newest.add(month(d));
        }
      }
    }
    if (!newestFirst) {
      java.util.Collections.reverse(newest);
    }
    return newest;
  }

  /** How many bucket units one page scans at most: two years of months, three months of days. */
  int maxScanned() {
    return this == MONTH ? 24 : 92;
  }

  private static int month(LocalDate date) {
    return date.getYear() * 100 + date.getMonthValue();
  }

  private static int day(LocalDate date) {
    return (date.getYear() * 100 + date.getMonthValue()) * 100 + date.getDayOfMonth();
  }
}
