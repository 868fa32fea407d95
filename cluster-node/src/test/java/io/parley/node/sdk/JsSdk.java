package io.parley.node.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the official LeanCloud JS SDKs (leancloud-realtime 4.3.1 and 5.0.0-rc.8 from npm) through
 * {@code src/test/js/sdk.js} in a Node.js child process. Installs them with {@code npm ci} the
 * first time.
 */
public final class JsSdk {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR =
      Path.of(System.getProperty("parley.js.dir", "src/test/js")).toAbsolutePath();
  private static boolean installed;

  private JsSdk() {}

  /** The scenario's result object (the harness's last stdout line); {@code ok} tells success. */
  public static JsonNode run(String scenario, List<String> arguments, Duration timeout) {
    List<String> withTimeout = new ArrayList<>(arguments);
    withTimeout.addAll(List.of("--timeout-ms", Long.toString(timeout.toMillis())));
    return runScript("sdk.js", scenario, withTimeout, timeout);
  }

  /**
   * Runs {@code node <script> <scenario> <arguments>} in {@code src/test/js} and returns its last
   * stdout line as JSON (the harnesses' result object); fails with the script's stderr when it
   * prints nothing or hangs.
   */
  public static JsonNode runScript(
      String script, String scenario, List<String> arguments, Duration timeout) {
    return start(script, scenario, arguments).result(timeout.plusSeconds(15));
  }

  /**
   * Starts {@code node <script> <scenario> <arguments>} in {@code src/test/js} without waiting for
   * it.
   */
  public static Running start(String script, String scenario, List<String> arguments) {
    ensureInstalled();
    return startIn(DIR, script, scenario, arguments);
  }

  /**
   * Runs {@code node <script> <scenario> <arguments>} in the harness folder {@code dir} (installed
   * by the caller, see {@link #install}) and returns its last stdout line as JSON.
   */
  public static JsonNode runIn(
      Path dir, String script, String scenario, List<String> arguments, Duration timeout) {
    return startIn(dir, script, scenario, arguments).result(timeout.plusSeconds(15));
  }

  /**
   * Starts {@code node <script> <scenario> <arguments>} in the harness folder {@code dir} without
   * waiting.
   */
  public static Running startIn(Path dir, String script, String scenario, List<String> arguments) {
    List<String> command = new ArrayList<>(List.of("node", script, scenario));
    command.addAll(arguments);
    try {
      Path stdout = Files.createTempFile("parley-js-", ".out");
      stdout.toFile().deleteOnExit();
      Path stderr = Files.createTempFile("parley-js-", ".err");
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .start();
      return new Running(command, process, stdout, stderr);
    } catch (IOException e) {
      throw new AssertionError("cannot run node (is Node.js installed?): " + e.getMessage(), e);
    }
  }

  /** A harness script running in the background. */
  public static final class Running {
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private Running(List<String> command, Process process, Path stdout, Path stderr) {
      this.command = command;
      this.process = process;
      this.stdout = stdout;
      this.stderr = stderr;
    }

    /**
     * Waits for the script to end and returns its result object; the process is gone afterwards
     * either way.
     */
    public JsonNode result(Duration timeout) {
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new AssertionError(
              "JS SDK " + command + " did not finish; stderr:\n" + tail(stderr));
        }
        List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
          throw new AssertionError(
              "JS SDK " + command + " printed nothing; stderr:\n" + tail(stderr));
        }
        JsonNode result = JSON.readTree(lines.get(lines.size() - 1));
        if (!result.path("ok").asBoolean()) {
          System.err.println("JS SDK " + command + " failed; stderr:\n" + tail(stderr));
        }
        return result;
      } catch (IOException e) {
        throw new AssertionError("cannot read the output of " + command + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      } finally {
        process.destroyForcibly();
      }
    }

    public void kill() {
      process.destroyForcibly();
    }
  }

  /** Installs the SDKs with {@code npm ci} unless both are there. */
  static synchronized void ensureInstalled() {
    if (!installed) {
      npmCi(DIR, "node_modules/lc5/package.json", "node_modules/lc4/package.json");
      installed = true;
    }
  }

  /**
   * {@code npm ci} in {@code dir} (its package.json and lock) unless every {@code marker} file is
   * there.
   */
  public static synchronized void npmCi(Path dir, String... markers) {
    if (java.util.Arrays.stream(markers).allMatch(marker -> Files.exists(dir.resolve(marker)))) {
      return;
    }
    install(dir);
  }

  /** {@code npm ci} in the harness folder {@code dir}: its package-lock.json pins every package. */
  public static void install(Path dir) {
    try {
      Process npm =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.INHERIT)
              .start();
      if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0) {
        throw new AssertionError(
            "npm ci in " + dir + " failed: its packages could not be installed");
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run npm (is Node.js installed?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
