package io.parley.node.conversation;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.settings.Storage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The reads of {@code conversations_by_member} that every login makes (its unread notice, the v1
 * offline push), grouped across concurrent logins like a group commit: a read goes to Cassandra at
 * once while fewer than {@code inFlight} are out; otherwise it waits, and the clients of one app
 * that waited go together in the next read ({@code client_id IN ?}, at most {@code clientsPerRead},
 * {@code PER PARTITION LIMIT} the rows scanned per client). A quiet node reads each login alone; a
 * burst of logins costs one request per batch instead of one each, on both the driver and
 * Cassandra. Answers are handed to {@code handoff}, never run on the driver's I/O threads.
 */
final class MemberIndexReads {

  /** Rows per page of a read (one page for almost every batch). */
  private static final int PAGE = 5_000;

  /** The clients waiting for one app's read, each with its callers. */
  private record Batch(String appId, Map<String, List<CompletableFuture<List<Row>>>> clients) {}

  private final Supplier<CompletionStage<PreparedStatement>> statement;
  private final Supplier<CompletionStage<CqlSession>> session;
  private final int scanned;
  private final int clientsPerRead;
  private final int maxInFlight;
  private final Executor handoff;
  private final AtomicLong reads = new AtomicLong();

  private final Object lock = new Object();
  private final LinkedHashMap<String, LinkedHashMap<String, List<CompletableFuture<List<Row>>>>>
      waiting = new LinkedHashMap<>();
  private int inFlight;

  MemberIndexReads(
      Supplier<CompletionStage<PreparedStatement>> statement,
      Supplier<CompletionStage<CqlSession>> session,
      int scanned,
      Storage.MemberReads settings,
      Executor handoff) {
    this.statement = statement;
    this.session = session;
    this.scanned = scanned;
    this.clientsPerRead = settings.clientsPerRead();
    this.maxInFlight = settings.inFlight();
    this.handoff = handoff;
  }

  /** The CQL of a read: the rows of several clients of one app. */
  static String cql(String keyspace) {
    return "SELECT client_id, cid, active_at FROM "
        + keyspace
        + ".conversations_by_member WHERE app_id = ? AND client_id IN ? PER PARTITION LIMIT ?";
  }

  /** The rows of {@code clientId}'s partition (at most {@code scanned}), on {@code handoff}. */
  CompletionStage<List<Row>> read(String appId, String clientId) {
    CompletableFuture<List<Row>> rows = new CompletableFuture<>();
    Batch batch;
    synchronized (lock) {
      waiting
          .computeIfAbsent(appId, app -> new LinkedHashMap<>())
          .computeIfAbsent(clientId, client -> new ArrayList<>(1))
          .add(rows);
      batch = inFlight < maxInFlight ? nextBatch() : null;
      if (batch != null) {
        inFlight++;
      }
    }
    if (batch != null) {
      run(batch);
    }
    return rows;
  }

  /** Requests sent to Cassandra so far (each for one or more clients). */
  long reads() {
    return reads.get();
  }

  /** Under the lock: the oldest waiting app's clients, at most {@code clientsPerRead}. */
  private Batch nextBatch() {
    Iterator<Map.Entry<String, LinkedHashMap<String, List<CompletableFuture<List<Row>>>>>> apps =
        waiting.entrySet().iterator();
    if (!apps.hasNext()) {
      return null;
    }
    Map.Entry<String, LinkedHashMap<String, List<CompletableFuture<List<Row>>>>> app = apps.next();
    Map<String, List<CompletableFuture<List<Row>>>> taken = new HashMap<>();
    Iterator<Map.Entry<String, List<CompletableFuture<List<Row>>>>> clients =
        app.getValue().entrySet().iterator();
    while (clients.hasNext() && taken.size() < clientsPerRead) {
      Map.Entry<String, List<CompletableFuture<List<Row>>>> client = clients.next();
      taken.put(client.getKey(), client.getValue());
      clients.remove();
    }
    if (app.getValue().isEmpty()) {
      apps.remove();
    }
    return new Batch(app.getKey(), taken);
  }

  private void run(Batch batch) {
    reads.incrementAndGet();
    List<String> clientIds = List.copyOf(batch.clients().keySet());
    CompletionStage<List<Row>> all;
    try {
      all =
          statement
              .get()
              .thenCompose(
                  prepared ->
                      session
                          .get()
                          .thenCompose(
                              cql ->
                                  cql.executeAsync(
                                      prepared
                                          .bind(batch.appId(), clientIds, scanned)
                                          .setPageSize(PAGE))))
              .thenCompose(first -> allRows(first, new ArrayList<>()));
    } catch (RuntimeException e) {
      all = CompletableFuture.failedFuture(e);
    }
    all.whenCompleteAsync((rows, failure) -> answer(batch, rows, failure), handoff);
  }

  /** Each waiting caller gets its client's rows (or the failure); then the next batch goes. */
  private void answer(Batch batch, List<Row> rows, Throwable failure) {
    if (failure != null) {
      batch
          .clients()
          .values()
          .forEach(callers -> callers.forEach(c -> c.completeExceptionally(failure)));
    } else {
      Map<String, List<Row>> byClient = new HashMap<>();
      for (Row row : rows) {
        byClient.computeIfAbsent(row.getString("client_id"), id -> new ArrayList<>()).add(row);
      }
      batch
          .clients()
          .forEach(
              (clientId, callers) -> {
                List<Row> own = byClient.getOrDefault(clientId, List.of());
                callers.forEach(caller -> caller.complete(own));
              });
    }
    Batch next;
    synchronized (lock) {
      next = nextBatch();
      if (next == null) {
        inFlight--;
      }
    }
    if (next != null) {
      run(next);
    }
  }

  /** The rows of {@code page} and of the pages after it (fetched one after the other). */
  static CompletionStage<List<Row>> allRows(AsyncResultSet page, List<Row> into) {
    page.currentPage().forEach(into::add);
    return page.hasMorePages()
        ? page.fetchNextPage().thenCompose(next -> allRows(next, into))
        : CompletableFuture.completedFuture(into);
  }
}
