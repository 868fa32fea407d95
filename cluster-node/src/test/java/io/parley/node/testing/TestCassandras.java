package io.parley.node.testing;

import io.parley.deploy.cassandra.CassandraLaunchException;
import io.parley.deploy.cassandra.LocalCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.util.function.UnaryOperator;

/**
 * Starts a test's Cassandra (the shared one, or a class's own) with the project's launcher, on free
 * loopback ports and in a fresh directory.
 *
 * <p>Classes run side by side, and some start other processes that pick ports of their own (the
 * launch script's nodes and Cassandra): a port found free can be taken before Cassandra binds it. A
 * start that fails is therefore tried once more on other ports; the second failure is reported with
 * the first one attached.
 */
public final class TestCassandras {

  private TestCassandras() {}

  /**
   * @param name what the directory and a retry's log line are named after
   * @param heap the Cassandra JVM's heap, e.g. "512m"
   * @param more further settings of the builder (TLS), or {@code UnaryOperator.identity()}
   */
  public static LocalCassandra start(
      String name, String heap, UnaryOperator<LocalCassandra.Builder> more) throws IOException {
    CassandraLaunchException first = null;
    while (true) {
      LocalCassandra.Builder builder =
          LocalCassandra.builder()
              .workDir(Files.createTempDirectory("parley-" + name + "-cassandra-"))
              .cqlPort(LocalCassandra.freePort())
              .storagePort(LocalCassandra.freePort())
              .heap(heap);
      try {
        return more.apply(builder).build().start();
      } catch (CassandraLaunchException e) {
        if (first != null) {
          e.addSuppressed(first);
          throw e;
        }
        first = e;
        System.err.println(
            "[" + name + "] Cassandra did not start, trying once more on other ports: " + e);
      }
    }
  }
}
