package io.parley.node.testing;

import io.parley.deploy.cassandra.LocalCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Cassandra for the whole test JVM (the module's integration tests), started by the project's own
 * launcher on free ports, with one fresh keyspace per run. It stops when the test JVM ends. If Cassandra
 * cannot start, every test using it fails with the launcher's message: nothing is skipped.
 */
public final class SharedCassandra implements BeforeAllCallback {

  private static LocalCassandra cassandra;
  private static final String KEYSPACE = "parley_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    get();
  }

  public static synchronized LocalCassandra get() throws Exception {
    if (cassandra == null) {
      Path workDir = Files.createTempDirectory("parley-it-cassandra-");
      LocalCassandra started =
          LocalCassandra.builder()
              .workDir(workDir)
              .cqlPort(LocalCassandra.freePort())
              .storagePort(LocalCassandra.freePort())
              .heap("768m")
              .build()
              .start();
      cassandra = started;
    }
    return cassandra;
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
