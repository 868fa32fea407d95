package io.parley.node.testing;

import io.parley.deploy.cassandra.LocalCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Parley node in its own JVM: {@code io.parley.node.Main}, as {@code deploy/local/parley}
 * starts it, with the module's test classpath, so it can be killed with SIGKILL, stopped with
 * SIGTERM (coordinated shutdown, {@code goaway} to its clients) and started again on the same
 * ports. Optionally inside a network namespace ({@code ip netns exec}). Its output goes to {@code
 * target/fault-logs/<name>.log}.
 */
public final class NodeProcess implements AutoCloseable {

  /**
   * Where a node listens and whom it joins: {@code seeds} are the remoting {@code host:port} of
   * every node of the cluster, so a restarted first node joins the others rather than forming a
   * cluster of its own; {@code netns} is null for the host's own network.
   */
  public record Spec(
      String name,
      String host,
      int http,
      int remote,
      List<String> seeds,
      String netns,
      String contactPoint,
      Map<String, String> settings) {

    /** {@code size} nodes on loopback with free ports, every one seeding from all. */
    public static List<Spec> loopback(String prefix, int size, Map<String, String> settings) {
      return loopback(prefix, size, settings, SharedCassandra.contactPoint());
    }

    /** As {@link #loopback(String, int, Map)}, storing in the Cassandra at {@code contactPoint}. */
    public static List<Spec> loopback(
        String prefix, int size, Map<String, String> settings, String contactPoint) {
      List<int[]> ports = new ArrayList<>();
      for (int n = 0; n < size; n++) {
        ports.add(new int[] {LocalCassandra.freePort(), LocalCassandra.freePort()});
      }
      List<String> seeds = ports.stream().map(p -> "127.0.0.1:" + p[1]).toList();
      return ports.stream()
          .map(
              p ->
                  new Spec(
                      prefix + "-" + (ports.indexOf(p) + 1),
                      "127.0.0.1",
                      p[0],
                      p[1],
                      seeds,
                      null,
                      contactPoint,
                      settings))
          .toList();
    }

    public URI webSocketUri() {
      return URI.create("ws://" + host + ":" + http + "/");
    }
  }

  private final Spec spec;
  private final Path log;
  private Process process;

  public NodeProcess(Spec spec) {
    this.spec = spec;
    Path dir = Path.of(System.getProperty("parley.build.dir", "target"), "fault-logs");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir, e);
    }
    this.log = dir.resolve(spec.name() + ".log");
  }

  public Spec spec() {
    return spec;
  }

  /**
   * Starts the JVM and waits until its router answers (Up in the cluster, gateway bound), at most
   * 90 s.
   */
  public NodeProcess start() {
    launch();
    awaitRouter(Duration.ofSeconds(90));
    return this;
  }

  /** Starts the JVM without waiting; {@link #awaitReady} waits for it. */
  public synchronized NodeProcess launch() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(spec.name() + " is already running");
    }
    List<String> command = new ArrayList<>();
    if (spec.netns() != null) {
      command.addAll(List.of("ip", "netns", "exec", spec.netns()));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-Xms64m",
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=1"));
    String keyspace = SharedCassandra.keyspace();
    Map<String, String> properties = new java.util.LinkedHashMap<>();
    properties.put("parley.gateway.interface", spec.host());
    properties.put("parley.gateway.port", Integer.toString(spec.http()));
    properties.put("pekko.remote.artery.canonical.hostname", spec.host());
    properties.put("pekko.remote.artery.canonical.port", Integer.toString(spec.remote()));
    for (int n = 0; n < spec.seeds().size(); n++) {
      properties.put("pekko.cluster.seed-nodes." + n, "pekko://parley@" + spec.seeds().get(n));
    }
    properties.put("parley.cassandra.contact-point", spec.contactPoint());
    // Health checks and metrics on free ports of the node's own address.
    properties.put("pekko.management.http.hostname", spec.host());
    properties.put("pekko.management.http.port", "0");
    properties.put("parley.metrics.interface", spec.host());
    properties.put("parley.metrics.port", "0");
    properties.put("pekko.persistence.cassandra.journal.keyspace", keyspace);
    properties.put("pekko.persistence.cassandra.snapshot.keyspace", keyspace);
    for (String key :
        List.of(
            "journal.keyspace-autocreate",
            "journal.tables-autocreate",
            "snapshot.keyspace-autocreate",
            "snapshot.tables-autocreate")) {
      properties.put("pekko.persistence.cassandra." + key, "true");
    }
    // The fault tests measure what clients see from the moment a node answers: no warm-up logins
    // (WarmUpIT and ParleyScriptIT run them).
    properties.put("parley.warm-up.logins", "0");
    properties.put("parley.warm-up.messages", "0");
    properties.putAll(spec.settings());
    properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.addAll(List.of("-cp", classpath(), "io.parley.node.Main"));
    try {
      Files.createDirectories(log.getParent());
      Files.writeString(
          log,
          "=== start " + java.time.Instant.now() + "\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start node " + spec.name() + ": " + e, e);
    }
    return this;
  }

  /** Waits until a {@link #launch}ed node's router answers, at most 90 s. */
  public NodeProcess awaitReady() {
    awaitRouter(Duration.ofSeconds(90));
    return this;
  }

  private static String classpath() {
    String testClasspath = System.getProperty("surefire.test.class.path");
    return testClasspath != null && !testClasspath.isBlank()
        ? testClasspath
        : System.getProperty("java.class.path");
  }

  private void awaitRouter(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI route =
        URI.create("http://" + spec.host() + ":" + spec.http() + "/v1/route?appId=parley-dev");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "node " + spec.name() + " exited with " + process.exitValue() + "; log:\n" + tail());
      }
      try {
        HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(route).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      sleep(250);
    }
    throw new IllegalStateException(
        "node " + spec.name() + " did not answer within " + timeout + "; log:\n" + tail());
  }

  /** SIGKILL: the JVM dies at once, nothing is flushed, its sockets are reset by the kernel. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitExit(Duration.ofSeconds(10));
    }
  }

  /**
   * SIGTERM: coordinated shutdown (goaway to every client, shard handoff, leave), at most 60 s,
   * then SIGKILL.
   */
  public synchronized void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!waitExit(Duration.ofSeconds(60))) {
        process.destroyForcibly();
        waitExit(Duration.ofSeconds(10));
      }
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /**
   * Waits up to {@code timeout} for the JVM to end by itself (e.g. downed by the split-brain
   * resolver).
   */
  public boolean waitExit(Duration timeout) {
    Process current;
    synchronized (this) {
      current = process;
    }
    try {
      return current == null || current.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The log so far. */
  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private String tail() {
    String text = logText();
    return text.substring(Math.max(0, text.length() - 4000));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    kill();
  }
}
