package io.parley.node.health;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.parley.node.concurrent.Futures;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness: Cassandra answers a cheap query ({@code system.local}, one row, at LOCAL_ONE) within
 * {@code parley.health.cassandra-timeout}, through the same session the node writes messages with.
 * A node that cannot reach Cassandra can acknowledge nothing, so it should take no new clients: the
 * load balancer sends them to nodes that can. The change of state is logged once each way, not on
 * every probe.
 */
public final class CassandraCheck implements Supplier<CompletionStage<Boolean>> {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraCheck.class);

  private final CassandraSession session;
  private final SimpleStatement probe;
  private final AtomicBoolean reachable = new AtomicBoolean(true);

  public CassandraCheck(ActorSystem system) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    Duration timeout = system.settings().config().getDuration("parley.health.cassandra-timeout");
    this.probe =
        SimpleStatement.newInstance("SELECT release_version FROM system.local")
            .setTimeout(timeout)
            .setIdempotent(true);
  }

  /**
   * True when Cassandra answered; otherwise a failure whose message says so, which {@code GET
   * /ready} shows (Pekko Management names only the check's class for a plain false).
   */
  @Override
  public CompletionStage<Boolean> get() {
    return Futures.direct(session.selectOne(probe))
        .handle(
            (row, failure) -> {
              boolean ok = failure == null && row.isPresent();
              String problem = failure == null ? "no row from system.local" : failure.toString();
              if (reachable.getAndSet(ok) != ok) {
                if (ok) {
                  LOG.info("Cassandra answers again: ready");
                } else {
                  LOG.warn("Cassandra does not answer ({}): not ready", problem);
                }
              }
              if (!ok) {
                throw new IllegalStateException("Cassandra does not answer: " + problem);
              }
              return true;
            });
  }
}
