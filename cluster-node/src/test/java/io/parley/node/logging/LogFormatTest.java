package io.parley.node.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The node's logback.xml (src/main/resources, not the tests' own), in a JVM of its own as a node
 * runs it: PARLEY_LOG_FORMAT=json writes one JSON object per line with timestamp, level, logger and
 * message (what Kubernetes log collectors index); the default text format carries the full UTC
 * date; TRACE (per-message traffic) stays out at the default level.
 */
class LogFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void json_format_writes_one_object_per_line_with_timestamp_level_logger_and_message()
      throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    List<String> lines = runProbe(Map.of("PARLEY_LOG_FORMAT", "json"));
    assertEquals(2, lines.size(), "INFO and WARN, no TRACE: " + lines);
    JsonNode info = JSON.readTree(lines.get(0));
    assertEquals("INFO", info.get("level").asText());
    assertEquals("io.parley.node.Main", info.get("logger").asText());
    assertEquals("Gateway listening on /127.0.0.1:8080 (http/ws)", info.get("message").asText());
    Instant timestamp = Instant.parse(info.get("timestamp").asText());
    assertTrue(
        !timestamp.isBefore(before) && timestamp.isBefore(Instant.now().plusSeconds(1)),
        timestamp::toString);
    assertTrue(info.get("timestamp").asText().endsWith("Z"), "UTC: " + info);
    JsonNode warn = JSON.readTree(lines.get(1));
    assertEquals("WARN", warn.get("level").asText());
    assertTrue(
        warn.get("stack_trace").asText().contains("IllegalStateException: Cassandra timed out"),
        warn::toString);
  }

  @Test
  void text_format_is_the_default_and_carries_the_utc_date() throws Exception {
    List<String> lines = runProbe(Map.of());
    assertFalse(lines.isEmpty());
    String first = lines.get(0);
    assertTrue(
        first.matches(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z INFO  io\\.parley\\.node\\.Main .*"
                + "- Gateway listening on /127\\.0\\.0\\.1:8080 \\(http/ws\\)"),
        first);
    assertTrue(
        lines.stream().noneMatch(line -> line.contains("per-message traffic")),
        "TRACE is off: " + lines);
  }

  @Test
  void a_node_refuses_an_unknown_log_format_instead_of_logging_nothing() {
    var config =
        com.typesafe.config.ConfigFactory.parseString("parley.log-format = JSON")
            .withFallback(com.typesafe.config.ConfigFactory.load())
            .resolve();
    IllegalArgumentException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> io.parley.node.settings.NodeSettings.fromConfig(config));
    assertTrue(refused.getMessage().contains("PARLEY_LOG_FORMAT"), refused.getMessage());
  }

  /**
   * Runs {@link LogProbe} with the node's logback.xml and {@code env}; its standard output, line by
   * line.
   */
  private static List<String> runProbe(Map<String, String> env) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(
            java.toString(),
            "-Dlogback.configurationFile=logback.xml",
            "-cp",
            System.getProperty("java.class.path"),
            LogProbe.class.getName());
    builder.environment().remove("PARLEY_LOG_FORMAT");
    builder.environment().remove("PARLEY_LOG_LEVEL");
    builder.environment().putAll(env);
    builder.redirectErrorStream(false);
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(
        process.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS), "probe did not end");
    assertEquals(0, process.exitValue(), err);
    List<String> lines = new ArrayList<>();
    for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
      // logback's own status lines (only on configuration problems) start with a time and a pipe
      if (!line.isBlank() && !line.contains("|-")) {
        lines.add(line);
      }
    }
    assertFalse(lines.isEmpty(), "no log output; stderr: " + err);
    return lines;
  }
}
