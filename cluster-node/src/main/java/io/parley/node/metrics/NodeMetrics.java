package io.parley.node.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's metrics, one registry per actor system (several nodes may share a test JVM), exported
 * by {@link MetricsServer} in Prometheus' text format. Every series Parley exports is registered
 * here, with its help text, so the README's list, the Grafana dashboard ({@code
 * deploy/grafana/parley.json}) and the scrape agree: a counter nobody has incremented yet still
 * exists (at 0 where it has no labels).
 *
 * <p>Use: {@code NodeMetrics.get(system).messageIn()}. The methods are cheap and never block
 * (lock-free adders); the unlabelled ones allocate nothing and are safe on the message path. Labels
 * are bounded sets (LeanCloud codes, command names, hook names): never put a clientId, cid or
 * message id in a label.
 */
public final class NodeMetrics implements Extension {

  /** The extension id: {@link #get(ActorSystem)}. */
  public static final ExtensionId<NodeMetrics> ID =
      new ExtensionId<>() {
        @Override
        public NodeMetrics createExtension(ActorSystem<?> system) {
          return withJvm(new PrometheusRegistry());
        }
      };

  /** Buckets for latencies from a millisecond to ten seconds (acks, Cassandra writes, hooks). */
  private static final double[] LATENCY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /** Entity types whose count per node is exported ({@code parley_entities{type=...}}). */
  public static final String CONVERSATION = "conversation";

  public static final String PRESENCE = "presence";

  private final PrometheusRegistry registry;
  private final Counter connectionsOpened;
  private final Counter logins;
  private final Counter messagesIn;
  private final Counter messagesOut;
  private final Histogram ackLatency;
  private final Histogram cassandraWrites;
  private final Counter cassandraWriteFailures;
  private final Counter refusals;
  private final Counter rateLimited;
  private final Counter hookCalls;
  private final Histogram hookLatency;
  private final Map<String, AtomicLong> entities = new ConcurrentHashMap<>();
  private final Map<String, IntSupplier> gauges = new ConcurrentHashMap<>();
  private volatile InetSocketAddress endpoint;

