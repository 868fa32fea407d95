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
    return prepared.compute(
        cql,
        (key, current) ->
            current == null || current.toCompletableFuture().isCompletedExceptionally()
                ? Futures.direct(session.prepare(key))
                : current);
  }
}
