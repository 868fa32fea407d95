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

  /**
   * The offline tail: older messages than {@link #recent}, kept while a member has not received
   * them (its delivered position is before them), up to {@link #retain} messages in all and within
   * the node's {@link TailBudget}; oldest first, contiguous with {@link #recent}.
   */
  private final ArrayDeque<StoredMessage> tail = new ArrayDeque<>();

  /** Bytes of {@link #tail} reserved in {@link #budget}. */
  private long tailBytes;

  /** Messages kept at most, recent and tail together (at least {@link #RECENT}). */
  private final int retain;

  private final TailBudget budget;

  /**
   * Every message stored after this timestamp is in memory (recent or tail): the newest one that
   * left memory, or before the oldest loaded when the archive may hold older ones.
   */
  private long droppedUpTo;

  /** A member last found waiting for the tail's oldest message: checked first the next time. */
  private String holder;

  /**
   * The same messages by id (recent and tail): an ack or read naming a message id is resolved
   * without a scan.
   */
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

  /** Only the {@link #RECENT} newest messages, no tail. */
  MessageLog() {
    this(RECENT, TailBudget.NONE);
  }

  /**
   * Keeps up to {@code retain} messages while a member has not received them (the v1 offline queue,
   * {@code offline-messages-per-conversation}), their bytes counted in the node-wide {@code
   * budget}.
   */
  MessageLog(int retain, TailBudget budget) {
    this.retain = Math.max(RECENT, retain);
    this.budget = budget;
  }

  boolean loaded() {
    return loaded;
  }

  void loaded(List<StoredMessage> newestOldestFirst, Map<String, Long> newestIds) {
    release();
    recent.clear();
    recentById.clear();
    newestOldestFirst.forEach(this::remember);
    // The archive may hold older messages than a full page.
    droppedUpTo = newestOldestFirst.size() >= RECENT ? newestOldestFirst.get(0).timestamp() - 1 : 0;
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

  void written(List<Pending> batch, boolean durable, ConversationState state) {
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
    trim(state);
  }

  private void remember(StoredMessage message) {
    storedIds.put(message.id(), message.timestamp());
    if (!recent.isEmpty() && recent.peekLast().timestamp() > message.timestamp()) {
      // A resend of a failed write keeps its original timestamp: keep the messages in order (one
      // older than the tail's oldest is in the archive only).
      if (message.timestamp() <= droppedUpTo
          || !tail.isEmpty() && tail.peekFirst().timestamp() > message.timestamp()) {
        droppedUpTo = Math.max(droppedUpTo, message.timestamp());
        return;
      }
      List<StoredMessage> ordered = new ArrayList<>(tail);
      ordered.addAll(recent);
      ordered.add(message);
      ordered.sort(java.util.Comparator.comparingLong(StoredMessage::timestamp));
      budget.release(tailBytes);
      tailBytes = 0;
      tail.clear();
      recent.clear();
      recent.addAll(ordered);
      recentById.put(message.id(), message);
      while (recent.size() > RECENT) {
        overflow(recent.removeFirst());
      }
      return;
    }
    recent.addLast(message);
    recentById.put(message.id(), message);
    lastTimestamp = Math.max(lastTimestamp, message.timestamp());
    while (recent.size() > RECENT) {
      overflow(recent.removeFirst());
    }
  }

  /**
   * The oldest of the recent messages makes room: it joins the tail while the cap and the node's
   * budget allow (at the cap the tail's oldest leaves); over budget the whole tail leaves memory.
   * Who still waits for it is checked by {@link #trim}.
   */
  private void overflow(StoredMessage oldest) {
    if (retain > RECENT && tail.size() >= retain - RECENT) {
      dropOldest();
    }
    long size = TailBudget.sizeOf(oldest);
    if (retain > RECENT && budget.reserve(size)) {
      tail.addLast(oldest);
      tailBytes += size;
    } else {
      release();
      leave(oldest);
    }
  }

  private void dropOldest() {
    StoredMessage oldest = tail.removeFirst();
    long size = TailBudget.sizeOf(oldest);
    tailBytes -= size;
    budget.release(size);
    leave(oldest);
  }

  /** A message leaves memory: from now on a queue reaching back to it is read from the archive. */
  private void leave(StoredMessage message) {
    recentById.remove(message.id());
    droppedUpTo = Math.max(droppedUpTo, message.timestamp());
  }

  /** Drops the tail and gives its bytes back to the node (also when the entity stops). */
  void release() {
    while (!tail.isEmpty()) {
      dropOldest();
    }
  }

  /** Bytes this conversation's tail holds of the node's budget. */
  long tailBytes() {
    return tailBytes;
  }

  /** Messages in memory, recent and tail. */
  int size() {
    return tail.size() + recent.size();
  }

  /**
   * Drops the tail's oldest messages as long as every member they are for has received them, so
   * that a conversation whose members are online keeps only its {@link #RECENT} newest. Chatrooms
   * keep no positions and no tail.
   */
  void trim(ConversationState state) {
    if (state.kind() == ConversationState.Kind.TRANSIENT) {
      release();
      return;
    }
    while (!tail.isEmpty() && !awaited(tail.peekFirst(), state)) {
      dropOldest();
    }
  }

  private boolean awaited(StoredMessage message, ConversationState state) {
    if (holder != null && state.members().contains(holder) && awaits(holder, message, state)) {
      return true;
    }
    for (String member : state.members()) {
      if (awaits(member, message, state)) {
        holder = member;
        return true;
      }
    }
    holder = null;
    return false;
  }

  private boolean awaits(String member, StoredMessage message, ConversationState state) {
    return !message.from().equals(member)
        && message.visibleTo(member)
        && ackedBy(member, state) < message.timestamp();
  }

  /** Recent and tail, oldest first. */
  private java.util.stream.Stream<StoredMessage> messages() {
    return tail.isEmpty()
        ? recent.stream()
        : java.util.stream.Stream.concat(tail.stream(), recent.stream());
  }

  /**
   * Whether messages after {@code position} may exist that are no longer in memory (or were never
   * loaded into it).
   */
  boolean mayHaveOlder(long position) {
    return position < droppedUpTo;
  }

  Optional<StoredMessage> last() {
    return Optional.ofNullable(recent.peekLast());
  }

  /**
   * The newest message {@code member} may see (null: the newest to every member, for what all
   * readers of the conversation see).
   */
  Optional<StoredMessage> lastVisibleTo(String member) {
    for (ArrayDeque<StoredMessage> part : List.of(recent, tail)) {
      java.util.Iterator<StoredMessage> newestFirst = part.descendingIterator();
      while (newestFirst.hasNext()) {
        StoredMessage message = newestFirst.next();
        if (member == null ? message.toClients().isEmpty() : message.visibleTo(member)) {
          return Optional.of(message);
        }
      }
    }
    return Optional.empty();
  }

  Optional<StoredMessage> find(String id) {
    return Optional.ofNullable(recentById.get(id));
  }

  List<StoredMessage> patchedSince(long since) {
    return messages().filter(m -> m.patchTimestamp() > since).toList();
  }

  /**
   * A message deleted by the app server leaves the recent messages (unread counts, offline queues).
   */
  void remove(String id) {
    StoredMessage removed = recentById.remove(id);
    if (removed != null && !recent.removeIf(m -> m.id().equals(id)) && tail.remove(removed)) {
      long size = TailBudget.sizeOf(removed);
      tailBytes -= size;
      budget.release(size);
    }
  }

  void replace(StoredMessage patched) {
    StoredMessage original = recentById.get(patched.id());
    if (original == null) {
      return;
    }
    recentById.put(patched.id(), patched);
    replaceIn(recent, original, patched);
    if (replaceIn(tail, original, patched)) {
      // The patched message stays counted at its new size (a patch may not be refused).
      long delta = TailBudget.sizeOf(patched) - TailBudget.sizeOf(original);
      tailBytes += delta;
      budget.release(-delta);
    }
  }

  private static boolean replaceIn(
      ArrayDeque<StoredMessage> part, StoredMessage original, StoredMessage patched) {
    if (!part.contains(original)) {
      return false;
    }
    List<StoredMessage> copy = new ArrayList<>(part);
    part.clear();
    copy.forEach(m -> part.addLast(m == original ? patched : m));
    return true;
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
    if (!tail.isEmpty() && before < tail.peekFirst().timestamp()) {
      trim(state); // this member may have been the last one the tail's oldest waited for
    }
    return collect
        ? messages().filter(m -> m.timestamp() > before && m.timestamp() <= upTo).toList()
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
   * Messages from others after {@code member}'s read position among the recent ones: the unread
   * count (capped at {@link #RECENT}) and mentions, whether or not a tail is kept.
   */
  List<StoredMessage> unreadBy(String member, ConversationState state, long now) {
    return forAfter(recent.stream(), member, readBy(member, state), now);
  }

  /**
   * The recent messages after {@code since} from others that {@code member} sees and that are still
   * deliverable at {@code now}.
   */
  private static List<StoredMessage> forAfter(
      java.util.stream.Stream<StoredMessage> messages, String member, long since, long now) {
    return messages
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
    return forAfter(messages(), member, ackedBy(member, state), now);
  }
}
