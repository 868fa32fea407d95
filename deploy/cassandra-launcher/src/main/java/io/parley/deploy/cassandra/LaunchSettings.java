package io.parley.deploy.cassandra;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a {@link LocalCassandra.Builder} was given, validated and frozen: the one value that the
 * parts of the launcher ({@link ConfigFiles}, {@link JvmCommand}, {@link CassandraProcess}) read.
 *
 * @param workDir absolute, normalized root of conf/, data/, logs/ and the pid file
 * @param jmxPort a port, {@link LocalCassandra#JMX_PICK_FREE} or {@link
 *     LocalCassandra#JMX_DISABLED}, as configured (the port of a run is chosen at start)
 * @param libDir the Cassandra classpath directory given to the builder, or null to resolve it
 * @param yamlOverrides cassandra.yaml entries that replace or follow the generated ones, in order
 * @param clientTls TLS on the CQL port, or null for plain text
 */
record LaunchSettings(
    Path workDir,
    int cqlPort,
    int storagePort,
    int jmxPort,
    String heap,
    String clusterName,
    Path javaExecutable,
    Duration startupTimeout,
    boolean wipe,
    Path libDir,
    boolean stopOnJvmExit,
    List<String> extraJvmArgs,
    Map<String, String> yamlOverrides,
    LocalCassandra.ClientTls clientTls) {

  private static final Pattern HEAP_PATTERN = Pattern.compile("\\d+[kKmMgG]?");

  LaunchSettings {
    workDir = workDir.toAbsolutePath().normalize();
    extraJvmArgs = List.copyOf(extraJvmArgs);
    yamlOverrides = Collections.unmodifiableMap(new LinkedHashMap<>(yamlOverrides));
    if (cqlPort == storagePort || (jmxPort > 0 && (jmxPort == cqlPort || jmxPort == storagePort))) {
      throw new IllegalArgumentException(
          "CQL, storage and JMX ports must differ: cql="
              + cqlPort
              + " storage="
              + storagePort
              + " jmx="
              + jmxPort);
    }
  }

  /** Where the files of this Cassandra live. */
  WorkDirLayout dirs() {
    return new WorkDirLayout(workDir);
  }

  static String checkHeap(String heap) {
    Objects.requireNonNull(heap, "heap");
    if (!HEAP_PATTERN.matcher(heap).matches()) {
      throw new IllegalArgumentException(
          "heap must look like 512m, 768m or 1g, not '" + heap + "'");
    }
    return heap;
  }

  static int checkPort(String what, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " must be 1..65535, not " + port);
    }
    return port;
  }
}
