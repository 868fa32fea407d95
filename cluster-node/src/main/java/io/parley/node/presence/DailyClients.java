package io.parley.node.presence;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.PreparedStatements;
import io.parley.node.concurrent.RateLimitedLog;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The distinct clients of each app that logged in since 00:00 UTC, for {@code GET /1.2/rtm/stats}
 * (REST-AND-HOOKS §3.5): Cassandra table {@code clients_by_day}, one row per app, UTC day and
 * client, written (an idempotent upsert) when a client's first session on a node opens, expiring
 * two days later (table TTL). So the count holds across nodes and restarts and the table holds at
 * most two days of logins. Counting reads today's partition of the app.
 *
 * <p>Cheap per login ({@code parley.daily-clients}): a client this node already wrote today is not
 * written again (up to {@code remembered-per-day} clients are remembered); the others wait to be
 * written together, as one unlogged batch of one partition (app and day), which Cassandra applies
 * as one mutation. A batch goes when it has {@code batch-max-clients} logins or when its oldest
 * login has waited {@code flush-interval}, with at most {@code writes-in-flight} writes out.
 * Nothing waits for these writes (the login's {@code opened} never does), so the day's count lags
 * by up to {@code flush-interval}; at most {@code max-queued} logins wait, beyond which they are
 * not counted (logged, rate-limited).
 */
public final class DailyClients implements NodeDirectory.Logins {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DailyClients.class);

  /**
   * Writes in flight, clients per batch, logins that may wait, clients remembered per day, and how
   * long a login may wait for others to share its write (zero: written as soon as a write is free);
   * from {@code NodeSettings.DailyClientWrites}.
   */
  public record Settings(
      int writesInFlight,
      int batchMaxClients,
      int maxQueued,
      int rememberedPerDay,
      Duration flushInterval) {}

  private record Login(String appId, String day, String clientId) {}

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final String keyspace;
  private final Clock clock;
  private final Settings settings;
  private final PreparedStatements statements;
  private final RateLimitedLog log = new RateLimitedLog(LOG, Duration.ofSeconds(10));

  /** Logins waiting for a write, oldest first; guarded by {@code this}. */
  private final ArrayDeque<Login> queue = new ArrayDeque<>();

  /** Today's clients written (or queued) by this node, per app; guarded by {@code this}. */
  private final Map<String, Set<String>> remembered = new HashMap<>();

  private record Day(long epochDay, String text) {}

  private volatile Day day = new Day(Long.MIN_VALUE, "");

  private String rememberedDay = "";
  private int rememberedCount;
  private int inFlight;

  /** A flush is scheduled: every waiting login is written at most {@code flush-interval} late. */
  private boolean flushScheduled;

  /** The flush came: what waits is written, full batches or not, until the queue is empty. */
  private boolean flushing;

  public DailyClients(ActorSystem<?> system, String keyspace, Clock clock, Settings settings) {
    this.system = system;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.statements = new PreparedStatements(session);
    this.keyspace = keyspace;
    this.clock = clock;
    this.settings = settings;
  }

  /** Creates the table (local runs and tests only; production uses deploy/cassandra/schema.cql). */
  public CompletionStage<Done> createTable() {
    return Futures.direct(
        session.executeDDL(
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".clients_by_day (app_id text, day text, client_id text,"
                + " PRIMARY KEY ((app_id, day), client_id)) WITH default_time_to_live = 172800"));
  }

  /**
   * Records {@code clientId} as logged in today, unless this node already did; a failed write is
   * logged and lost.
   */
  @Override
  public void loggedIn(String appId, String clientId) {
    String day = today();
    synchronized (this) {
      if (!remember(appId, day, clientId)) {
        return;
      }
      if (queue.size() >= settings.maxQueued()) {
        forget(appId, day, clientId);
        log.warn(
            "Login of {} not counted in today's clients: {} logins wait for Cassandra (max-queued)",
            clientId,
            queue.size());
        return;
      }
      queue.add(new Login(appId, day, clientId));
      if (queue.size() < settings.batchMaxClients() && !settings.flushInterval().isZero()) {
        scheduleFlush();
        if (!flushing) {
          return;
        }
      }
    }
    drain();
  }

  /** Makes sure a flush comes within {@code flush-interval}; guarded by {@code this}. */
  private void scheduleFlush() {
    if (flushScheduled) {
      return;
    }
    flushScheduled = true;
    system
        .scheduler()
        .scheduleOnce(
            settings.flushInterval(),
            () -> {
              synchronized (this) {
                flushScheduled = false;
                flushing = !queue.isEmpty();
              }
              drain();
            },
            system.executionContext());
  }

  /** Logins waiting for their write (not those in flight): for tests. */
  synchronized int queued() {
    return queue.size();
  }

  /** False when this node already wrote (or queued) the client today. */
  private boolean remember(String appId, String day, String clientId) {
    if (!day.equals(rememberedDay)) {
      remembered.clear();
      rememberedCount = 0;
      rememberedDay = day;
    }
    Set<String> clients = remembered.get(appId);
    if (clients != null && clients.contains(clientId)) {
      return false;
    }
    if (rememberedCount < settings.rememberedPerDay()) {
      remembered.computeIfAbsent(appId, app -> new HashSet<>()).add(clientId);
      rememberedCount++;
    }
    return true;
  }

  /** The write of the client failed or was refused: a later login tries again. */
  private void forget(String appId, String day, String clientId) {
    Set<String> clients = remembered.get(appId);
    if (day.equals(rememberedDay) && clients != null && clients.remove(clientId)) {
      rememberedCount--;
    }
  }

  private void drain() {
    statements
        .get(
            "INSERT INTO " + keyspace + ".clients_by_day (app_id, day, client_id) VALUES (?, ?, ?)")
        .whenComplete(
            (statement, failure) -> {
              if (failure != null) {
                failAll(failure);
                return;
              }
              while (true) {
                List<Login> batch = nextBatch();
                if (batch.isEmpty()) {
                  return;
                }
                execute(statement, batch);
              }
            });
  }

  /**
   * Up to {@code batch-max-clients} queued logins of the oldest one's app and day: a full batch, or
   * any during a flush (or with no {@code flush-interval}).
   */
  private synchronized List<Login> nextBatch() {
    if (queue.isEmpty()) {
      flushing = false;
      return List.of();
    }
    boolean due =
        flushing || settings.flushInterval().isZero() || queue.size() >= settings.batchMaxClients();
    if (inFlight >= settings.writesInFlight() || !due) {
      return List.of();
    }
    Login first = queue.peek();
    List<Login> batch = new ArrayList<>();
    var rest = queue.iterator();
    while (rest.hasNext() && batch.size() < settings.batchMaxClients()) {
      Login login = rest.next();
      if (login.appId().equals(first.appId()) && login.day().equals(first.day())) {
        batch.add(login);
        rest.remove();
      }
    }
    inFlight++;
    return batch;
  }

  private void execute(PreparedStatement statement, List<Login> batch) {
    CompletionStage<Done> written;
    if (batch.size() == 1) {
      Login login = batch.get(0);
      written =
          session.executeWrite(
              statement
                  .bind(login.appId(), login.day(), login.clientId())
                  .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE)
                  .setIdempotent(true));
    } else {
      BatchStatementBuilder builder =
          BatchStatement.builder(DefaultBatchType.UNLOGGED)
              .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE)
              .setIdempotence(true);
      for (Login login : batch) {
        builder.addStatement(statement.bind(login.appId(), login.day(), login.clientId()));
      }
      written = session.executeWrite(builder.build());
    }
    Futures.direct(written)
        .whenComplete(
            (done, failure) -> {
              synchronized (this) {
                inFlight--;
                if (failure != null) {
                  batch.forEach(login -> forget(login.appId(), login.day(), login.clientId()));
                }
              }
              if (failure != null) {
                log.warn(
                    "{} login(s) not counted in today's clients: {}",
                    batch.size(),
                    failure.toString());
              }
              drain();
            });
  }

  /** The statement cannot be prepared (Cassandra down): what waits is not counted. */
  private void failAll(Throwable failure) {
    int dropped;
    synchronized (this) {
      dropped = queue.size();
      queue.forEach(login -> forget(login.appId(), login.day(), login.clientId()));
      queue.clear();
    }
    if (dropped > 0) {
      log.warn("{} login(s) not counted in today's clients: {}", dropped, failure.toString());
    }
  }

  /** How many distinct clients of {@code appId} logged in since 00:00 UTC. */
  public CompletionStage<Long> countToday(String appId) {
    return statements
        .get("SELECT COUNT(*) FROM " + keyspace + ".clients_by_day WHERE app_id = ? AND day = ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.selectOne(
                        statement
                            .bind(appId, today())
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE))))
        .thenApply(row -> row.map(found -> found.getLong(0)).orElse(0L));
  }

  /** Today's UTC day as the table writes it, formatted once a day. */
  private String today() {
    long epochDay = Math.floorDiv(clock.millis(), 86_400_000L);
    Day day = this.day;
    if (day.epochDay() != epochDay) {
      day = new Day(epochDay, LocalDate.ofEpochDay(epochDay).toString());
      this.day = day;
    }
    return day.text();
  }
}
