package io.parley.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {

  @Test
  void every_start_option_on_the_command_line_reaches_the_launcher() throws Exception {
    Cli.Args a =
        Cli.parse(
            new String[] {
              "start",
              "--dir",
              "/tmp/x",
              "--cql-port",
              "19042",
              "--storage-port=17000",
              "--jmx-port",
              "-1",
              "--heap",
              "768m",
              "--cluster-name",
              "Test",
              "--timeout",
              "60",
              "--wipe",
              "--foreground"
            });
    assertEquals("start", a.action);
    assertEquals(Paths.get("/tmp/x"), a.dir);
    assertEquals(19042, a.cqlPort);
    assertEquals(17000, a.storagePort);
    assertEquals(LocalCassandra.JMX_DISABLED, a.jmxPort);
    assertEquals("768m", a.heap);
    assertEquals("Test", a.clusterName);
    assertEquals(Duration.ofSeconds(60), a.timeout);
    assertTrue(a.wipe);
    assertTrue(a.foreground);

    LocalCassandra c = a.toBuilder().build();
    assertEquals(19042, c.cqlPort());
    assertEquals(17000, c.storagePort());
    assertEquals("768m", c.heap());
    assertEquals(Paths.get("/tmp/x"), c.workDir());
  }

  @Test
  void a_bare_start_uses_the_documented_defaults_and_stop_status_and_help_parse() throws Exception {
    Cli.Args a = Cli.parse(new String[] {"start"});
    assertNull(a.dir);
    assertFalse(a.foreground);
    assertEquals(LocalCassandra.defaultWorkDir(), a.dirOrDefault());
    LocalCassandra c = a.toBuilder().build();
    assertEquals(9042, c.cqlPort());
    assertEquals(7000, c.storagePort());
    assertEquals("1g", c.heap());

    assertEquals("stop", Cli.parse(new String[] {"stop", "--dir", "d"}).action);
    assertEquals(
        9142, Cli.parse(new String[] {"status", "--dir", "d", "--cql-port", "9142"}).cqlPort);
    assertTrue(Cli.parse(new String[] {"--help"}).help);
  }

  @Test
  void each_malformed_command_line_is_a_usage_error() {
    String[][] bad = {
      {},
      {"restart"},
      {"start", "--cql-port"},
      {"start", "--cql-port", "abc"},
      {"start", "--cql-port", "0"},
      {"start", "--cql-port", "70000"},
      {"start", "--heap", "lots"},
      {"start", "--timeout", "-5"},
      {"start", "--bogus"},
      {"start", "extra"},
      {"start", "--wipe=yes"},
      {"start", "--cql-port", "7000"}, // same as default storage port
      {"stop", "--cql-port", "9042"},
      {"status", "--foreground"},
    };
    for (String[] args : bad) {
      assertThrows(Cli.UsageException.class, () -> Cli.parse(args), String.join(" ", args));
    }
  }

  @Test
  void a_bad_argument_prints_the_usage_naming_it_and_exits_with_code_2() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Cli.run(
            new String[] {"start", "--nope"},
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, code);
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("usage:"), text);
    assertTrue(text.contains("--nope"), text);
  }

  @Test
  void on_a_work_dir_without_cassandra_status_exits_3_and_stop_succeeds(@TempDir Path dir) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertEquals(3, Cli.run(new String[] {"status", "--dir", dir.toString()}, ps, ps));
    assertEquals(0, Cli.run(new String[] {"stop", "--dir", dir.toString()}, ps, ps));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("not running"));
  }
}
