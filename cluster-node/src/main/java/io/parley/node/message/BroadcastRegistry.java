package io.parley.node.message;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.PreparedStatements;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The global broadcasts still valid, per app (REST-AND-HOOKS §3.5: {@code GET /1.2/rtm/broadcasts},
 * {@code DELETE /1.2/rtm/broadcasts/{id}}): Cassandra table {@code broadcasts}, one row per
 * broadcast, written once its message is stored in its service conversation, expiring (TTL) at its
 * {@code valid_till}. The message itself lives in the conversation's history; this is only its
 * index by id. One partition per app, kept small by the global broadcast budget (30 a day, a month
 * at most).
 */
public final class BroadcastRegistry {

  /** One valid broadcast. */
  public record Broadcast(
      String messageId, String cid, String from, long timestamp, long validTill, String data) {}

  private final CassandraSession session;
  private final String keyspace;
  private final PreparedStatements statements;

  public BroadcastRegistry(ActorSystem<?> system, String keyspace) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.statements = new PreparedStatements(session);
    this.keyspace = keyspace;
  }

  /** Creates the table (local runs and tests only; production uses deploy/cassandra/schema.cql). */
  public CompletionStage<Done> createTable() {
    return Futures.direct(
        session.executeDDL(
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".broadcasts (app_id text, msg_id text, cid text, from_client text, "
                + "timestamp bigint, valid_till bigint, data text, PRIMARY KEY ((app_id), msg_id))"));
  }

  /** Records {@code broadcast} until its {@code validTill}; completes when durable. */
  public CompletionStage<Done> record(String appId, Broadcast broadcast, long now) {
    int ttl = (int) Math.max(1, (broadcast.validTill() - now + 999) / 1000);
    return prepare(
            "INSERT INTO "
                + keyspace
                + ".broadcasts (app_id, msg_id, cid, from_client, timestamp, valid_till, data)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.executeWrite(
                        statement
                            .bind(
                                appId,
                                broadcast.messageId(),
                                broadcast.cid(),
                                broadcast.from(),
                                broadcast.timestamp(),
                                broadcast.validTill(),
                                broadcast.data(),
                                ttl)
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))));
  }

  /** The valid broadcasts of service conversation {@code cid}, newest first. */
  public CompletionStage<List<Broadcast>> valid(String appId, String cid, long now) {
    return prepare("SELECT * FROM " + keyspace + ".broadcasts WHERE app_id = ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.selectAll(
                        statement
                            .bind(appId)
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))))
        .thenApply(
            rows ->
                rows.stream()
                    .map(BroadcastRegistry::toBroadcast)
                    .filter(found -> found.cid().equals(cid) && found.validTill() > now)
                    .sorted(Comparator.comparingLong(Broadcast::timestamp).reversed())
                    .toList());
  }

  /** The valid broadcast {@code messageId}, if any. */
  public CompletionStage<Optional<Broadcast>> find(String appId, String messageId, long now) {
    return prepare("SELECT * FROM " + keyspace + ".broadcasts WHERE app_id = ? AND msg_id = ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.selectOne(
                        statement
                            .bind(appId, messageId)
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))))
        .thenApply(
            row ->
                row.map(BroadcastRegistry::toBroadcast).filter(found -> found.validTill() > now));
  }

  public CompletionStage<Done> delete(String appId, String messageId) {
    return prepare("DELETE FROM " + keyspace + ".broadcasts WHERE app_id = ? AND msg_id = ?")
        .thenCompose(
            statement ->
                Futures.direct(
                    session.executeWrite(
                        statement
                            .bind(appId, messageId)
                            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))));
  }

  private static Broadcast toBroadcast(Row row) {
    return new Broadcast(
        row.getString("msg_id"),
        row.getString("cid"),
        row.getString("from_client"),
        row.getLong("timestamp"),
        row.getLong("valid_till"),
        row.getString("data"));
  }

  private CompletionStage<PreparedStatement> prepare(String cql) {
    return statements.get(cql);
  }
}
