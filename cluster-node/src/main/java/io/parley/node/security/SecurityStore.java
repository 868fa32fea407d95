package io.parley.node.security;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.parley.node.concurrent.Futures;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * What every node must agree on about credentials, in Cassandra (so it holds across nodes and
 * restarts):
 *
 * <ul>
 *   <li>{@code signature_nonces}: nonces already used, per app and client. A lightweight
 *       transaction ({@code INSERT ... IF NOT EXISTS}) makes the first use win even when two nodes
 *       see the same signature at once; rows expire (TTL) when the signature could no longer be
 *       valid anyway.
 *   <li>{@code session_revocations}: per app, the instant before which a client's session tokens
 *       (and login signatures) no longer count; the row with an empty client id revokes the whole
 *       app. Rows expire when every token they could concern has expired.
 * </ul>
 *
 * Both are read and written at LOCAL_QUORUM (serial LOCAL_SERIAL): what one node decided, the
 * others see.
 */
public final class SecurityStore {

  private static final String ALL_CLIENTS = "";

  private final ActorSystem<?> system;
  private final String keyspace;

  /**
   * Prepared once per statement; a preparation that failed (Cassandra down) is retried on next use.
   */
  private final ConcurrentHashMap<String, CompletionStage<PreparedStatement>> prepared =
      new ConcurrentHashMap<>();

  public SecurityStore(ActorSystem<?> system, String keyspace) {
    this.system = system;
    this.keyspace = keyspace;
  }

  /**
   * The node's Cassandra session, asked for at first use: a node whose clients never sign and whose
   * tokens are never revoked does not need it, nor do tests without Cassandra.
   */
  private CassandraSession session() {
    return CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
  }

  /**
   * Creates the tables (local runs and tests only; production uses deploy/cassandra/schema.cql).
   */
  public CompletionStage<Done> createTables() {
    return Futures.direct(
            session()
                .executeDDL(
                    "CREATE TABLE IF NOT EXISTS "
                        + keyspace
                        + ".signature_nonces ("
                        + "app_id text, client_id text, nonce text, PRIMARY KEY ((app_id, client_id, nonce)))"))
        .thenCompose(
            done ->
                Futures.direct(
                    session()
                        .executeDDL(
                            "CREATE TABLE IF NOT EXISTS "
                                + keyspace
                                + ".session_revocations (app_id text, client_id text, revoked_at timestamp, PRIMARY KEY (app_id, client_id))")));
  }

  /** Records the nonce as used for {@code keep}; true if this call was its first use. */
  public CompletionStage<Boolean> claimNonce(
      String appId, String clientId, String nonce, Duration keep) {
    String cql =
        "INSERT INTO "
            + keyspace
            + ".signature_nonces (app_id, client_id, nonce) VALUES (?, ?, ?)"
            + " IF NOT EXISTS USING TTL ?";
    return prepare(cql)
        .thenCompose(
            statement ->
                Futures.direct(
                    session()
                        .selectOne(
                            statement
                                .bind(appId, clientId, nonce, seconds(keep))
                                .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM)
                                .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL))))
        .thenApply(row -> row.map(applied -> applied.getBoolean("[applied]")).orElse(false));
  }

  /** The latest revocation that concerns the client (its own, or its whole app's), if any. */
  public CompletionStage<Optional<Instant>> revokedAt(String appId, String clientId) {
    String cql =
        "SELECT revoked_at FROM "
            + keyspace
            + ".session_revocations WHERE app_id = ? AND client_id IN (?, ?)";
    return prepare(cql)
        .thenCompose(
            statement ->
                Futures.direct(
                    session()
                        .selectAll(
                            statement
                                .bind(appId, ALL_CLIENTS, clientId)
                                .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))))
        .thenApply(
            rows ->
                rows.stream()
                    .map(row -> row.getInstant("revoked_at"))
                    .filter(Objects::nonNull)
                    .max(Instant::compareTo));
  }

  /**
   * Revokes what was issued to the client ({@code null}: to every client of the app) up to {@code
   * at}.
   */
  public CompletionStage<Done> revoke(String appId, String clientId, Instant at, Duration keep) {
    String cql =
        "INSERT INTO "
            + keyspace
            + ".session_revocations (app_id, client_id, revoked_at) VALUES (?, ?, ?)"
            + " USING TTL ?";
    return prepare(cql)
        .thenCompose(
            statement ->
                Futures.direct(
                    session()
                        .executeWrite(
                            statement
                                .bind(
                                    appId,
                                    clientId == null ? ALL_CLIENTS : clientId,
                                    at,
                                    seconds(keep))
                                .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))));
  }

  private static int seconds(Duration keep) {
    return (int) Math.max(1, keep.toSeconds());
  }

  private CompletionStage<PreparedStatement> prepare(String cql) {
    return prepared.compute(
        cql,
        (key, current) ->
            current == null || current.toCompletableFuture().isCompletedExceptionally()
                ? Futures.direct(session().prepare(key))
                : current);
  }
}
