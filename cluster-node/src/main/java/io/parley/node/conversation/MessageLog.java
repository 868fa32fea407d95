package io.parley.node.conversation;

import io.parley.node.message.StoredMessage;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A conversation's in-memory view of its recent messages and of its members' positions, owned by the
 * {@link Conversation} entity and never persisted as such: the newest messages (rebuilt from the message
 * archive when the entity starts), the sends waiting for their batch write, recent de-duplication tokens,
 * and each member's delivered/read position ahead of the last persisted one (positions are persisted in
 * coalesced events; after a crash they fall back, which re-delivers and never loses).
 */
final class MessageLog {

  /** Messages kept in memory: also the cap of an offline queue and of an unread count (§17). */
  static final int RECENT = 100;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int DEDUP_ENTRIES = 1000;

  /** A send waiting for its batch to be durable, and who gets it then. */
  record Pending(StoredMessage message, String dedupKey, org.apache.pekko.actor.typed.ActorRef<Conversation.Reply> replyTo,
      org.apache.pekko.actor.typed.ActorRef<Delivery> origin, ConversationMessaging.Audience audience) {}

  private final ArrayDeque<StoredMessage> recent = new ArrayDeque<>();
  /** The same messages by id: an ack or read naming a message id is resolved without a scan. */
  private final Map<String, StoredMessage> recentById = new HashMap<>();
  private final List<Pending> pending = new ArrayList<>();
  private final Map<String, StoredMessage> sentByToken = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, StoredMessage> eldest) {
      return size() > DEDUP_ENTRIES;
    }
  };
  private final Map<String, Long> acked = new HashMap<>();
  private final Map<String, Long> read = new HashMap<>();
  private boolean loaded;
  private boolean writing;
  private long lastTimestamp;

  boolean loaded() {
    return loaded;
  }

  void loaded(List<StoredMessage> newestOldestFirst) {
    recent.clear();
    recentById.clear();
    newestOldestFirst.forEach(this::remember);
    loaded = true;
  }

  /** Strictly increasing per conversation, as close to the clock as possible. */
  long nextTimestamp(long now) {
    lastTimestamp = Math.max(now, lastTimestamp + 1);
    return lastTimestamp;
  }

  static String newMessageId() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
  }

  Optional<StoredMessage> resent(String dedupKey) {
    return dedupKey == null ? Optional.empty() : Optional.ofNullable(sentByToken.get(dedupKey));
  }

  void enqueue(Pending send) {
    pending.add(send);
  }

  /** The sends to write now, if no write is in flight. */
  List<Pending> nextBatch() {
    if (writing || pending.isEmpty()) {
      return List.of();
    }
    writing = true;
    List<Pending> batch = List.copyOf(pending);
    pending.clear();
    return batch;
  }

  /** Whether sends wait for a write or are being written. */
  boolean busy() {
    return writing || !pending.isEmpty();
  }

  void written(List<Pending> batch, boolean durable) {
    writing = false;
    if (durable) {
      for (Pending send : batch) {
        remember(send.message());
        if (send.dedupKey() != null) {
          sentByToken.put(send.dedupKey(), send.message());
        }
      }
    }
  }

  private void remember(StoredMessage message) {
    recent.addLast(message);
    recentById.put(message.id(), message);
    lastTimestamp = Math.max(lastTimestamp, message.timestamp());
    while (recent.size() > RECENT) {
      recentById.remove(recent.removeFirst().id());
    }
  }

  /**
   * Whether messages after {@code position} may exist that are no longer in memory: memory is full and its
   * oldest message is still after the position.
   */
  boolean mayHaveOlder(long position) {
    return recent.size() >= RECENT && recent.peekFirst().timestamp() > position;
  }

  Optional<StoredMessage> last() {
    return Optional.ofNullable(recent.peekLast());
  }

  Optional<StoredMessage> find(String id) {
    return Optional.ofNullable(recentById.get(id));
  }

  List<StoredMessage> patchedSince(long since) {
    return recent.stream().filter(m -> m.patchTimestamp() > since).toList();
  }

  /** A message deleted by the app server leaves the recent messages (unread counts, offline queues). */
  void remove(String id) {
    if (recentById.remove(id) != null) {
      recent.removeIf(m -> m.id().equals(id));
    }
  }

  void replace(StoredMessage patched) {
    List<StoredMessage> copy = new ArrayList<>(recent);
    recent.clear();
    copy.forEach(m -> recent.addLast(m.id().equals(patched.id()) ? patched : m));
    if (recentById.containsKey(patched.id())) {
      recentById.put(patched.id(), patched);
    }
  }

  // ------------------------------------------------------------------------------------------- positions

  long ackedBy(String member, ConversationState state) {
    return Math.max(acked.getOrDefault(member, 0L), state.acked().getOrDefault(member, 0L));
  }

  long readBy(String member, ConversationState state) {
    return Math.max(read.getOrDefault(member, 0L), state.read().getOrDefault(member, 0L));
  }

  /**
   * Advances {@code member}'s delivered position; returns the messages newly delivered to it when
   * {@code collect} (delivery receipts need them), else nothing: in a large group an ack costs O(1).
   */
  List<StoredMessage> ack(String member, long upTo, ConversationState state, boolean collect) {
    long before = ackedBy(member, state);
    if (upTo <= before) {
      return List.of();
    }
    acked.put(member, upTo);
    return collect ? recent.stream().filter(m -> m.timestamp() > before && m.timestamp() <= upTo).toList() : List.of();
  }

  /** Advances {@code member}'s read position (which also counts as delivered). */
  boolean read(String member, long upTo, ConversationState state) {
    ack(member, upTo, state, false);
    if (upTo <= readBy(member, state)) {
      return false;
    }
    read.put(member, upTo);
    return true;
  }

  /** Positions not yet persisted, for one coalesced event; empty when nothing moved. */
  Map<String, Long> unsavedAcks(ConversationState state) {
    Map<String, Long> unsaved = new HashMap<>();
    acked.forEach((member, at) -> {
      if (at > state.acked().getOrDefault(member, 0L)) {
        unsaved.put(member, at);
      }
    });
    return unsaved;
  }

  Map<String, Long> unsavedReads(ConversationState state) {
    Map<String, Long> unsaved = new HashMap<>();
    read.forEach((member, at) -> {
      if (at > state.read().getOrDefault(member, 0L)) {
        unsaved.put(member, at);
      }
    });
    return unsaved;
  }

  /** Messages from others after {@code member}'s read position: the unread count (capped) and mentions. */
  List<StoredMessage> unreadBy(String member, ConversationState state) {
    long since = readBy(member, state);
    return recent.stream().filter(m -> m.timestamp() > since && !m.from().equals(member)).toList();
  }

  /** Messages from others after {@code member}'s delivered position: its offline queue (§8.3). */
  List<StoredMessage> undeliveredTo(String member, ConversationState state) {
    long since = ackedBy(member, state);
    return recent.stream().filter(m -> m.timestamp() > since && !m.from().equals(member)).toList();
  }
}
