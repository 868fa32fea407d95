package io.parley.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCassandraConfigTest {

  @TempDir Path dir;

  private LocalCassandra.Builder builder() {
    return LocalCassandra.builder().workDir(dir).cqlPort(19042).storagePort(17000).heap("512m");
  }

  @Test
  void cassandra_yaml_serves_the_given_ports_on_127_0_0_1_and_keeps_all_data_in_the_work_dir() {
    String yaml = ConfigFiles.cassandraYaml(builder().clusterName("It's a test").settings());
    assertTrue(yaml.contains("\nnative_transport_port: 19042\n"), yaml);
    assertTrue(yaml.contains("\nstorage_port: 17000\n"), yaml);
    assertTrue(yaml.contains("- seeds: \"127.0.0.1:17000\""), yaml);
    assertTrue(yaml.contains("\nlisten_address: 127.0.0.1\n"), yaml);
    assertTrue(yaml.contains("\nrpc_address: 127.0.0.1\n"), yaml);
    assertTrue(yaml.contains("cluster_name: 'It''s a test'\n"), yaml);
    assertTrue(
        yaml.contains(
            "data_file_directories:\n  - '" + dir.resolve("data").resolve("data") + "'\n"),
        yaml);
    assertTrue(
        yaml.contains("commitlog_directory: '" + dir.resolve("data").resolve("commitlog") + "'\n"),
        yaml);
    for (String key : List.of("hints_directory", "saved_caches_directory", "cdc_raw_directory")) {
      assertTrue(yaml.contains("\n" + key + ": '" + dir.resolve("data")), key);
    }
    assertTrue(yaml.contains("\nnum_tokens: 16\n"), yaml);
    assertTrue(yaml.contains("\ncommitlog_sync: periodic\n"), yaml);
    assertTrue(yaml.contains("\nauto_snapshot: false\n"), yaml);
  }

  @Test
  void a_yaml_override_replaces_the_generated_entry_and_no_key_appears_twice() {
    String yaml =
        ConfigFiles.cassandraYaml(
            builder()
                .yaml("auto_snapshot", "true")
                .yaml("materialized_views_enabled", "true")
                .settings());
    List<String> keys =
        Arrays.stream(yaml.split("\n"))
            .filter(l -> !l.startsWith(" ") && !l.startsWith("#") && l.contains(":"))
            .map(l -> l.substring(0, l.indexOf(':')))
            .collect(Collectors.toList());
    assertEquals(keys.size(), keys.stream().distinct().count(), "duplicate keys: " + keys);
    assertTrue(yaml.contains("\nauto_snapshot: true\n"));
    assertFalse(yaml.contains("auto_snapshot: false"));
    assertTrue(yaml.endsWith("materialized_views_enabled: true\n"));
  }

  @Test
  void cassandra_logs_into_system_log_of_the_work_dir() {
    String xml = ConfigFiles.logbackXml(builder().settings().dirs());
    assertTrue(xml.contains("<file>" + dir.resolve("logs").resolve("system.log") + "</file>"), xml);
    assertFalse(xml.contains("jmxConfigurator"));
  }

  @Test
  void the_cassandra_jvm_gets_the_heap_java17_flags_jmx_port_config_files_and_extra_args() {
    Path lib = dir.resolve("lib");
    LaunchSettings settings = builder().jmxPort(17199).jvmArg("-Dfoo=bar").settings();
    List<String> cmd = JvmCommand.command(settings, settings.jmxPort(), lib);
    assertTrue(cmd.get(0).endsWith("java"));
    assertTrue(cmd.contains("-Xms512m") && cmd.contains("-Xmx512m"), cmd.toString());
    assertTrue(cmd.contains("-XX:+ExitOnOutOfMemoryError"));
    assertTrue(cmd.contains("-XX:+UseG1GC"));
    assertTrue(cmd.contains("-Dcassandra-foreground=yes"));
    assertTrue(cmd.contains("-Dcassandra.jmx.local.port=17199"));
    assertTrue(
        cmd.contains(
            "-Dcassandra.config=" + dir.resolve("conf").resolve("cassandra.yaml").toUri()));
    assertTrue(
        cmd.contains("-Dlogback.configurationFile=" + dir.resolve("conf").resolve("logback.xml")));
    assertTrue(cmd.contains("java.base/sun.nio.ch=ALL-UNNAMED"));
    assertEquals("--add-opens", cmd.get(cmd.indexOf("java.base/java.net=ALL-UNNAMED") - 1));
    assertEquals(LocalCassandra.MAIN_CLASS, cmd.get(cmd.size() - 1));
    assertEquals(lib + "/*", cmd.get(cmd.size() - 2));
    assertTrue(cmd.indexOf("-Dfoo=bar") < cmd.indexOf("-cp"));
  }

  @Test
  void with_jmx_disabled_the_cassandra_jvm_opens_no_jmx_port() {
    List<String> cmd =
        JvmCommand.command(
            builder().jmxPort(LocalCassandra.JMX_DISABLED).settings(),
            LocalCassandra.JMX_DISABLED,
            dir);
    assertTrue(cmd.stream().noneMatch(s -> s.startsWith("-Dcassandra.jmx")), cmd.toString());
  }

  @Test
  void the_builder_rejects_a_bad_heap_port_or_timeout_and_clashing_ports() {
    assertThrows(IllegalArgumentException.class, () -> builder().heap("1 g"));
    assertThrows(IllegalArgumentException.class, () -> builder().cqlPort(0));
    assertThrows(IllegalArgumentException.class, () -> builder().jmxPort(70000));
    assertThrows(IllegalArgumentException.class, () -> builder().storagePort(19042).build());
    assertThrows(IllegalArgumentException.class, () -> builder().startupTimeout(Duration.ZERO));
  }

  @Test
  void start_on_a_taken_cql_port_fails_naming_the_port_and_leaves_no_pid_file() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      assertFalse(LocalCassandra.isPortFree(port));
      CassandraLaunchException e =
          assertThrows(
              CassandraLaunchException.class,
              () ->
                  LocalCassandra.builder()
                      .workDir(dir)
                      .cqlPort(port)
                      .storagePort(LocalCassandra.freePort())
                      .libDir(dir)
                      .build()
                      .start());
      assertTrue(e.getMessage().contains(Integer.toString(port)), e.getMessage());
      assertFalse(Files.exists(dir.resolve(LocalCassandra.PID_FILE)));
    }
  }

  @Test
  void free_port_returns_a_port_that_can_be_bound() {
    int p = LocalCassandra.freePort();
    assertTrue(p > 0);
    assertTrue(LocalCassandra.isPortFree(p));
    assertNotEquals(0, p);
  }

  @Test
  void free_ports_come_from_below_the_ephemeral_range_and_never_twice() {
    int below = LocalPorts.ephemeralLow();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int n = 0; n < 50; n++) {
      int p = LocalCassandra.freePort();
      assertTrue(p < below, p + " is in the ephemeral range from " + below);
      assertTrue(seen.add(p), p + " handed out twice");
    }
  }

  @Test
  void the_readiness_probe_accepts_only_a_supported_answer_to_cql_options() throws Exception {
    // 0x84 response, stream 1, opcode 0x06 SUPPORTED, body: empty string multimap (n=0)
    byte[] supported = {(byte) 0x84, 0, 0, 1, 0x06, 0, 0, 0, 2, 0, 0};
    try (ServerSocket server = fakeServer(supported)) {
      assertTrue(
          LocalCassandra.isAnswering("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(2)));
    }
    byte[] error = {(byte) 0x84, 0, 0, 1, 0x00, 0, 0, 0, 0};
    try (ServerSocket server = fakeServer(error)) {
      assertFalse(
          LocalCassandra.isAnswering("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(2)));
    }
    assertFalse(
        LocalCassandra.isAnswering("127.0.0.1", LocalCassandra.freePort(), Duration.ofSeconds(1)));
  }

  private static ServerSocket fakeServer(byte[] answer) throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] req = in.readNBytes(9);
                if (req.length == 9 && req[0] == 4 && req[4] == 5) {
                  OutputStream out = s.getOutputStream();
                  out.write(answer);
                  out.flush();
                }
              } catch (IOException ignored) {
                // closed
              }
            });
    t.setDaemon(true);
    t.start();
    return server;
  }

  @Test
  void log_tail_returns_the_last_lines_written_since_this_start() throws IOException {
    Path f = dir.resolve("log.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      sb.append("line ").append(i).append('\n');
    }
    Files.writeString(f, sb);
    List<String> t = LogTail.tail(f, 0, 40);
    assertEquals(40, t.size());
    assertEquals("line 61", t.get(0));
    assertEquals("line 100", t.get(39));
    long offset = Files.size(f);
    Files.writeString(f, "new 1\nnew 2\n", java.nio.file.StandardOpenOption.APPEND);
    assertEquals(List.of("new 1", "new 2"), LogTail.tail(f, offset, 40));
    assertEquals(List.of(), LogTail.tail(dir.resolve("missing"), 0, 40));
  }

  @Test
  void a_failed_start_shows_this_runs_system_log_lines_then_the_console_output()
      throws IOException {
    WorkDirLayout dirs = builder().settings().dirs();
    Files.createDirectories(dirs.logDir());
    assertTrue(LogTail.of(dirs, 0).contains("(no output in " + dirs.logDir() + ")"));
    Files.writeString(dirs.systemLog(), "INFO an earlier run\n");
    long offset = Files.size(dirs.systemLog());
    Files.writeString(
        dirs.systemLog(),
        "ERROR Saved cluster name A != configured name B\n",
        java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(dirs.stdoutLog(), "WARN console line\n");
    String tail = LogTail.of(dirs, offset);
    assertFalse(tail.contains("an earlier run"), tail);
    assertTrue(
        tail.indexOf("Saved cluster name A != configured name B")
            < tail.indexOf("--- last 1 lines of " + dirs.stdoutLog()),
        tail);
    assertTrue(tail.contains("WARN console line"), tail);
  }

  @Test
  void an_instance_keeps_the_settings_it_was_built_with_when_the_builder_changes_later() {
    LocalCassandra.Builder b = builder().yaml("auto_snapshot", "true");
    LaunchSettings built = b.settings();
    b.yaml("auto_snapshot", "false").jvmArg("-Dlater=1").cqlPort(19043);
    assertEquals(19042, built.cqlPort());
    assertTrue(ConfigFiles.cassandraYaml(built).contains("\nauto_snapshot: true\n"));
    assertFalse(JvmCommand.command(built, -1, dir).contains("-Dlater=1"));
    assertEquals(dir.toAbsolutePath().normalize(), built.workDir());
  }

  @Test
  void status_reads_the_cql_port_from_the_written_cassandra_yaml() throws IOException {
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(
        dir.resolve("conf").resolve("cassandra.yaml"),
        ConfigFiles.cassandraYaml(builder().settings()));
    assertEquals(Optional.of(19042), ConfigFiles.cqlPortFromYaml(dir));
    assertEquals(Optional.empty(), ConfigFiles.cqlPortFromYaml(dir.resolve("nope")));
  }

  @Test
  void stop_by_pid_file_never_kills_a_reused_pid_and_removes_the_stale_pid_file()
      throws IOException {
    assertFalse(LocalCassandra.stopByPidFile(dir));
    // the pid of this test JVM is alive but is not a CassandraDaemon: must not be touched
    Files.writeString(dir.resolve(LocalCassandra.PID_FILE), ProcessHandle.current().pid() + "\n");
    assertTrue(LocalCassandra.runningFromPidFile(dir).isEmpty());
    assertFalse(LocalCassandra.stopByPidFile(dir));
    assertFalse(Files.exists(dir.resolve(LocalCassandra.PID_FILE)));
  }

  @Test
  void wipe_deletes_the_data_and_keeps_the_logs() throws IOException {
    Files.createDirectories(dir.resolve("data/data/ks"));
    Files.writeString(dir.resolve("data/data/ks/file"), "x");
    Files.createDirectories(dir.resolve("logs"));
    builder().build().wipeData();
    assertFalse(Files.exists(dir.resolve("data")));
    assertTrue(Files.exists(dir.resolve("logs")));
  }

  /**
   * The build must copy Cassandra's own classpath, not the parent's managed (newer) logging/jackson
   * versions.
   */
  @Test
  void the_build_copies_cassandras_own_classpath_with_slf4j_1_7_and_matching_logback()
      throws IOException {
    Path lib = LocalCassandra.resolveLibDir();
    List<String> jars;
    try (Stream<Path> s = Files.list(lib)) {
      jars = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    String version = LocalCassandra.cassandraVersion();
    assertTrue(jars.contains("cassandra-all-" + version + ".jar"), jars.toString());
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("netty-all-")), jars.toString());
    assertTrue(jars.stream().noneMatch(j -> j.startsWith("junit")), jars.toString());
    String logbackCore =
        jars.stream().filter(j -> j.startsWith("logback-core-")).findFirst().orElseThrow();
    String logbackClassic =
        jars.stream().filter(j -> j.startsWith("logback-classic-")).findFirst().orElseThrow();
    assertEquals(
        logbackCore.substring("logback-core-".length()),
        logbackClassic.substring("logback-classic-".length()),
        "logback-core and -classic must match");
    assertTrue(jars.contains("slf4j-api-1.7.36.jar"), "Cassandra 5.0 runs on slf4j 1.7: " + jars);
    assertEquals(1, jars.stream().filter(j -> j.startsWith("slf4j-api-")).count(), jars.toString());
  }
}
