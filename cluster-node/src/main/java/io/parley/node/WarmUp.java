package io.parley.node;

import io.parley.node.message.MessageStore;
import io.parley.node.security.Signatures;
import io.parley.node.security.WarmUpApp;
import io.parley.node.session.SessionTokens;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's warm-up before it reports ready ({@code parley.warm-up}): it logs clients of the
 * reserved app {@link NodeSettings#WARM_UP_APP_ID} into its own gateway over WebSocket
 * (lc.protobuf2.3, as the JS and Java SDKs), each with a session token this node issued (the
 * reconnect path of the SDKs), then closes the connection. Then pairs of its clients message each
 * other ({@code messages}): a sender sends while its receiver is away, the receiver logs in with
 * protocol version 1 and gets them pushed as offline messages, then gets more live; it acks each
 * one, as the Java SDK does. The accept, handshake, codec, session actor, presence, member-index
 * read, the day's clients, the logout, the message write, the live and offline pushes and the acks
 * have then run thousands of times, so the clients a load balancer sends after a (rolling) restart
 * meet compiled code instead of a JVM compiling under them. Each pair has one conversation, the
 * same at every start (a unique conversation of the same two clients); its history is deleted after
 * the warm-up, so the warm-up leaves nothing that grows in Cassandra. Runs on its own threads,
 * never on a Pekko dispatcher.
 */
final class WarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);

  /** The longest one connect or login may take. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Pairs of warm-up clients that message each other, one conversation each (at most {@code
   * concurrency}).
   */
  static final int PAIRS = 8;

  /**
   * Messages a round sends in one burst while its receiver is away, and as many again while it is
   * there: more than a connection may have unacknowledged ({@code max-pending-sends}), so the held
   * input runs too. A protocol-v1 login gets the newest of them pushed (20 a conversation unless
   * configured otherwise).
   */
  static final int ROUND = 100;

  /** How often the warm-up's end looks whether the JIT compilers are still busy. */
  private static final Duration SETTLE_STEP = Duration.ofMillis(250);

  /** How long a receiver waits for more pushes after the last message of its round. */
  private static final Duration DRAIN = Duration.ofMillis(50);

  /**
   * What a warm-up did: logins done, not done (failed or out of time), messages its receivers got,
   * the first failure.
   */
  record Result(int ok, int failed, int messages, Duration took, String firstFailure) {}

  private WarmUp() {}

  /**
   * Runs {@code settings.logins()} logins against {@code gateway}, {@code settings.concurrency()}
   * at a time, then has about {@code settings.messages()} messages sent and received, for at most
   * {@code settings.timeout()} in all; the warm-up app is open only meanwhile. None when the
   * gateway serves TLS (terminate TLS at the load balancer to have it). Completes with what
   * happened, never fails.
   */
  static CompletionStage<Result> run(
      org.apache.pekko.actor.typed.ActorSystem<?> system,
      NodeSettings.WarmUp settings,
      WarmUpApp gate,
      SessionTokens tokens,
      InetSocketAddress gateway,
      boolean gatewayTls,
      MessageStore history) {
    if (settings.logins() == 0 && settings.messages() == 0) {
      return CompletableFuture.completedFuture(new Result(0, 0, 0, Duration.ZERO, null));
    }
    if (gatewayTls) {
      LOG.info("Warm-up skipped: the gateway serves TLS (wss), which the warm-up does not dial");
      return CompletableFuture.completedFuture(new Result(0, 0, 0, Duration.ZERO, null));
    }
    NodeSettings.App app = gate.open();
    long started = System.nanoTime();
    int threads = Math.max(1, Math.min(settings.concurrency(), settings.logins()));
    int pairs = Math.min(PAIRS, settings.concurrency());
    AtomicInteger named = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(threads, pairs),
            task -> {
              Thread thread = new Thread(task, "parley-warm-up-" + named.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    Traffic traffic =
        new Traffic(
            uriOf(gateway),
            app,
            tokens,
            pool,
            started + settings.timeout().toNanos(),
            settings.timeout().compareTo(CALL_TIMEOUT) < 0 ? settings.timeout() : CALL_TIMEOUT);
    // A node that starts its shutdown during the warm-up stops it at once (its logins would only
    // meet a listener that is going away).
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "parley-warm-up-stop",
            () -> {
              traffic.stopped.set(true);
              gate.close();
              pool.shutdownNow();
              return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
            });
    YearMonth firstMonth = YearMonth.now(ZoneOffset.UTC);
    // While its queue is long (all along the warm-up on 2 cores) the optimizing compiler raises
    // its thresholds, and a method that crossed them asks again only when it runs next. So the
    // last tenth of the traffic runs after the compilers have caught up, two at a time: those
    // methods ask again with the queue empty, and are compiled before the node is ready.
    int tailLogins = settings.logins() / 10;
    int tailMessages = settings.messages() / 10;
    return traffic
        .logins(settings.logins() - tailLogins, threads)
        .thenCompose(done -> traffic.messages(settings.messages() - tailMessages, pairs))
        .thenRunAsync(traffic::settle, pool)
        .thenCompose(done -> traffic.logins(tailLogins, Math.min(2, threads)))
        .thenCompose(done -> traffic.messages(tailMessages, Math.min(2, pairs)))
        .thenRunAsync(traffic::settle, pool)
        .thenCompose(done -> forget(history, traffic.conversations, firstMonth))
        .orTimeout(settings.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)
        .handle(
            (done, failure) -> {
              gate.close();
              pool.shutdownNow();
              Result result =
                  new Result(
                      traffic.ok.get(),
                      settings.logins() - traffic.ok.get(),
                      traffic.delivered.get(),
                      Duration.ofNanos(System.nanoTime() - started),
                      traffic.firstFailure.get() != null
                          ? traffic.firstFailure.get()
                          : failure != null ? failure.toString() : null);
              if (traffic.stopped.get()) {
                LOG.info("Warm-up stopped by the node's shutdown after {} logins", result.ok());
              } else if (result.failed() == 0 && result.firstFailure() == null) {
                LOG.info(
                    "Warm-up: {} logins into this node and {} messages received in {} ms",
                    result.ok(),
                    result.messages(),
                    result.took().toMillis());
              } else {
                LOG.warn(
                    "Warm-up: {} logins into this node and {} messages received in {} ms; {} logins"
                        + " not done, first failure: {}; ready anyway",
                    result.ok(),
                    result.messages(),
                    result.took().toMillis(),
                    result.failed(),
                    result.firstFailure());
              }
              return result;
            });
  }

  /** The warm-up's clients and what they did, shared by its threads. */
  private static final class Traffic {
    final URI uri;
    final NodeSettings.App app;
    final SessionTokens tokens;
    final ExecutorService pool;
    final long deadline;
    final Duration callTimeout;
    final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger delivered = new AtomicInteger();
    final AtomicReference<String> firstFailure = new AtomicReference<>();
    final Set<String> conversations = ConcurrentHashMap.newKeySet();
    final String nonce = UUID.randomUUID().toString();
    final AtomicInteger rounds = new AtomicInteger();

    Traffic(
        URI uri,
        NodeSettings.App app,
        SessionTokens tokens,
        ExecutorService pool,
        long deadline,
        Duration callTimeout) {
      this.uri = uri;
      this.app = app;
      this.tokens = tokens;
      this.pool = pool;
      this.deadline = deadline;
      this.callTimeout = callTimeout;
    }

    boolean goOn() {
      return System.nanoTime() < deadline && !stopped.get();
    }

    /** {@code count} logins and logouts, {@code threads} at a time. */
    CompletableFuture<Void> logins(int count, int threads) {
      AtomicInteger next = new AtomicInteger();
      List<CompletableFuture<Void>> workers = new ArrayList<>();
      for (int t = 0; count > 0 && t < threads; t++) {
        workers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int n = next.getAndIncrement();
                      n < count && goOn();
                      n = next.getAndIncrement()) {
                    try (ImClient client = open(Subprotocol.PROTOBUF_3, "warm-up-" + n)) {
                      ok.incrementAndGet();
                    } catch (RuntimeException e) {
                      firstFailure.compareAndSet(null, e.toString());
                    }
                  }
                },
                pool));
      }
      return CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new));
    }

    /** About {@code budget} messages exchanged by {@code pairs} pairs, each in its conversation. */
    CompletableFuture<Void> messages(int budget, int pairs) {
      AtomicInteger left = new AtomicInteger(budget);
      List<CompletableFuture<Void>> talkers = new ArrayList<>();
      for (int p = 0; budget > 0 && p < pairs; p++) {
        int pair = p;
        talkers.add(
            CompletableFuture.runAsync(
                () -> {
                  String failure = converse(this, pair, left);
                  if (failure != null) {
                    firstFailure.compareAndSet(null, failure);
                  }
                },
                pool));
      }
      return CompletableFuture.allOf(talkers.toArray(CompletableFuture[]::new));
    }

    /** A client of the warm-up app logged in over {@code protocol}; the caller closes it. */
    ImClient open(Subprotocol protocol, String clientId) {
      return WarmUp.open(uri, protocol, app, tokens, clientId, callTimeout);
    }

    /**
     * Waits until the JIT compilers have caught up with what the warm-up ran: on 2 cores the
     * optimizing compiler falls behind while the warm-up keeps both cores busy, and would otherwise
     * compile the hot path under the first real clients. Done once a {@link #SETTLE_STEP} passes
     * with the compilers busy less than a tenth of it (or time is up).
     */
    void settle() {
      java.lang.management.CompilationMXBean jit =
          java.lang.management.ManagementFactory.getCompilationMXBean();
      if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
        return;
      }
      long before = jit.getTotalCompilationTime();
      while (goOn()) {
        try {
          Thread.sleep(SETTLE_STEP.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        long now = jit.getTotalCompilationTime();
        if (now - before < SETTLE_STEP.toMillis() / 10) {
          return;
        }
        before = now;
      }
    }
  }

  /** A client of the warm-up app logged in over {@code protocol}; the caller closes it. */
  private static ImClient open(
      URI uri,
      Subprotocol protocol,
      NodeSettings.App app,
      SessionTokens tokens,
      String clientId,
      Duration timeout) {
    ImClient client = ImClient.connect(uri, protocol, ImClient.OfferMode.HEADER, timeout);
    try {
      GenericCommand opened =
          client.call(
              Commands.sessionOpen(app.appId(), clientId)
                  .setSessionMessage(credentials(app, tokens, clientId)),
              timeout);
      if (opened.getOp() != OpType.opened) {
        throw new IllegalStateException(oneLine(opened));
      }
      return client;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /**
   * Half the logins signed, as an SDK's first login is (the node's key signs them; the nonce is
   * kept as any login's), half with a session token, as its reconnects are.
   */
  private static SessionCommand.Builder credentials(
      NodeSettings.App app, SessionTokens tokens, String clientId) {
    SessionCommand.Builder session = SessionCommand.newBuilder().setUa("parley-warm-up");
    if (java.util.concurrent.ThreadLocalRandom.current().nextBoolean()) {
      return session.setSt(tokens.issue(app, clientId, null, null, Instant.now()));
    }
    long timestamp = System.currentTimeMillis();
    String nonce = UUID.randomUUID().toString();
    return session
        .setT(timestamp)
        .setN(nonce)
        .setS(
            Signatures.sign(
                app.masterKey(), Signatures.login(app.appId(), clientId, timestamp, nonce)));
  }

  /**
   * One pair's rounds until the message budget or the time is spent: the sender logs in and sends
   * {@link #ROUND} messages while the receiver is away; the receiver logs in with protocol version
   * 1, which pushes them as offline messages; the sender sends as many again, live; the receiver
   * acks every message it gets. Both log in again each round. Null if every round worked, else why
   * one did not.
   */
  private static String converse(Traffic traffic, int pair, AtomicInteger budget) {
    String sender = "warm-up-sender-" + pair;
    String receiver = "warm-up-receiver-" + pair;
    Duration timeout = traffic.callTimeout;
    String cid = null;
    try {
      while (traffic.goOn() && budget.getAndAdd(-2 * ROUND) > 0) {
        try (ImClient from =
            open(
                traffic.uri,
                Subprotocol.PROTOBUF_3,
                traffic.app,
                traffic.tokens,
                sender,
                timeout)) {
          if (cid == null) {
            cid = start(from, sender, receiver, timeout);
            traffic.conversations.add(cid);
          }
          String tag = traffic.nonce + " " + traffic.rounds.incrementAndGet();
          send(from, sender, cid, tag + " away", timeout);
          try (ImClient to = traffic.open(Subprotocol.PROTOBUF_1, receiver)) {
            send(from, sender, cid, tag + " live", timeout);
            traffic.delivered.addAndGet(receive(to, receiver, tag + " live", timeout));
          }
        }
      }
      return null;
    } catch (RuntimeException e) {
      return "pair " + pair + ": " + e;
    }
  }

  /** The pair's conversation: unique, so the same one at every start. */
  private static String start(ImClient from, String sender, String receiver, Duration timeout) {
    GenericCommand started =
        from.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.start)
                .setPeerId(sender)
                .setConvMessage(
                    ConvCommand.newBuilder().addM(sender).addM(receiver).setUnique(true)),
            timeout);
    if (started.getOp() != OpType.started || !started.getConvMessage().hasCid()) {
      throw new IllegalStateException("conv/start: " + oneLine(started));
    }
    return started.getConvMessage().getCid();
  }

  /** {@link #ROUND} messages, the last one saying {@code last}; returns once all are acked. */
  private static void send(
      ImClient from, String sender, String cid, String last, Duration timeout) {
    List<CompletableFuture<GenericCommand>> acks = new ArrayList<>();
    for (int n = 1; n <= ROUND; n++) {
      String text = n == ROUND ? last : "warm-up " + n;
      acks.add(from.request(Commands.direct(sender, cid, textMessage(text))));
    }
    for (CompletableFuture<GenericCommand> ack : acks) {
      GenericCommand reply;
      try {
        reply = ack.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new ImClient.TimedOut("no ack within " + timeout + " to a warm-up message");
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("warm-up message not sent: " + e.getCause(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (reply.getCmd() != CommandType.ack || reply.getAckMessage().hasCode()) {
        throw new IllegalStateException("warm-up message refused: " + oneLine(reply));
      }
    }
  }

  /**
   * The receiver's pushes, each acked as the Java SDK does, until the message saying {@code last}
   * and then none for {@link #DRAIN}; returns how many messages it got.
   */
  private static int receive(ImClient to, String receiver, String last, Duration timeout) {
    String lastMessage = textMessage(last);
    int got = 0;
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean seenLast = false;
    while (System.nanoTime() < deadline) {
      Optional<GenericCommand> push =
          to.pollPush(seenLast ? DRAIN : Duration.ofNanos(deadline - System.nanoTime()));
      if (push.isEmpty()) {
        break;
      }
      GenericCommand command = push.get();
      if (command.getCmd() != CommandType.direct) {
        continue;
      }
      got++;
      to.send(
          GenericCommand.newBuilder()
              .setCmd(CommandType.ack)
              .setPeerId(receiver)
              .setAckMessage(
                  AckCommand.newBuilder()
                      .setCid(command.getDirectMessage().getCid())
                      .setMid(command.getDirectMessage().getId()))
              .build());
      seenLast |= command.getDirectMessage().getMsg().equals(lastMessage);
    }
    if (!seenLast) {
      throw new ImClient.TimedOut("the warm-up receiver's last message did not come");
    }
    return got;
  }

  /** A text message as the SDKs send it. */
  private static String textMessage(String text) {
    return "{\"_lctype\":-1,\"_lctext\":\"" + text + "\"}";
  }

  /**
   * Deletes the history the pairs wrote (the conversations stay: the same ones next time, their
   * journal bounded by snapshots); completes when done or failed (logged).
   */
  private static CompletionStage<Void> forget(
      MessageStore history, Set<String> conversations, YearMonth firstMonth) {
    List<CompletableFuture<?>> deletes = new ArrayList<>();
    YearMonth now = YearMonth.now(ZoneOffset.UTC);
    for (String cid : conversations) {
      deletes.add(
          history
              .deleteMonths(NodeSettings.WARM_UP_APP_ID, cid, firstMonth, now)
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
        .exceptionally(
            failure -> {
              LOG.warn("The warm-up's messages were not deleted: {}", failure.toString());
              return null;
            });
  }

  private static String oneLine(GenericCommand command) {
    return command.toString().replace('\n', ' ');
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
