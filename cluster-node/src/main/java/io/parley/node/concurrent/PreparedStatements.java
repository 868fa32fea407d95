package io.parley.node.concurrent;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * CQL statements prepared once each; a preparation that failed (Cassandra down) is tried again on
 * next use.
 */
public final class PreparedStatements {

  private final CassandraSession session;
  private final ConcurrentHashMap<String, CompletionStage<PreparedStatement>> prepared =
      new ConcurrentHashMap<>();

  public PreparedStatements(CassandraSession session) {
    this.session = session;
  }

  public CompletionStage<PreparedStatement> get(String cql) {
    // Every login's member-index read comes here: the prepared statement without taking the map's
    // lock, which compute does.
    CompletionStage<PreparedStatement> ready = prepared.get(cql);
    if (ready != null && !ready.toCompletableFuture().isCompletedExceptionally()) {
      return ready;
    }
    return prepared.compute(
        cql,
        (key, current) ->
            current == null || current.toCompletableFuture().isCompletedExceptionally()
                ? Futures.direct(session.prepare(key))
                : current);
  }
}
