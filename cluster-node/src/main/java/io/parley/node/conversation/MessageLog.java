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
 * A conversation's in-memory view of its recent messages and of its members' positions, owned by
 * the {@link Conversation} entity and never persisted as such: the newest messages (rebuilt from
 * the message archive when the entity starts), the sends waiting for their batch write, recent
 * de-duplication tokens, and each member's delivered/read position ahead of the last persisted one
 * (positions are persisted in coalesced events; after a crash they fall back, which re-delivers and
 * never loses).
 *
 * <p>De-duplication of resends (docs/protocol.md §7.10) outlives the entity: a message sent with a
 * client token ({@code dt}) gets an id derived from (app, conversation, sender, token), so a resend
 * after a crash, handoff or restart finds the stored original among the recent messages reloaded
 * from the archive. A resend while the original is still being written waits for that write; a
 * resend after a failed write (which may have stored the row anyway, e.g. on a timeout) writes the
 * very same row again, an idempotent overwrite.
 */
final class MessageLog {

  /** Messages kept in memory: also the cap of an offline queue and of an unread count (§17). */
  static final int RECENT = 100;

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Resends are recognised among this many of the conversation's newest messages (docs/protocol.md
   * §7.10).
   */
  static final int DEDUP_ENTRIES = 1000;

  /**
   * Failed writes remembered for a resend (their row may exist): at most this many per
   * conversation.
   */
  private static final int UNCERTAIN_ENTRIES = 256;

  /**
   * A send waiting for its batch to be durable, and who gets it then (its edge's audience, the
   * app's hook).
   */
  record Pending(
      StoredMessage message,
      String dedupKey,
      org.apache.pekko.actor.typed.ActorRef<Conversation.Reply> replyTo,
      org.apache.pekko.actor.typed.ActorRef<Delivery> origin,
      ConversationMessaging.Route route) {}

  private final ArrayDeque<StoredMessage> recent = new ArrayDeque<>();

  /** The same messages by id: an ack or read naming a message id is resolved without a scan. */
  private final Map<String, StoredMessage> recentById = new HashMap<>();

  private final List<Pending> pending = new ArrayList<>();
  private final Map<String, StoredMessage> sentByToken =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, StoredMessage> eldest) {
          return size() > DEDUP_ENTRIES;
        }
      };

  /** Sends whose write failed, by token: a resend rewrites the same id and timestamp. */
  private final Map<String, StoredMessage> uncertainByToken =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, StoredMessage> eldest) {
          return size() > UNCERTAIN_ENTRIES;
        }
      };

  /** Resends that arrived while their original was pending or being written, by message id. */
  private final Map<String, List<org.apache.pekko.actor.typed.ActorRef<Conversation.Reply>>>
      waiting = new HashMap<>();

  private List<Pending> inFlight = List.of();

  /**
   * Ids and timestamps of the newest stored messages (beyond {@link #RECENT}), by which a resend is
   * recognised.
   */
  private final Map<String, Long> storedIds =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
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

  void loaded(List<StoredMessage> newestOldestFirst, Map<String, Long> newestIds) {
    recent.clear();
    recentById.clear();
    newestOldestFirst.forEach(this::remember);
    storedIds.clear();
    newestIds.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> storedIds.put(e.getKey(), e.getValue()));
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

  /**
   * The id of a new message: derived from the sender's token when there is one (16 bytes of
   * SHA-256, the same 22-character form as a random id), so that a resend is recognised after the
   * entity restarted.
   */
  static String messageIdFor(String appId, String cid, String dedupKey) {
    if (dedupKey == null) {
      return newMessageId();
    }
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  (appId + "\u0000" + cid + "\u0000" + dedupKey)
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(java.util.Arrays.copyOf(digest, 16));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  /**
   * The id and timestamp of a resend's stored original: by token while this entity runs, else by
   * the id derived from the token among the newest messages stored (reloaded when the entity
   * starts).
   */
  Optional<Long> resent(String dedupKey, String id) {
    if (dedupKey == null) {
      return Optional.empty();
    }
    StoredMessage known = sentByToken.get(dedupKey);
    return known != null ? Optional.of(known.timestamp()) : Optional.ofNullable(storedIds.get(id));
  }

  /**
   * A resend's original that an earlier run of this conversation stored (found among the reloaded
   * ids, with its content among the recent messages) and may have died before delivering: it is
   * handed out once, for delivery again, and then counts as delivered by this run.
   */
  Optional<StoredMessage> storedByAnEarlierRun(String dedupKey, String id) {
    if (dedupKey == null || sentByToken.containsKey(dedupKey) || !storedIds.containsKey(id)) {
      return Optional.empty();
    }
    Optional<StoredMessage> original = find(id);
    original.ifPresent(message -> sentByToken.put(dedupKey, message));
    return original;
  }

  /**
   * Whether the message {@code id} is waiting for or in its write; if so {@code replyTo} gets its
   * answer too.
   */
  boolean awaitPending(
      String id, org.apache.pekko.actor.typed.ActorRef<Conversation.Reply> replyTo) {
    boolean pendingNow =
        pending.stream().anyMatch(p -> p.message().id().equals(id))
            || inFlight.stream().anyMatch(p -> p.message().id().equals(id));
    if (pendingNow) {
      waiting.computeIfAbsent(id, key -> new ArrayList<>()).add(replyTo);
    }
    return pendingNow;
  }

  /** Resends waiting for the write of message {@code id} (removed). */
  List<org.apache.pekko.actor.typed.ActorRef<Conversation.Reply>> waitingFor(String id) {
    List<org.apache.pekko.actor.typed.ActorRef<Conversation.Reply>> found = waiting.remove(id);
    return found == null ? List.of() : found;
  }

  /** A message whose write failed under this token, to be written again unchanged (removed). */
  Optional<StoredMessage> uncertain(String dedupKey) {
    return dedupKey == null
        ? Optional.empty()
        : Optional.ofNullable(uncertainByToken.remove(dedupKey));
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
    inFlight = batch;
    return batch;
  }

  /** Whether sends wait for a write or are being written. */
  boolean busy() {
    return writing || !pending.isEmpty();
  }

  void written(List<Pending> batch, boolean durable) {
    writing = false;
    inFlight = List.of();
    for (Pending send : batch) {
      if (durable) {
        remember(send.message());
        if (send.dedupKey() != null) {
          sentByToken.put(send.dedupKey(), send.message());
        }
      } else if (send.dedupKey() != null) {
        uncertainByToken.put(send.dedupKey(), send.message());
      }
    }
  }

  private void remember(StoredMessage message) {
    storedIds.put(message.id(), message.timestamp());
    if (!recent.isEmpty() && recent.peekLast().timestamp() > message.timestamp()) {
      // A resend of a failed write keeps its original timestamp: keep the messages in order.
      List<StoredMessage> ordered = new ArrayList<>(recent);
      ordered.add(message);
      ordered.sort(java.util.Comparator.comparingLong(StoredMessage::timestamp));
      recent.clear();
      recent.addAll(ordered);
      recentById.put(message.id(), message);
      while (recent.size() > RECENT) {
        recentById.remove(recent.removeFirst().id());
      }
      return;
    }
    recent.addLast(message);
    recentById.put(message.id(), message);
    lastTimestamp = Math.max(lastTimestamp, message.timestamp());
    while (recent.size() > RECENT) {
      recentById.remove(recent.removeFirst().id());
    }
  }

  /**
   * Whether messages after {@code position} may exist that are no longer in memory: memory is full
   * and its oldest message is still after the position.
   */
  boolean mayHaveOlder(long position) {
    return recent.size() >= RECENT && recent.peekFirst().timestamp() > position;
  }

  Optional<StoredMessage> last() {
    return Optional.ofNullable(recent.peekLast());
  }

  /**
   * The newest message {@code member} may see (null: the newest to every member, for what all
   * readers of the conversation see).
   */
  Optional<StoredMessage> lastVisibleTo(String member) {
    java.util.Iterator<StoredMessage> newestFirst = recent.descendingIterator();
    while (newestFirst.hasNext()) {
      StoredMessage message = newestFirst.next();
      if (member == null ? message.toClients().isEmpty() : message.visibleTo(member)) {
        return Optional.of(message);
      }
    }
    return Optional.empty();
  }

  Optional<StoredMessage> find(String id) {
    return Optional.ofNullable(recentById.get(id));
  }

  List<StoredMessage> patchedSince(long since) {
    return recent.stream().filter(m -> m.patchTimestamp() > since).toList();
  }

  /**
   * A message deleted by the app server leaves the recent messages (unread counts, offline queues).
   */
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

  // -------------------------------------------------------------------------------------------
  // positions

  long ackedBy(String member, ConversationState state) {
    return Math.max(acked.getOrDefault(member, 0L), state.acked().getOrDefault(member, 0L));
  }

  long readBy(String member, ConversationState state) {
    return Math.max(read.getOrDefault(member, 0L), state.read().getOrDefault(member, 0L));
  }

  /**
   * Advances {@code member}'s delivered position; returns the messages newly delivered to it when
   * {@code collect} (delivery receipts need them), else nothing: in a large group an ack costs
   * O(1).
   */
  List<StoredMessage> ack(String member, long upTo, ConversationState state, boolean collect) {
    long before = ackedBy(member, state);
    if (upTo <= before) {
      return List.of();
    }
    acked.put(member, upTo);
    return collect
        ? recent.stream().filter(m -> m.timestamp() > before && m.timestamp() <= upTo).toList()
        : List.of();
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
    acked.forEach(
        (member, at) -> {
          if (at > state.acked().getOrDefault(member, 0L)) {
            unsaved.put(member, at);
          }
        });
    return unsaved;
  }

  Map<String, Long> unsavedReads(ConversationState state) {
    Map<String, Long> unsaved = new HashMap<>();
    read.forEach(
        (member, at) -> {
          if (at > state.read().getOrDefault(member, 0L)) {
            unsaved.put(member, at);
          }
        });
    return unsaved;
  }

  /**
   * Messages from others after {@code member}'s read position: the unread count (capped) and
   * mentions.
   */
  List<StoredMessage> unreadBy(String member, ConversationState state, long now) {
    return forAfter(member, readBy(member, state), now);
  }

  /**
   * The recent messages after {@code since} from others that {@code member} sees and that are still
   * deliverable at {@code now}.
   */
  private List<StoredMessage> forAfter(String member, long since, long now) {
    return recent.stream()
        .filter(
            m ->
                m.timestamp() > since
                    && !m.from().equals(member)
                    && m.visibleTo(member)
                    && m.validAt(now))
        .toList();
  }

  /** Messages from others after {@code member}'s delivered position: its offline queue (§8.3). */
  List<StoredMessage> undeliveredTo(String member, ConversationState state, long now) {
    return forAfter(member, ackedBy(member, state), now);
  }
}
