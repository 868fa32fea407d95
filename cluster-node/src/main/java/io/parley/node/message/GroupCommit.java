package io.parley.node.message;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.parley.node.concurrent.RateLimitedLog;
import io.parley.node.metrics.NodeMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;

/**
 * Group commit of new messages, for all conversations of this node: writes that arrive while others
 * are in flight are sent together as one unlogged batch (bounded in statements and bytes), with at
 * most a few batches in flight. At low load a write goes out at once, alone; under load each round
 * trip to Cassandra carries many messages, which is what lets one node store thousands of messages
 * a second. Each caller's future completes only when its batch is durable (at the configured
 * consistency), on a Pekko dispatcher thread, never on the driver's I/O threads.
 *
 * <p>Rows are keyed by message id and timestamp, so the statements are idempotent: a driver retry
 * rewrites the same row and can never create a second copy of a message.
 */
final class GroupCommit {

  /** Limits of one batch and of the writes in flight. */
  record Settings(
      int maxStatements,
      int maxBytes,
      int inFlight,
      int maxQueued,
      ConsistencyLevel consistency,
      Duration timeout) {}

  /**
   * The node has more messages waiting for Cassandra than it may queue: the write is refused at
   * once.
   */
  static final class Overloaded extends RuntimeException {
    Overloaded(int queued) {
      super(queued + " messages are waiting to be written", null, false, false);
    }
  }

  private record Write(
      String appId, String cid, int bucket, StoredMessage message, CompletableFuture<Done> done) {}

  private final CompletionStage<CqlSession> session;
  private final String insertCql;

  /** Prepared once; prepared again after a failure (Cassandra down at start). */
  private volatile CompletableFuture<PreparedStatement> insert;

  private final Settings settings;
  private final Executor executor;
  private final NodeMetrics metrics;
  private final ArrayDeque<Write> queue = new ArrayDeque<>();
  private final RateLimitedLog log =
      new RateLimitedLog(
          org.slf4j.LoggerFactory.getLogger(GroupCommit.class), Duration.ofSeconds(10));
  private int inFlight;
  private boolean waitingForSession;

  GroupCommit(
      CompletionStage<CqlSession> session,
      String insertCql,
      Settings settings,
      Executor executor,
      NodeMetrics metrics) {
    this.session = session;
    this.insertCql = insertCql;
    this.settings = settings;
    this.executor = executor;
    this.metrics = metrics;
    metrics.writeQueue(this::queued);
  }

  /** Messages waiting for a batch (not those in flight). */
  synchronized int queued() {
    return queue.size();
  }

  /** Completes when every message of {@code messages} is durable. */
  CompletionStage<Done> write(
      String appId, String cid, List<StoredMessage> messages, Buckets buckets) {
    List<CompletableFuture<Done>> written = new ArrayList<>(messages.size());
    synchronized (this) {
      if (queue.size() + messages.size() > settings.maxQueued()) {
        log.warn(
            "Refusing new messages: {} are waiting for Cassandra (max-queued-writes {})",
            queue.size(),
            settings.maxQueued());
        return CompletableFuture.failedFuture(new Overloaded(queue.size()));
      }
      for (StoredMessage message : messages) {
        CompletableFuture<Done> done = new CompletableFuture<>();
        queue.add(new Write(appId, cid, buckets.of(message.timestamp()), message, done));
        written.add(done);
      }
    }
    drain();
    return written.size() == 1
        ? written.get(0)
        : CompletableFuture.allOf(written.toArray(CompletableFuture[]::new))
            .thenApply(all -> Done.getInstance());
  }

  private synchronized CompletableFuture<PreparedStatement> prepared() {
    if (insert == null || insert.isCompletedExceptionally()) {
      insert = session.thenCompose(cql -> cql.prepareAsync(insertCql)).toCompletableFuture();
    }
    return insert;
  }

  private void drain() {
    CompletableFuture<PreparedStatement> prepared =
        insert != null && !insert.isCompletedExceptionally() ? insert : prepared();
    if (!prepared.isDone()) {
      synchronized (this) {
        if (waitingForSession) {
          return;
        }
        waitingForSession = true;
      }
      prepared.whenCompleteAsync(
          (statement, failure) -> {
            synchronized (this) {
              waitingForSession = false;
            }
            drain();
          },
          executor);
      return;
    }
    if (prepared.isCompletedExceptionally()) {
      // Fail what waits now; the next write prepares again.
      failAll(prepared.handle((statement, failure) -> failure).join());
      return;
    }
    while (true) {
      List<Write> batch = nextBatch();
      if (batch.isEmpty()) {
        return;
      }
      execute(prepared.join(), batch);
    }
  }

  private synchronized List<Write> nextBatch() {
    if (inFlight >= settings.inFlight() || queue.isEmpty()) {
      return List.of();
    }
    List<Write> batch = new ArrayList<>();
    int bytes = 0;
    while (!queue.isEmpty() && batch.size() < settings.maxStatements()) {
      int size = sizeOf(queue.peek().message());
      if (!batch.isEmpty() && bytes + size > settings.maxBytes()) {
        break;
      }
      bytes += size;
      batch.add(queue.poll());
    }
    inFlight++;
    return batch;
  }

  private void execute(PreparedStatement statement, List<Write> batch) {
    BatchStatementBuilder builder =
        BatchStatement.builder(DefaultBatchType.UNLOGGED)
            .setConsistencyLevel(settings.consistency())
            .setIdempotence(true)
            .setTimeout(settings.timeout());
    for (Write write : batch) {
      StoredMessage m = write.message();
      com.datastax.oss.driver.api.core.cql.BoundStatement bound =
          statement.bind(
              write.appId(),
              write.cid(),
              write.bucket(),
              m.timestamp(),
              m.id(),
              m.from(),
              m.data(),
              m.binary(),
              m.mentionPids(),
              m.mentionAll(),
              m.receipt(),
              m.patchTimestamp(),
              m.recalled(),
              m.pushData(),
              m.toClients(),
              m.validTill());
      // A message to every member leaves to_clients unset (no collection tombstone per row), one
      // without expiry valid_till.
      if (m.toClients().isEmpty()) {
        bound = bound.unset(14);
      }
      builder.addStatement(m.validTill() <= 0 ? bound.unset(15) : bound);
    }
    BatchStatement batchStatement = builder.build();
    long started = System.nanoTime();
    session
        .toCompletableFuture()
        .join()
        .executeAsync(batchStatement)
        .whenCompleteAsync(
            (result, failure) -> {
              metrics.cassandraWrite(System.nanoTime() - started, failure != null);
              if (failure != null) {
                log.warn(
                    "Writing {} message(s) failed (the senders get an error, no ack): {}",
                    batch.size(),
                    failure.toString());
              }
              for (Write write : batch) {
                if (failure != null) {
                  write.done().completeExceptionally(failure);
                } else {
                  write.done().complete(Done.getInstance());
                }
              }
              synchronized (this) {
                inFlight--;
              }
              drain();
            },
            executor);
  }

  private void failAll(Throwable failure) {
    List<Write> failed;
    synchronized (this) {
      failed = new ArrayList<>(queue);
      queue.clear();
    }
    failed.forEach(write -> write.done().completeExceptionally(failure));
  }

  private static int sizeOf(StoredMessage message) {
    return 128
        + message.data().length()
        + (message.pushData() == null ? 0 : message.pushData().length());
  }
}
