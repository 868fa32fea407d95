package io.parley.node.presence;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.PreparedStatements;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
 */
public final class DailyClients implements NodeDirectory.Logins {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DailyClients.class);

  private final CassandraSession session;
  private final String keyspace;
  private final Clock clock;
  private final PreparedStatements statements;

  public DailyClients(ActorSystem<?> system, String keyspace, Clock clock) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.statements = new PreparedStatements(session);
    this.keyspace = keyspace;
    this.clock = clock;
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

  /** Records {@code clientId} as logged in today; a failed write is logged and lost. */
  @Override
  public void loggedIn(String appId, String clientId) {
    prepare("INSERT INTO " + keyspace + ".clients_by_day (app_id, day, client_id) VALUES (?, ?, ?)")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.executeWrite(
                        statement
                            .bind(appId, today(), clientId)
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE))))
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                LOG.debug(
                    "Login of {} not counted in today's clients: {}", clientId, failure.toString());
              }
            });
  }

  /** How many distinct clients of {@code appId} logged in since 00:00 UTC. */
  public CompletionStage<Long> countToday(String appId) {
    return prepare(
            "SELECT COUNT(*) FROM " + keyspace + ".clients_by_day WHERE app_id = ? AND day = ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.selectOne(
                        statement
                            .bind(appId, today())
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_ONE))))
        .thenApply(row -> row.map(found -> found.getLong(0)).orElse(0L));
  }

  private String today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
  }

  private CompletionStage<PreparedStatement> prepare(String cql) {
    return statements.get(cql);
  }
}
