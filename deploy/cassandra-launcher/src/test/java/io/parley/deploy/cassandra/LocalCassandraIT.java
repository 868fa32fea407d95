package io.parley.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** Starts one real Cassandra for the whole class (about 10-20 s). */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalCassandraIT {

  @TempDir static Path workDir;
  @TempDir static Path otherDir;

  static LocalCassandra cassandra;
  static ProcessHandle handle;

  @BeforeAll
  static void start() {
    cassandra =
        LocalCassandra.builder()
            .workDir(workDir)
            .cqlPort(LocalCassandra.freePort())
            .storagePort(LocalCassandra.freePort())
            .heap("640m")
            .clusterName("Parley IT")
            .startupTimeout(Duration.ofSeconds(150))
            .build()
            .start();
    handle = cassandra.processHandle().orElseThrow();
    System.out.printf(
        "Cassandra started in %.1f s%n", cassandra.lastStartupTime().toMillis() / 1000.0);
  }

  @AfterAll
  static void cleanup() {
    if (cassandra != null) {
      cassandra.close();
    }
  }

  @Test
  @Order(1)
  void a_started_cassandra_answers_cql_records_its_pid_listens_on_jmx_and_status_says_running()
      throws Exception {
    assertTrue(cassandra.isRunning());
    assertTrue(cassandra.isAnswering());
    assertTrue(LocalCassandra.isAnswering("127.0.0.1", cassandra.cqlPort(), Duration.ofSeconds(2)));
    assertEquals("127.0.0.1:" + cassandra.cqlPort(), cassandra.contactPoint());
    assertEquals(
        Long.toString(cassandra.pid()),
        Files.readString(workDir.resolve(LocalCassandra.PID_FILE)).trim());
    assertTrue(
        handle
            .info()
            .commandLine()
            .orElse(LocalCassandra.MAIN_CLASS)
            .contains(LocalCassandra.MAIN_CLASS));
    String log = Files.readString(cassandra.systemLog());
    assertTrue(
        log.contains("Starting listening for CQL clients on /127.0.0.1:" + cassandra.cqlPort()),
        log);
    assertTrue(cassandra.jmxPort() > 0);
    assertFalse(
        LocalCassandra.isPortFree(cassandra.jmxPort()),
        "JMX should listen on " + cassandra.jmxPort());

    assertEquals(0, cli("status", "--dir", workDir.toString()));
  }

  @Test
  @Order(2)
  void a_second_cassandra_on_the_same_cql_port_fails_fast_naming_it_and_the_first_keeps_serving() {
    long t0 = System.nanoTime();
    CassandraLaunchException e =
        assertThrows(
            CassandraLaunchException.class,
            () ->
                LocalCassandra.builder()
                    .workDir(otherDir)
                    .cqlPort(cassandra.cqlPort())
                    .storagePort(LocalCassandra.freePort())
                    .heap("512m")
                    .build()
                    .start());
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(e.getMessage().contains(Integer.toString(cassandra.cqlPort())), e.getMessage());
    assertTrue(millis < 5_000, "took " + millis + " ms");
    assertFalse(Files.exists(otherDir.resolve(LocalCassandra.PID_FILE)));
    assertTrue(cassandra.isAnswering(), "the first instance must be unaffected");
  }

  @Test
  @Order(3)
  void a_second_cassandra_on_the_same_work_dir_is_refused_naming_the_running_pid() {
    CassandraLaunchException e =
        assertThrows(
            CassandraLaunchException.class,
            () ->
                LocalCassandra.builder()
                    .workDir(workDir)
                    .cqlPort(LocalCassandra.freePort())
                    .storagePort(LocalCassandra.freePort())
                    .build()
                    .start());
    assertTrue(e.getMessage().contains("already running"), e.getMessage());
    assertTrue(e.getMessage().contains(Long.toString(cassandra.pid())), e.getMessage());
  }

  @Test
  @Order(4)
  void stop_ends_the_process_frees_its_ports_removes_the_pid_file_and_keeps_the_data()
      throws Exception {
    int cql = cassandra.cqlPort();
    int storage = cassandra.storagePort();
    cassandra.stop();
    assertFalse(handle.isAlive(), "process " + handle.pid() + " still alive");
    assertFalse(cassandra.isRunning());
    assertFalse(cassandra.isAnswering());
    assertTrue(LocalCassandra.isPortFree(cql), "CQL port " + cql + " still taken");
    assertTrue(LocalCassandra.isPortFree(storage), "storage port " + storage + " still taken");
    assertFalse(Files.exists(workDir.resolve(LocalCassandra.PID_FILE)));
    assertEquals(3, cli("status", "--dir", workDir.toString()));
    // data stays for the next start of the same work dir
    assertTrue(Files.isDirectory(workDir.resolve("data").resolve("data").resolve("system")));
  }

  private static int cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int code = Cli.run(args, ps, ps);
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return code;
  }
}
