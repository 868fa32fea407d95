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
  void yamlHasPortsDirsAndDevSettings() {
    String yaml = builder().clusterName("It's a test").build().cassandraYaml();
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
  void yamlHasNoDuplicateKeysAndOverridesReplace() {
    String yaml =
        builder()
            .yaml("auto_snapshot", "true")
            .yaml("materialized_views_enabled", "true")
            .build()
            .cassandraYaml();
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
  void logbackWritesIntoWorkDirLogs() {
    String xml = builder().build().logbackXml();
    assertTrue(xml.contains("<file>" + dir.resolve("logs").resolve("system.log") + "</file>"), xml);
    assertFalse(xml.contains("jmxConfigurator"));
  }

  @Test
  void commandLine() {
    Path lib = dir.resolve("lib");
    List<String> cmd = builder().jmxPort(17199).jvmArg("-Dfoo=bar").build().command(lib);
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
  void jmxCanBeDisabled() {
    List<String> cmd = builder().jmxPort(LocalCassandra.JMX_DISABLED).build().command(dir);
    assertTrue(cmd.stream().noneMatch(s -> s.startsWith("-Dcassandra.jmx")), cmd.toString());
  }

  @Test
  void builderValidation() {
    assertThrows(IllegalArgumentException.class, () -> builder().heap("1 g"));
    assertThrows(IllegalArgumentException.class, () -> builder().cqlPort(0));
    assertThrows(IllegalArgumentException.class, () -> builder().jmxPort(70000));
    assertThrows(IllegalArgumentException.class, () -> builder().storagePort(19042).build());
    assertThrows(IllegalArgumentException.class, () -> builder().startupTimeout(Duration.ZERO));
  }

  @Test
  void startRefusesTakenPortNamingIt() throws IOException {
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
  void freePortIsFree() {
    int p = LocalCassandra.freePort();
    assertTrue(p > 0);
    assertTrue(LocalCassandra.isPortFree(p));
    assertNotEquals(0, p);
  }

  @Test
  void handshakeAgainstFakeServer() throws Exception {
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
  void tailReadsLastLinesFromOffset() throws IOException {
    Path f = dir.resolve("log.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      sb.append("line ").append(i).append('\n');
    }
    Files.writeString(f, sb);
    List<String> t = LocalCassandra.tail(f, 0, 40);
    assertEquals(40, t.size());
    assertEquals("line 61", t.get(0));
    assertEquals("line 100", t.get(39));
    long offset = Files.size(f);
    Files.writeString(f, "new 1\nnew 2\n", java.nio.file.StandardOpenOption.APPEND);
    assertEquals(List.of("new 1", "new 2"), LocalCassandra.tail(f, offset, 40));
    assertEquals(List.of(), LocalCassandra.tail(dir.resolve("missing"), 0, 40));
  }

  @Test
  void cqlPortFromGeneratedYaml() throws IOException {
    LocalCassandra c = builder().build();
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("conf").resolve("cassandra.yaml"), c.cassandraYaml());
    assertEquals(Optional.of(19042), LocalCassandra.cqlPortFromYaml(dir));
    assertEquals(Optional.empty(), LocalCassandra.cqlPortFromYaml(dir.resolve("nope")));
  }

  @Test
  void stopByPidFileWithStaleOrMissingPid() throws IOException {
    assertFalse(LocalCassandra.stopByPidFile(dir));
    // the pid of this test JVM is alive but is not a CassandraDaemon: must not be touched
    Files.writeString(dir.resolve(LocalCassandra.PID_FILE), ProcessHandle.current().pid() + "\n");
    assertTrue(LocalCassandra.runningFromPidFile(dir).isEmpty());
    assertFalse(LocalCassandra.stopByPidFile(dir));
    assertFalse(Files.exists(dir.resolve(LocalCassandra.PID_FILE)));
  }

  @Test
  void wipeDeletesDataOnly() throws IOException {
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
  void libDirFromBuildHasCassandrasOwnClasspath() throws IOException {
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
