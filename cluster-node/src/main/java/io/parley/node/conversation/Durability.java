package io.parley.node.conversation;

import java.time.Duration;

/**
 * Journal retention and position persistence of the {@link Conversation} entities ({@code
 * parley.storage}): a snapshot every {@code snapshotEvery} events (0: none), {@code keepSnapshots}
 * kept, older events deleted when {@code deleteEventsOnSnapshot}; positions that moved persisted
 * every {@code positionFlush} and on stop; the member index told of new messages at most every
 * {@code indexActivityInterval}; the node's memory for offline tails ({@link TailBudget}, shared by
 * its entities).
 */
public record Durability(
    int snapshotEvery,
    int keepSnapshots,
    boolean deleteEventsOnSnapshot,
    Duration positionFlush,
    Duration indexActivityInterval,
    TailBudget tailBudget) {
  public static final Durability DEFAULT =
      new Durability(200, 2, true, Duration.ofSeconds(3), Duration.ofMinutes(10));

  /** Without offline tails (queues beyond the recent messages are read from Cassandra). */
  public Durability(
      int snapshotEvery,
      int keepSnapshots,
      boolean deleteEventsOnSnapshot,
      Duration positionFlush,
      Duration indexActivityInterval) {
    this(
        snapshotEvery,
        keepSnapshots,
        deleteEventsOnSnapshot,
        positionFlush,
        indexActivityInterval,
        TailBudget.NONE);
  }
}
