package io.parley.node;

import io.parley.node.security.WarmUpApp;
import io.parley.node.session.SessionTokens;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's warm-up before it reports ready ({@code parley.warm-up}): it logs clients of the
 * reserved app {@link NodeSettings#WARM_UP_APP_ID} into its own gateway over WebSocket
 * (lc.protobuf2.3, as the JS and Java SDKs), each with a session token this node issued (the
 * reconnect path of the SDKs), then closes the connection. The accept, handshake, codec, session
 * actor, presence, member-index read, the day's clients and the logout have then run thousands of
 * times, so the clients a load balancer sends after a (rolling) restart meet compiled code instead
 * of a JVM compiling under them. Runs on its own threads, never on a Pekko dispatcher.
 */
final class WarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);

  /** The longest one connect or login may take. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** What a warm-up did: logins done, not done (failed or out of time), the first failure. */
  record Result(int ok, int failed, Duration took, String firstFailure) {}

  private WarmUp() {}

  /**
   * Runs {@code settings.logins()} logins against {@code gateway}, {@code settings.concurrency()}
   * at a time, for at most {@code settings.timeout()}; the warm-up app is open only meanwhile. None
   * when the gateway serves TLS (terminate TLS at the load balancer to have it). Completes with
   * what happened, never fails.
   */
  static CompletionStage<Result> run(
      org.apache.pekko.actor.typed.ActorSystem<?> system,
      NodeSettings.WarmUp settings,
      WarmUpApp gate,
      SessionTokens tokens,
      InetSocketAddress gateway,
      boolean gatewayTls) {
    if (settings.logins() == 0) {
      return CompletableFuture.completedFuture(new Result(0, 0, Duration.ZERO, null));
    }
    if (gatewayTls) {
      LOG.info("Warm-up skipped: the gateway serves TLS (wss), which the warm-up does not dial");
      return CompletableFuture.completedFuture(new Result(0, 0, Duration.ZERO, null));
    }
    URI uri = uriOf(gateway);
    NodeSettings.App app = gate.open();
    long started = System.nanoTime();
    long deadline = started + settings.timeout().toNanos();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicReference<String> firstFailure = new AtomicReference<>();
    int threads = Math.min(settings.concurrency(), settings.logins());
    AtomicInteger named = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            task -> {
              Thread thread = new Thread(task, "parley-warm-up-" + named.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    Duration callTimeout =
        settings.timeout().compareTo(CALL_TIMEOUT) < 0 ? settings.timeout() : CALL_TIMEOUT;
    // A node that starts its shutdown during the warm-up stops it at once (its logins would only
    // meet a listener that is going away).
    java.util.concurrent.atomic.AtomicBoolean stopped =
        new java.util.concurrent.atomic.AtomicBoolean();
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "parley-warm-up-stop",
            () -> {
              stopped.set(true);
              gate.close();
              pool.shutdownNow();
              return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            });
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int n = next.getAndIncrement();
                    n < settings.logins() && System.nanoTime() < deadline && !stopped.get();
                    n = next.getAndIncrement()) {
                  String failure = login(uri, app, tokens, "warm-up-" + n, callTimeout);
                  if (failure == null) {
                    ok.incrementAndGet();
                  } else {
                    firstFailure.compareAndSet(null, failure);
                  }
                }
              },
              pool));
    }
    return CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new))
        .orTimeout(
            settings.timeout().toMillis() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle(
            (done, failure) -> {
              gate.close();
              pool.shutdownNow();
              Result result =
                  new Result(
                      ok.get(),
                      settings.logins() - ok.get(),
                      Duration.ofNanos(System.nanoTime() - started),
                      firstFailure.get() != null
                          ? firstFailure.get()
                          : failure != null ? failure.toString() : null);
              if (stopped.get()) {
                LOG.info("Warm-up stopped by the node's shutdown after {} logins", result.ok());
              } else if (result.failed() == 0) {
                LOG.info(
                    "Warm-up: {} logins into this node in {} ms",
                    result.ok(),
                    result.took().toMillis());
              } else {
                LOG.warn(
                    "Warm-up: {} of {} logins done in {} ms ({} not done, first: {}); ready anyway",
                    result.ok(),
                    settings.logins(),
                    result.took().toMillis(),
                    result.failed(),
                    result.firstFailure());
              }
              return result;
            });
  }

  /** One login and logout; null if it worked, else why not. */
  private static String login(
      URI uri, NodeSettings.App app, SessionTokens tokens, String clientId, Duration timeout) {
    try (ImClient client =
        ImClient.connect(uri, Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, timeout)) {
      GenericCommand opened =
          client.call(
              Commands.sessionOpen(app.appId(), clientId)
                  .setSessionMessage(
                      SessionCommand.newBuilder()
                          .setUa("parley-warm-up")
                          .setSt(tokens.issue(app, clientId, null, null, Instant.now()))),
              timeout);
      return opened.getOp() == OpType.opened ? null : opened.toString().replace('\n', ' ');
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  /** The gateway's own address; a wildcard bind is reached on loopback. */
  private static URI uriOf(InetSocketAddress gateway) {
    String host =
        gateway.getAddress().isAnyLocalAddress()
            ? "127.0.0.1"
            : gateway.getAddress().getHostAddress();
    try {
      return new URI("ws", null, host, gateway.getPort(), "/", null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("gateway address " + gateway, e);
    }
  }
}
