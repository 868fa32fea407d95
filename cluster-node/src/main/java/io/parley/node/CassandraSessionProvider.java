package io.parley.node;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import io.parley.node.settings.CassandraTls;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.CqlSessionProvider;
import org.apache.pekko.stream.connectors.cassandra.DriverConfigLoaderFromConfig;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * Every Cassandra session of a node (the persistence plugin's and Parley's own, {@code
 * session-provider} in persistence.conf): the connectors' default session from {@code
 * datastax-java-driver}, with the driver's TLS added when {@code parley.cassandra.tls} turns it on
 * (HOCON cannot add the factory's {@code class} only when a variable is set).
 */
public final class CassandraSessionProvider implements CqlSessionProvider {

  private final ActorSystem system;
  private final Config config;

  public CassandraSessionProvider(ActorSystem system, Config config) {
    this.system = system;
    this.config = config;
  }

  @Override
  public Future<CqlSession> connect(ExecutionContext ec) {
    CassandraTls tls =
        CassandraTls.fromConfig(system.settings().config().getConfig("parley.cassandra.tls"));
    Config driver = tls.applyTo(CqlSessionProvider.driverConfig(system, config));
    return FutureConverters.asScala(
        CqlSession.builder()
            .withConfigLoader(DriverConfigLoaderFromConfig.fromConfig(driver))
            .buildAsync());
  }
}
