package io.parley.node.message;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;

/**
 * A message archive in memory, for entity unit tests; the real one is exercised by the integration
 * tests.
 */
public final class InMemoryArchive implements MessageArchive {

  private final Map<String, List<StoredMessage>> byConversation = new ConcurrentHashMap<>();
  private int recentFailures;
  private int writeTimeouts;

  /** The next {@code times} loads of recent messages fail, as with Cassandra unavailable. */
  public synchronized void failRecent(int times) {
    recentFailures = times;
  }

  /**
   * The next {@code times} writes store their rows but report a failure, as a Cassandra write
   * timeout may.
   */
  public synchronized void timeOutWrites(int times) {
    writeTimeouts = times;
  }

  /** Partitions are Cassandra's concern: chatrooms share the one map. */
  @Override
  public MessageArchive chatroom() {
    return this;
  }

  /**
   * Stores like Cassandra: a row is keyed by (timestamp, id), so writing the same message again
   * overwrites it.
   */
  @Override
  public synchronized CompletionStage<Done> write(
      String appId, String cid, List<StoredMessage> messages) {
    List<StoredMessage> rows =
        byConversation.computeIfAbsent(appId + ":" + cid, key -> new ArrayList<>());
    for (StoredMessage message : messages) {
      rows.removeIf(m -> m.id().equals(message.id()) && m.timestamp() == message.timestamp());
      rows.add(message);
    }
    if (writeTimeouts > 0) {
      writeTimeouts--;
      return CompletableFuture.failedFuture(new IllegalStateException("write timed out"));
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public synchronized CompletionStage<List<StoredMessage>> recent(
      String appId, String cid, int limit, long createdAt) {
    if (recentFailures > 0) {
      recentFailures--;
      return CompletableFuture.failedFuture(new IllegalStateException("archive unavailable"));
    }
    List<StoredMessage> all =
        new ArrayList<>(byConversation.getOrDefault(appId + ":" + cid, List.of()));
    all.sort(Comparator.comparingLong(StoredMessage::timestamp));
    return CompletableFuture.completedFuture(
        List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size())));
  }

  @Override
  public synchronized CompletionStage<Map<String, Long>> recentIds(
      String appId, String cid, int limit, long createdAt) {
    if (recentFailures > 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("archive unavailable"));
    }
    List<StoredMessage> all =
        new ArrayList<>(byConversation.getOrDefault(appId + ":" + cid, List.of()));
    all.sort(Comparator.comparingLong(StoredMessage::timestamp).reversed());
    Map<String, Long> ids = new java.util.HashMap<>();
    all.stream().limit(limit).forEach(m -> ids.put(m.id(), m.timestamp()));
    return CompletableFuture.completedFuture(ids);
  }

  @Override
  public synchronized CompletionStage<Optional<StoredMessage>> find(
      String appId, String cid, long timestamp, String id) {
    return CompletableFuture.completedFuture(
        byConversation.getOrDefault(appId + ":" + cid, List.of()).stream()
            .filter(m -> m.id().equals(id))
            .findFirst());
  }

  @Override
  public synchronized CompletionStage<Done> update(
      String appId, String cid, StoredMessage message) {
    List<StoredMessage> messages =
        byConversation.getOrDefault(appId + ":" + cid, new ArrayList<>());
    messages.replaceAll(m -> m.id().equals(message.id()) ? message : m);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public synchronized CompletionStage<Done> delete(
      String appId, String cid, long timestamp, String id) {
    byConversation
        .getOrDefault(appId + ":" + cid, new ArrayList<>())
        .removeIf(m -> m.id().equals(id));
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  public synchronized List<StoredMessage> stored(String appId, String cid) {
    return List.copyOf(byConversation.getOrDefault(appId + ":" + cid, List.of()));
  }
}
