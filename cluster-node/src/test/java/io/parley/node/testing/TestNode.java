package io.parley.node.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.Main;
import io.parley.node.gateway.GatewayBinding;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.settings.NodeSettings;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * A real Parley node in this JVM: its own actor system, cluster membership over loopback, Cassandra
 * persistence and gateway, started through {@link Main#init} exactly as in production.
 */
public final class TestNode implements AutoCloseable {

  /** Ports of one node; keep them to restart the node in place. */
  public record Ports(int http, int remote) {
    public static Ports free() {
      return new Ports(LocalCassandra.freePort(), LocalCassandra.freePort());
    }
  }

  /** The default app's entry in {@code parley.apps}, for classes that declare more apps. */
  public static final String DEV_APP =
      "{ app-id = \"parley-dev\", app-key = \"parley-dev-key\", master-key = \"parley-dev-master\" }";

  /**
   * The per-minute rates as shipped, for the classes that test them (the base settings turn them
   * off: feature tests drive many requests from one address in seconds).
   */
  public static final String SHIPPED_RATES =
      String.join(
          "\n",
          "parley.limits.direct-per-minute = 60",
          "parley.limits.history-per-minute = 120",
          "parley.limits.ops-per-minute = 30",
          "parley.limits.receipts-per-minute = 1200");

  /** {@code parley.apps} with {@code entries} (HOCON objects), e.g. {@link #DEV_APP} and others. */
  public static String apps(String... entries) {
    return "parley.apps = [\n  " + String.join(",\n  ", entries) + "\n]";
  }

  private final ActorSystem<Void> system;
  private final Ports ports;
  private final GatewayBinding binding;

  private TestNode(ActorSystem<Void> system, Ports ports, GatewayBinding binding) {
    this.system = system;
    this.ports = ports;
    this.binding = binding;
  }

  /** Starts a node that joins {@code seed} (itself when {@code seed} is null or its own ports). */
  public static TestNode start(Ports ports, Ports seed, String extraConfig) {
    return start(ports, seed, extraConfig, SharedCassandra.contactPoint());
  }

  /**
   * Starts a node on the Cassandra at {@code contactPoint} ({@code host:port}) instead of the
   * shared one.
   */
  public static TestNode start(Ports ports, Ports seed, String extraConfig, String contactPoint) {
    seed = seed == null ? ports : seed;
    Config config =
        ConfigFactory.parseString(extraConfig)
            .withFallback(ConfigFactory.parseString(baseConfig(ports, seed, contactPoint)))
            .withFallback(ConfigFactory.load())
            .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "parley", config);
    try {
      GatewayBinding binding =
          Main.init(system, NodeSettings.fromConfig(system.settings().config()))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      TestNode node = new TestNode(system, ports, binding);
      node.awaitUp(Duration.ofSeconds(30));
      return node;
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node on port " + ports.http() + " did not start: " + e, e);
    }
  }

  public static TestNode start(Ports ports) {
    return start(ports, ports, "");
  }

  private static String baseConfig(Ports ports, Ports seed, String contactPoint) {
    String keyspace = SharedCassandra.keyspace();
    return String.join(
        "\n",
        "parley.gateway.port = " + ports.http(),
        "pekko.remote.artery.canonical.port = " + ports.remote(),
        // health checks and metrics on free ports: managementUri(), metricsUri()
        "pekko.management.http.port = 0",
        "parley.metrics.port = 0",
        "pekko.cluster.seed-nodes = [\"pekko://parley@127.0.0.1:" + seed.remote() + "\"]",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
        "pekko.persistence.cassandra.journal.keyspace = " + keyspace,
        "pekko.persistence.cassandra.snapshot.keyspace = " + keyspace,
        "pekko.persistence.cassandra.journal.keyspace-autocreate = true",
        "pekko.persistence.cassandra.journal.tables-autocreate = true",
        "pekko.persistence.cassandra.snapshot.keyspace-autocreate = true",
        "pekko.persistence.cassandra.snapshot.tables-autocreate = true",
        "datastax-java-driver.basic.contact-points = [\"" + contactPoint + "\"]",
        "datastax-java-driver.advanced.session-leak.threshold = 50",
        // Feature tests drive many requests and logins from 127.0.0.1 in seconds: LeanCloud's
        // per-minute rates are off here. HostileClientIT, NodeLimitsIT and LiveFuzzIT run with the
        // shipped defaults (SHIPPED_RATES).
        "parley.limits.direct-per-minute = 0",
        "parley.limits.history-per-minute = 0",
        "parley.limits.ops-per-minute = 0",
        "parley.limits.receipts-per-minute = 0",
        "parley.limits.logins-per-address-per-minute = 0",
        // No warm-up logins before each test node is ready (WarmUpIT runs them).
        "parley.warm-up.logins = 0",
        "parley.warm-up.messages = 0");
  }

  private void awaitUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Cluster cluster = Cluster.get(system);
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "node " + ports + " not Up after " + timeout + ": " + cluster.selfMember());
      }
      Thread.sleep(50);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Ports ports() {
    return ports;
  }

  /** The WebSocket URL of this node. */
  public URI webSocketUri() {
    return URI.create("ws://127.0.0.1:" + ports.http() + "/");
  }

  /** Pekko Management of this node: {@code /ready}, {@code /alive}. */
  public URI managementUri() {
    try {
      var uri = PekkoManagement.get(system).start().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return URI.create("http://127.0.0.1:" + uri.port());
    } catch (Exception e) {
      throw new IllegalStateException("management of node " + ports + " is not bound", e);
    }
  }

  /** The Prometheus endpoint of this node ({@code GET /metrics}). */
  public URI metricsUri() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (NodeMetrics.get(system).endpoint().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    var bound =
        NodeMetrics.get(system)
            .endpoint()
            .orElseThrow(
                () -> new IllegalStateException("metrics of node " + ports + " are not bound"));
    return URI.create("http://127.0.0.1:" + bound.getPort() + "/metrics");
  }

  /** The base URL the SDKs use for REST and the router. */
  public String httpBase() {
    return "http://127.0.0.1:" + ports.http();
  }

  /** Members this node sees as Up. */
  public long membersUp() {
    var state = Cluster.get(system).state();
    return java.util.stream.StreamSupport.stream(state.getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  @Override
  public void close() {
    binding.unbind();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node " + ports + " did not stop", e);
    }
  }
}
