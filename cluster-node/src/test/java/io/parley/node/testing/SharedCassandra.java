package io.parley.node.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.parley.deploy.cassandra.LocalCassandra;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Cassandra for the whole test JVM (the module's integration tests), started by the
 * project's own launcher on free ports, with one fresh keyspace per run. It stops when the test JVM
 * ends. If Cassandra cannot start, every test using it fails with the launcher's message: nothing
 * is skipped.
 */
public final class SharedCassandra implements BeforeAllCallback {

  private static LocalCassandra cassandra;
  private static final String KEYSPACE =
      "parley_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    get();
  }

  public static synchronized LocalCassandra get() throws Exception {
    if (cassandra == null) {
      LocalCassandra started = TestCassandras.start("it", "768m", UnaryOperator.identity());
      cassandra = started;
      // Every table exists before the first node starts: the journal plugin would otherwise create
      // them on
      // first use with a 2 s timeout, which a loaded machine misses ("table ... does not exist").
      applySchema(started.contactPoint(), KEYSPACE);
    }
    return cassandra;
  }

  /**
   * Creates {@code keyspace} (replication 1) with every table of the production schema, {@code
   * deploy/cassandra/schema.cql}, as an operator would before the first node starts.
   *
   * @return the number of statements run
   */
  public static int applySchema(String contactPoint, String keyspace) throws IOException {
    String cql =
        Files.readString(
                Path.of(System.getProperty("user.dir"))
                    .getParent()
                    .resolve("deploy/cassandra/schema.cql"))
            .replace("parley.", keyspace + ".")
            .replace("KEYSPACE IF NOT EXISTS parley", "KEYSPACE IF NOT EXISTS " + keyspace)
            .replace(
                "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}",
                "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    List<String> statements =
        Arrays.stream(cql.replaceAll("(?m)^--.*$", "").split(";"))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    String[] hostPort = contactPoint.split(":");
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
            .withLocalDatacenter("datacenter1")
            .withConfigLoader(
                DriverConfigLoader.programmaticBuilder()
                    .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
                    // Without schema metadata, a CREATE returns once Cassandra agrees, instead of
                    // after the driver's refresh, debounced by 1 s per statement (17 s in all).
                    .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
                    .build())
            .build()) {
      statements.forEach(session::execute);
    }
    return statements.size();
  }

  /** {@code host:port} of the CQL listener. */
  public static String contactPoint() {
    try {
      return get().contactPoint();
    } catch (Exception e) {
      throw new IllegalStateException("Cassandra did not start: " + e.getMessage(), e);
    }
  }

  /** The keyspace of this test run. */
  public static String keyspace() {
    return KEYSPACE;
  }
}
