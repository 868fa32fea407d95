package io.parley.node.conversation;

import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.concurrent.Futures;
import io.parley.node.message.MessageStore;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.cassandra.cleanup.Cleanup;
import org.apache.pekko.persistence.cassandra.cleanup.CleanupSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.jdk.javaapi.FutureConverters;

/**
 * Deletes what expired temporary conversations leave in Cassandra (review M11): their journal
 * (events and the journal's metadata rows), snapshots, message history and their row in {@code
 * temporary_conversations}, the index of temporary conversations by expiry hour that the entities
 * write when they are created. One job for the cluster (a cluster singleton), every {@code
 * interval}: it reads the hours from {@code lookback} ago to {@code grace} ago and purges at most
 * {@code maxPerRun} conversations, at most {@code deletesPerSecond} a second, so it never competes
 * with live traffic. A conversation is purged only {@code grace} after it expired: by then its
 * entity has long stopped (it refuses every request once expired) and writes nothing more.
 */
public final class TemporaryPurge {

  /**
   * {@code parley.storage.temporary-purge} (read by {@code settings.Storage}); an interval of zero
   * turns the job off.
   */
  public record Settings(
      Duration interval, Duration grace, Duration lookback, int maxPerRun, int deletesPerSecond) {}

  /** One expired temporary conversation, as its index row lists it. */
  record Expired(long hour, long expiresAt, String appId, String cid) {}

  private enum Tick {
    INSTANCE
  }

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final String keyspace;
  private final Settings settings;
  private final MessageStore messages;
  private Cleanup cleanup;

  /** {@code settings}: parley.storage.temporary-purge; an interval of zero turns the job off. */
  public TemporaryPurge(
      ActorSystem<?> system, String keyspace, Settings settings, MessageStore messages) {
    this.system = system;
    this.messages = messages;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.keyspace = keyspace;
    this.settings = settings;
  }

  /**
   * The persistence plugin's own tool, which deletes a persistence id's event partitions and
   * snapshots (dry-run is its default: off here); made on the node that runs the job.
   */
  private synchronized Cleanup cleanup() {
    if (cleanup == null) {
      cleanup =
          new Cleanup(
              system,
              new CleanupSettings(
                  system
                      .settings()
                      .config()
                      .getConfig("pekko.persistence.cassandra.cleanup")
                      .withValue(
                          "dry-run", com.typesafe.config.ConfigValueFactory.fromAnyRef(false))));
    }
    return cleanup;
  }

  /** Starts the job on one node of the cluster (no-op when the interval is zero). */
  public void start() {
    if (settings.interval().isZero()) {
      return;
    }
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                Behaviors.<Tick>supervise(behavior())
                    .onFailure(org.apache.pekko.actor.typed.SupervisorStrategy.restart()),
                "temporary-conversation-purge"));
  }

  private Behavior<Tick> behavior() {
    return Behaviors.withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.interval());
          return Behaviors.receive(Tick.class)
              .onMessage(
                  Tick.class,
                  tick -> {
                    // A run takes at most max-per-run / deletes-per-second; should one outlast the
                    // interval, the overlap is harmless (every delete is idempotent).
                    runOnce();
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /**
   * One run: finds at most {@code maxPerRun} conversations expired {@code grace} ago and purges
   * them at the configured rate. Completes with how many were purged.
   */
  public CompletionStage<Integer> runOnce() {
    long started = System.nanoTime();
    long before = System.currentTimeMillis() - settings.grace().toMillis();
    long lastHour = hour(before);
    long firstHour = hour(System.currentTimeMillis() - settings.lookback().toMillis());
    return expired(firstHour, lastHour, before, new ArrayList<>())
        .thenCompose(
            found ->
                Source.from(found)
                    .throttle(settings.deletesPerSecond(), Duration.ofSeconds(1))
                    .mapAsync(1, this::purge)
                    .runWith(Sink.fold(0, (count, done) -> count + 1), system))
        .whenComplete(
            (purged, failure) -> {
              if (failure != null) {
                system
                    .log()
                    .warn(
                        "Purging expired temporary conversations failed (retried next run): {}",
                        failure.toString());
              } else if (purged > 0) {
                system
                    .log()
                    .info(
                        "Purged {} expired temporary conversation(s) in {} ms",
                        purged,
                        (System.nanoTime() - started) / 1_000_000);
              }
            });
  }

  private CompletionStage<List<Expired>> expired(
      long hour, long lastHour, long before, List<Expired> found) {
    if (hour > lastHour || found.size() >= settings.maxPerRun()) {
      return CompletableFuture.completedFuture(found);
    }
    return Futures.direct(
            session.selectAll(
                "SELECT expires_at, app_id, cid FROM "
                    + keyspace
                    + ".temporary_conversations WHERE hour = ? AND expires_at < ? LIMIT ?",
                hour,
                before,
                settings.maxPerRun() - found.size()))
        .thenCompose(
            rows -> {
              for (Row row : rows) {
                found.add(
                    new Expired(
                        hour,
                        row.getLong("expires_at"),
                        row.getString("app_id"),
                        row.getString("cid")));
              }
              return expired(hour + 1, lastHour, before, found);
            });
  }

  /** Journal, snapshots, history, then the index row (so a failed purge is tried again). */
  private CompletionStage<Done> purge(Expired expired) {
    String persistenceId =
        Conversation.ENTITY_KEY.name()
            + "|"
            + ConversationIds.entityId(expired.appId(), expired.cid());
    return FutureConverters.asJava(cleanup().deleteAllEvents(persistenceId, true))
        .thenCompose(done -> FutureConverters.asJava(cleanup().deleteAllSnapshots(persistenceId)))
        .thenCompose(done -> deleteHistory(expired))
        .thenCompose(
            done ->
                Futures.direct(
                    session.executeWrite(
                        "DELETE FROM "
                            + keyspace
                            + ".temporary_conversations WHERE hour = ? AND expires_at = ? "
                            + "AND app_id = ? AND cid = ?",
                        expired.hour(),
                        expired.expiresAt(),
                        expired.appId(),
                        expired.cid())));
  }

  /**
   * The conversation's message partitions: one per month from its creation (its id starts with its
   * creation second) to its expiry.
   */
  private CompletionStage<Done> deleteHistory(Expired expired) {
    YearMonth last =
        YearMonth.from(Instant.ofEpochMilli(expired.expiresAt()).atZone(ZoneOffset.UTC));
    YearMonth month =
        YearMonth.from(Instant.ofEpochSecond(createdSecond(expired.cid())).atZone(ZoneOffset.UTC));
    if (month.isAfter(last) || month.plusMonths(13).isBefore(last)) {
      month = last; // an id this job did not make: only the expiry month
    }
    return messages.deleteMonths(expired.appId(), expired.cid(), month, last);
  }

  private static long createdSecond(String cid) {
    String hex =
        cid.startsWith(ConversationIds.TEMPORARY_PREFIX)
            ? cid.substring(ConversationIds.TEMPORARY_PREFIX.length())
            : cid;
    try {
      return Long.parseLong(hex.substring(0, 8), 16);
    } catch (RuntimeException notAnObjectId) {
      return 0;
    }
  }

  /** The index partition of an expiry time: hours since the epoch. */
  static long hour(long epochMillis) {
    return Math.floorDiv(epochMillis, Duration.ofHours(1).toMillis());
  }
}
