package io.parley.node.message;

/**
 * A history page (docs/protocol.md §6.15) over the composite key (timestamp, id): {@code
 * start}/{@code startId} and {@code end}/{@code endId} bound the range, each inclusive or not;
 * {@code newestFirst} takes the newest {@code limit} (direction OLD) instead of the oldest (NEW);
 * {@code lctype} keeps only typed messages of that type; {@code reader} (null: everything) keeps
 * only what that client may see (a service conversation's per-user messages are its own).
 */
public record HistoryQuery(
    long start,
    String startId,
    boolean startIncluded,
    long end,
    String endId,
    boolean endIncluded,
    boolean newestFirst,
    int limit,
    Integer lctype,
    String reader) {

  public HistoryQuery(
      long start,
      String startId,
      boolean startIncluded,
      long end,
      String endId,
      boolean endIncluded,
      boolean newestFirst,
      int limit,
      Integer lctype) {
    this(start, startId, startIncluded, end, endId, endIncluded, newestFirst, limit, lctype, null);
  }

  /** The same page, of what {@code clientId} may see. */
  public HistoryQuery seenBy(String clientId) {
    return new HistoryQuery(
        start,
        startId,
        startIncluded,
        end,
        endId,
        endIncluded,
        newestFirst,
        limit,
        lctype,
        clientId);
  }

  /** Whether rows may be skipped (then pages are read in chunks). */
  boolean filtered() {
    return lctype != null || reader != null;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** Whether {@code message} lies inside the bounds and matches the type filter. */
  boolean accepts(StoredMessage message) {
    long high = newestFirst ? start : end;
    String highId = newestFirst ? startId : endId;
    boolean highIncluded = newestFirst ? startIncluded : endIncluded;
    long low = newestFirst ? end : start;
    String lowId = newestFirst ? endId : startId;
    boolean lowIncluded = newestFirst ? endIncluded : startIncluded;
    int againstHigh = compare(message, high, highId);
    int againstLow = compare(message, low, lowId);
    if (againstHigh > 0 || (againstHigh == 0 && !highIncluded)) {
      return false;
    }
    if (againstLow < 0 || (againstLow == 0 && !lowIncluded)) {
      return false;
    }
    return (lctype == null || lctype.equals(typeOf(message)))
        && (reader == null || message.visibleTo(reader));
  }

  /**
   * Compares a message with a bound; a bound without an id covers every message at its timestamp.
   */
  private static int compare(StoredMessage message, long timestamp, String id) {
    int byTime = Long.compare(message.timestamp(), timestamp);
    if (byTime != 0 || id == null || id.isEmpty()) {
      return byTime;
    }
    return message.id().compareTo(id);
  }

  private static Integer typeOf(StoredMessage message) {
    if (message.binary()) {
      return null;
    }
    try {
      var node = JSON.readTree(message.data());
      return node != null && node.has("_lctype") && node.get("_lctype").canConvertToInt()
          ? node.get("_lctype").intValue()
          : null;
    } catch (Exception plainText) {
      return null;
    }
  }
}
