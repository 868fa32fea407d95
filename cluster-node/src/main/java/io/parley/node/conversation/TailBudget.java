package io.parley.node.conversation;

import io.parley.node.message.StoredMessage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide memory budget of offline tails ({@code parley.storage.offline-tail-budget}): the
 * messages a conversation keeps beyond its {@link MessageLog#RECENT} newest because a member has
 * not received them yet, so that a protocol-v1 login gets its queue from memory (docs/protocol.md
 * §8.3). Shared by the node's conversation entities (thread-safe); a message is counted by its
 * estimated heap size while it is in a tail. Over budget an entity drops its tail and such a login
 * reads the queue from Cassandra instead.
 */
public final class TailBudget {

  /** No tails: every queue longer than the recent messages is read from Cassandra. */
  public static final TailBudget NONE = new TailBudget(0);

  /** Heap of a retained message beyond its strings: record, deque slot, entry in the id map. */
  private static final long MESSAGE_OVERHEAD = 240;

  private final long limitBytes;
  private final AtomicLong used = new AtomicLong();

  public TailBudget(long limitBytes) {
    if (limitBytes < 0) {
      throw new IllegalArgumentException("offline-tail-budget must not be negative: " + limitBytes);
    }
    this.limitBytes = limitBytes;
  }

  public long limitBytes() {
    return limitBytes;
  }

  /** Bytes held by tails now, all entities of the node together. */
  public long usedBytes() {
    return used.get();
  }

  /** Takes {@code bytes} if they fit in what is left; false (and nothing taken) if not. */
  boolean reserve(long bytes) {
    while (true) {
      long now = used.get();
      if (now + bytes > limitBytes) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** The estimated heap of one message held in memory (strings at 2 bytes a character). */
  static long sizeOf(StoredMessage message) {
    long size = MESSAGE_OVERHEAD + chars(message.id()) + chars(message.from());
    size += chars(message.data()) + chars(message.pushData());
    return size + names(message.mentionPids()) + names(message.toClients());
  }

  private static long names(java.util.List<String> names) {
    long size = 0;
    if (names != null) {
      for (String name : names) {
        size += 16 + chars(name);
      }
    }
    return size;
  }

  private static long chars(String text) {
    return text == null ? 0 : 40 + 2L * text.length();
  }
}
