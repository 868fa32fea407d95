package io.parley.node.session;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.local.SynchronizationStrategy;
import io.parley.node.settings.Limits;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The request rates of one connection's clients (docs/protocol.md §17): a token bucket per client
 * and kind of request, refilled each minute (bucket4j), and one bucket of refusals for the whole
 * connection: a connection that keeps being refused is a flood, and is closed. One instance per
 * session actor; not thread-safe.
 */
final class ClientRates {

  /** What a request is charged to. */
  enum Kind {
    DIRECT,
    HISTORY,
    RECEIPTS,
    OPS
  }

  private final Limits limits;
  private final Map<String, Map<Kind, Bucket>> buckets = new HashMap<>();

  /** Made at the first refusal: most connections are never refused (a login costs no bucket). */
  private Bucket refusals;

  /**
   * Receipts are counted per connection: a flood guard, whatever the number of clients on the
   * socket. Made at the first receipt, like every bucket here: an idle session holds none.
   */
  private Bucket receipts;

  /** Any configured rate, for the node's warm-up: high enough never to refuse it. */
  private static final int LIFTED_PER_MINUTE = 1_000_000;

  /** Set once the connection's app is the node's warm-up. */
  private boolean lifted;

  ClientRates(Limits limits) {
    this.limits = limits;
  }

  /**
   * The connection's client logged into the node's own warm-up app, which sends in bursts as fast
   * as the node takes: every configured rate becomes {@link #LIFTED_PER_MINUTE} (a connection
   * serves one app). Its buckets still count, so that the warm-up runs them as real clients do.
   */
  void lift() {
    lifted = true;
  }

  /** A configured rate per minute, or the lifted one; 0 (off) stays off. */
  private int rate(int configured) {
    return configured <= 0 || !lifted ? configured : LIFTED_PER_MINUTE;
  }

  /**
   * The kind a logged-in client's request is charged to; null for what costs nothing (echo,
   * heartbeat, logout).
   */
  static Kind kindOf(GenericCommand command) {
    CommandType cmd = command.getCmd();
    return switch (cmd) {
      case direct -> Kind.DIRECT;
      case logs -> Kind.HISTORY;
      case ack, read -> Kind.RECEIPTS;
      case echo, login -> null;
      case session ->
          command.getOp() == OpType.query || command.getOp() == OpType.refresh ? Kind.OPS : null;
      default -> Kind.OPS;
    };
  }

  /** What a request costs: one, or one per conversation an {@code ack} or {@code read} names. */
  static int idsNamed(GenericCommand command) {
    if (command.getCmd() == CommandType.read) {
      var read = command.getReadMessage();
      return (read.hasCid() ? 1 : 0) + read.getCidsCount() + read.getConvsCount();
    }
    return 1;
  }

  /**
   * Takes {@code tokens} from {@code clientId}'s bucket of {@code kind} (receipts: the
   * connection's): false when its rate is spent.
   */
  boolean tryTake(String clientId, Kind kind, int tokens) {
    if (kind == Kind.RECEIPTS) {
      int receiptsPerMinute = rate(limits.receiptsPerMinute());
      if (receiptsPerMinute <= 0) {
        return true;
      }
      if (receipts == null) {
        receipts = perMinute(receiptsPerMinute);
      }
      return receipts.tryConsume(Math.max(1, Math.min(tokens, receiptsPerMinute)));
    }
    int perMinute =
        rate(
            switch (kind) {
              case DIRECT -> limits.directPerMinute();
              case HISTORY -> limits.historyPerMinute();
              case RECEIPTS ->
                  throw new IllegalStateException("receipts are counted per connection");
              case OPS -> limits.opsPerMinute();
            });
    if (perMinute <= 0) {
      return true;
    }
    Bucket bucket =
        buckets
            .computeIfAbsent(clientId, id -> new EnumMap<>(Kind.class))
            .computeIfAbsent(kind, k -> perMinute(perMinute));
    return bucket.tryConsume(Math.max(1, Math.min(tokens, perMinute)));
  }

  /**
   * Records one refusal of this connection: false once the connection has been refused too often.
   */
  boolean refused() {
    if (limits.refusalsPerMinute() <= 0) {
      return true;
    }
    if (refusals == null) {
      refusals = perMinute(limits.refusalsPerMinute());
    }
    return refusals.tryConsume(1);
  }

  /** The client logged out: its buckets go (a new login starts full, as on a new connection). */
  void forget(String clientId) {
    buckets.remove(clientId);
  }

  private static Bucket perMinute(int perMinute) {
    if (perMinute <= 0) {
      return null;
    }
    // One actor uses these buckets: no synchronisation (and no allocation per request, unlike
    // lock-free ones).
    return Bucket.builder()
        .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
        .withSynchronizationStrategy(SynchronizationStrategy.NONE)
        .build();
  }
}
