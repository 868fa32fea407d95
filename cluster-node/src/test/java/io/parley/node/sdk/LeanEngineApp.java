package io.parley.node.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.deploy.cassandra.LocalCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A real LeanEngine app ({@code leanengine} 3.8.0, {@code src/test/js-engine/server.js}) that
 * defines every realtime hook, run in a Node.js child process on loopback with its app id, keys and
 * hook key; its API server is a loopback port nobody listens on, so it never calls out. Installs
 * itself with {@code npm ci} the first time. {@link #calls} reads what it received.
 */
public final class LeanEngineApp implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR =
      Path.of(System.getProperty("parley.js-engine.dir", "src/test/js-engine")).toAbsolutePath();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final int port;
  private final Path log;

  private LeanEngineApp(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Starts the engine for app {@code appId} and waits until it answers LeanEngine's health check.
   */
  public static LeanEngineApp start(String appId, String appKey, String masterKey, String hookKey) {
    JsSdk.npmCi(
        DIR, "node_modules/leanengine/package.json", "node_modules/leancloud-storage/package.json");
    int port = LocalCassandra.freePort();
    try {
      Path log = Files.createTempFile("parley-engine-", ".log");
      log.toFile().deleteOnExit();
      ProcessBuilder builder =
          new ProcessBuilder("node", "server.js")
              .directory(DIR.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder
          .environment()
          .putAll(
              java.util.Map.of(
                  "PORT", Integer.toString(port),
                  "LEANCLOUD_APP_ID", appId,
                  "LEANCLOUD_APP_KEY", appKey,
                  "LEANCLOUD_APP_MASTER_KEY", masterKey,
                  "LEANCLOUD_APP_HOOK_KEY", hookKey,
                  "LEANCLOUD_API_SERVER", "http://127.0.0.1:" + LocalCassandra.freePort()));
      LeanEngineApp engine = new LeanEngineApp(builder.start(), port, log);
      engine.awaitReady(Duration.ofSeconds(30));
      return engine;
    } catch (IOException e) {
      throw new AssertionError("cannot run node (is Node.js installed?): " + e.getMessage(), e);
    }
  }

  /** The base URL Parley calls: {@code POST {url}/1.1/functions/{hook}}. */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Every hook call the engine received so far, in order: {@code {hook, params, at}}. */
  public List<JsonNode> calls() {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url() + "/calls"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      List<JsonNode> calls = new ArrayList<>();
      JSON.readTree(response.body()).forEach(calls::add);
      return calls;
    } catch (IOException e) {
      throw new AssertionError("engine did not answer /calls: " + e + "\n" + output(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The params of the calls of {@code hook} that match {@code filter}. */
  public List<JsonNode> calls(String hook, Predicate<JsonNode> filter) {
    return calls().stream()
        .filter(call -> call.path("hook").asText().equals(hook))
        .map(call -> call.path("params"))
        .filter(filter)
        .toList();
  }

  /**
   * Waits up to {@code timeout} for a call of {@code hook} matching {@code filter}; fails with the
   * calls seen.
   */
  public JsonNode await(String hook, Predicate<JsonNode> filter, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<JsonNode> found = calls(hook, filter);
      if (!found.isEmpty()) {
        return found.get(0);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no matching " + hook + " call within " + timeout + "; calls: " + calls());
      }
      sleep(100);
    }
  }

  /** What the engine printed (its log), for failure messages. */
  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "LeanEngine app exited with " + process.exitValue() + ":\n" + output());
      }
      try {
        HttpResponse<String> ping =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(url() + "/__engine/1/ping"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (ping.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("LeanEngine app not ready within " + timeout + ":\n" + output());
      }
      sleep(100);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