  public static NodeMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Parley's series on {@code registry} (no JVM series: {@link #get} adds them for a node). */
  public NodeMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    this.connectionsOpened =
        Counter.builder()
            .name("parley_connections_opened_total")
            .help("WebSocket connections accepted by this node")
            .withoutExemplars()
            .register(registry);
    this.logins =
        Counter.builder()
            .name("parley_logins_total")
            .help(
                "session/open requests by outcome: opened, or refused (the code is in parley_refusals_total)")
            .labelNames("outcome")
            .withoutExemplars()
            .register(registry);
    logins.initLabelValues("opened");
    logins.initLabelValues("refused");
    this.messagesIn =
        Counter.builder()
            .name("parley_messages_in_total")
            .help("Messages (direct) received from clients")
            .withoutExemplars()
            .register(registry);
    this.messagesOut =
        Counter.builder()
            .name("parley_messages_out_total")
            .help("Messages (direct) pushed to clients, one per receiving connection")
            .withoutExemplars()
            .register(registry);
    this.ackLatency =
        Histogram.builder()
            .name("parley_ack_latency_seconds")
            .help(
                "From a client's direct arriving to its ack leaving (stored and durable), accepted messages only")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(registry);
    this.cassandraWrites =
        Histogram.builder()
            .name("parley_cassandra_write_seconds")
            .help(
                "Round trip of one message batch write to Cassandra (group commit), successful or not")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(registry);
    this.cassandraWriteFailures =
        Counter.builder()
            .name("parley_cassandra_write_failures_total")
            .help(
                "Message batch writes that failed (timeouts, unavailable replicas): their senders got no ack")
            .withoutExemplars()
            .register(registry);
    this.refusals =
        Counter.builder()
            .name("parley_refusals_total")
            .help(
                "Requests refused and connections closed, by LeanCloud code; kind: error (error command), "
                    + "ack (ack with a code), close (connection closed), kick (session/closed)")
            .labelNames("kind", "code")
            .withoutExemplars()
            .register(registry);
    this.rateLimited =
        Counter.builder()
            .name("parley_rate_limited_total")
            .help("Requests refused by a rate limit or quota, by limit")
            .labelNames("limit")
            .withoutExemplars()
            .register(registry);
    this.hookCalls =
        Counter.builder()
            .name("parley_hook_calls_total")
            .help("Cloud hook calls by hook and outcome (ok, rejected, error, timeout)")
            .labelNames("hook", "outcome")
            .withoutExemplars()
            .register(registry);
    this.hookLatency =
        Histogram.builder()
            .name("parley_hook_duration_seconds")
            .help("Cloud hook call duration, by hook")
            .labelNames("hook")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(registry);
    entities.put(CONVERSATION, new AtomicLong());
    entities.put(PRESENCE, new AtomicLong());
    GaugeWithCallback.builder()
        .name("parley_entities")
        .help("Sharded entities running on this node, by type (conversation, presence)")
        .labelNames("type")
        .callback(callback -> entities.forEach((type, count) -> callback.call(count.get(), type)))
        .register(registry);
    gauge("parley_connections", "Open WebSocket connections on this node");
    gauge("parley_sessions", "Clients logged in on this node (a socket may carry several)");
    gauge("parley_message_write_queue", "Messages waiting for their Cassandra write on this node");
  }

  private void gauge(String name, String help) {
    gauges.put(name, () -> 0);
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(callback -> callback.call(gauges.get(name).getAsInt()))
        .register(registry);
  }

  /**
   * Parley's series and the JVM's (memory, GC, threads, buffers, process CPU) on {@code registry}.
   */
  public static NodeMetrics withJvm(PrometheusRegistry registry) {
    NodeMetrics metrics = new NodeMetrics(registry);
    JvmMetrics.builder().register(registry);
    return metrics;
  }

  /** The registry, for the exporter and for tests. Register new series here, in this class. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Where {@link MetricsServer} listens, once bound (tests bind port 0). */
  public Optional<InetSocketAddress> endpoint() {
    return Optional.ofNullable(endpoint);
  }

  void endpoint(InetSocketAddress bound) {
    this.endpoint = bound;
  }

  // --------------------------------------------------------------------------- connections and
  // logins

  public void connectionOpened() {
    connectionsOpened.inc();
  }

  /** Where {@code parley_connections} reads its value (the gateway's open connections). */
  public void connections(IntSupplier open) {
    gauges.put("parley_connections", open);
  }

  /** Where {@code parley_sessions} reads its value (the node's directory of logged-in clients). */
  public void sessions(IntSupplier loggedIn) {
    gauges.put("parley_sessions", loggedIn);
  }

  public void loginOpened() {
    logins.labelValues("opened").inc();
  }

  /**
   * A refused login; count its code with {@link #refused} too (the session does, for every error it
   * sends).
   */
  public void loginRefused() {
    logins.labelValues("refused").inc();
  }

  // ----------------------------------------------------------------------------------------
  // messages

  public void messageIn() {
    messagesIn.inc();
  }

  public void messageOut() {
    messagesOut.inc();
  }

  /** A {@code direct} was acknowledged {@code nanos} after it arrived. */
  public void acked(long nanos) {
    ackLatency.observe(Unit.nanosToSeconds(nanos));
  }

  /**
   * A batch write to Cassandra took {@code nanos}; {@code failed}: the driver reported an error.
   */
  public void cassandraWrite(long nanos, boolean failed) {
    cassandraWrites.observe(Unit.nanosToSeconds(nanos));
    if (failed) {
      cassandraWriteFailures.inc();
    }
  }

  /** Where {@code parley_message_write_queue} reads its value. */
  public void writeQueue(IntSupplier queued) {
    gauges.put("parley_message_write_queue", queued);
  }

  // -------------------------------------------------------------------------------- refusals,
  // limits

  /**
   * A refusal sent to a client: {@code kind} is {@code error}, {@code ack}, {@code close} or {@code
   * kick}; {@code code} a LeanCloud (or WebSocket) code.
   */
  public void refused(String kind, int code) {
    refusals.labelValues(kind, Integer.toString(code)).inc();
  }

  /**
   * A request refused by the rate limit or quota named {@code limit} (e.g. {@code direct}, {@code
   * conv_start}).
   */
  public void rateLimited(String limit) {
    rateLimited.labelValues(limit).inc();
  }

  /** One cloud hook call: its name ({@code _messageReceived}, ...), outcome and duration. */
  public void hookCall(String hook, String outcome, long nanos) {
    hookCalls.labelValues(hook, outcome).inc();
    hookLatency.labelValues(hook).observe(Unit.nanosToSeconds(nanos));
  }

  // ------------------------------------------------------------------------------------------
  // entities

  /**
   * The number of {@code type} entities now running on this node (set by {@link EntityCounter}).
   */
  public void entities(String type, long count) {
    entities.computeIfAbsent(type, t -> new AtomicLong()).set(count);
  }
}
