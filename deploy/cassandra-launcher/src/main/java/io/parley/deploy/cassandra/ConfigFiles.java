package io.parley.deploy.cassandra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of the two configuration files that {@link LocalCassandra#start()} writes into {@code
 * workDir/conf} at each start: {@code cassandra.yaml} (a small single-node dev Cassandra on
 * 127.0.0.1, plus the builder's {@code yaml(...)} overrides) and {@code logback.xml}. Also reads
 * the CQL port back from a written cassandra.yaml (for {@code status}). Pure functions of the
 * {@link LaunchSettings}; {@link WorkDirLayout#prepare} writes them.
 */
final class ConfigFiles {

  private static final Pattern NATIVE_TRANSPORT_PORT =
      Pattern.compile("(?m)^native_transport_port:\\s*(\\d+)\\s*$");

  private ConfigFiles() {}

  /** The top-level cassandra.yaml entries, in order: key to raw YAML value (may be a block). */
  static Map<String, String> yamlEntries(LaunchSettings s) {
    Path d = s.dirs().dataDir();
    Map<String, String> y = new LinkedHashMap<>();
    y.put("cluster_name", quote(s.clusterName()));
    y.put("num_tokens", "16");
    y.put("partitioner", "org.apache.cassandra.dht.Murmur3Partitioner");
    y.put("data_file_directories", "\n  - " + quote(d.resolve("data").toString()));
    y.put("commitlog_directory", quote(d.resolve("commitlog").toString()));
    y.put("saved_caches_directory", quote(d.resolve("saved_caches").toString()));
    y.put("hints_directory", quote(d.resolve("hints").toString()));
    y.put("cdc_raw_directory", quote(d.resolve("cdc_raw").toString()));
    y.put("commitlog_sync", "periodic");
    y.put("commitlog_sync_period", "10000ms");
    y.put("commitlog_segment_size", "32MiB");
    y.put("commitlog_total_space", "1024MiB");
    y.put(
        "seed_provider",
        "\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
            + "    parameters:\n      - seeds: \""
            + LocalCassandra.HOST
            + ":"
            + s.storagePort()
            + "\"");
    y.put("listen_address", LocalCassandra.HOST);
    y.put("rpc_address", LocalCassandra.HOST);
    y.put("storage_port", Integer.toString(s.storagePort()));
    y.put("native_transport_port", Integer.toString(s.cqlPort()));
    y.put("start_native_transport", "true");
    y.put("endpoint_snitch", "SimpleSnitch");
    y.put("authenticator", "AllowAllAuthenticator");
    y.put("authorizer", "AllowAllAuthorizer");
    y.put("role_manager", "CassandraRoleManager");
    y.put("concurrent_reads", "8");
    y.put("concurrent_writes", "8");
    y.put("concurrent_counter_writes", "8");
    y.put("concurrent_materialized_view_writes", "2");
    y.put("concurrent_compactors", "1");
    y.put("compaction_throughput", "64MiB/s");
    y.put("memtable_allocation_type", "heap_buffers");
    y.put("auto_snapshot", "false");
    y.put("snapshot_before_compaction", "false");
    y.put("batch_size_warn_threshold", "64KiB");
    y.put("batch_size_fail_threshold", "1024KiB");
    y.put("unlogged_batch_across_partitions_warn_threshold", "100");
    y.put("disk_failure_policy", "stop");
    y.put("commit_failure_policy", "stop");
    y.put("hinted_handoff_enabled", "true");
    y.put("dynamic_snitch", "false");
    if (s.clientTls() != null) {
      y.put(
          "client_encryption_options",
          "\n  enabled: true\n  optional: false\n  keystore: "
              + quote(s.clientTls().keystore().toAbsolutePath().toString())
              + "\n  keystore_password: "
              + quote(s.clientTls().password())
              + "\n  store_type: PKCS12\n  require_client_auth: false");
    }
    y.putAll(s.yamlOverrides());
    return y;
  }

  /** The cassandra.yaml written to {@code workDir/conf}. */
  static String cassandraYaml(LaunchSettings s) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "# Written by io.parley.deploy.cassandra.LocalCassandra at each start; edits are overwritten.\n");
    yamlEntries(s)
        .forEach(
            (k, v) -> {
              sb.append(k).append(':');
              if (!v.startsWith("\n")) {
                sb.append(' ');
              }
              sb.append(v).append('\n');
            });
    return sb.toString();
  }

  /**
   * logback.xml: INFO and up into logs/system.log (rolling), only WARN and up on the console
   * (stdout.log).
   */
  static String logbackXml(WorkDirLayout dirs) {
    String log = xmlEscape(dirs.systemLog().toString());
    return "<configuration scan=\"false\">\n"
        + "  <!-- Written by io.parley.deploy.cassandra.LocalCassandra. No shutdown hook: Cassandra stops"
        + " logback itself after it drained. -->\n"
        + "  <appender name=\"SYSTEMLOG\" class=\"ch.qos.logback.core.rolling.RollingFileAppender\">\n"
        + "    <file>"
        + log
        + "</file>\n"
        + "    <rollingPolicy class=\"ch.qos.logback.core.rolling.FixedWindowRollingPolicy\">\n"
        + "      <fileNamePattern>"
        + log
        + ".%i.zip</fileNamePattern>\n"
        + "      <minIndex>1</minIndex>\n"
        + "      <maxIndex>5</maxIndex>\n"
        + "    </rollingPolicy>\n"
        + "    <triggeringPolicy class=\"ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy\">\n"
        + "      <maxFileSize>20MB</maxFileSize>\n"
        + "    </triggeringPolicy>\n"
        + "    <encoder>\n"
        + "      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>\n"
        + "    </encoder>\n"
        + "  </appender>\n"
        + "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">\n"
        + "    <filter class=\"ch.qos.logback.classic.filter.ThresholdFilter\">\n"
        + "      <level>WARN</level>\n"
        + "    </filter>\n"
        + "    <encoder>\n"
        + "      <pattern>%-5level %date{HH:mm:ss,SSS} %msg%n</pattern>\n"
        + "    </encoder>\n"
        + "  </appender>\n"
        + "  <root level=\"INFO\">\n"
        + "    <appender-ref ref=\"SYSTEMLOG\"/>\n"
        + "    <appender-ref ref=\"STDOUT\"/>\n"
        + "  </root>\n"
        + "</configuration>\n";
  }

  /** Reads {@code native_transport_port} from a work dir's generated cassandra.yaml, if there. */
  static Optional<Integer> cqlPortFromYaml(Path workDir) {
    try {
      Matcher m =
          NATIVE_TRANSPORT_PORT.matcher(
              Files.readString(new WorkDirLayout(workDir).cassandraYaml()));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** A single-quoted YAML scalar. */
  static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
