package io.parley.node.session;

import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logins per source address, node-wide (docs/protocol.md §17): a token bucket per address
 * (bucket4j), refilled each minute. At most {@code trackedAddresses} are remembered; beyond that,
 * addresses whose bucket is full again (idle for a minute) are forgotten, and if every one is busy
 * the table starts over. Thread-safe.
 */
public final class LoginThrottle {

  private final int perMinute;
  private final int trackedAddresses;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** {@code perMinute} 0 lets every login through. */
  /** The throttle {@code settings}' limits ask for (logins per address per minute, addresses). */
  public static LoginThrottle of(io.parley.node.settings.NodeSettings settings) {
    return new LoginThrottle(
        settings.limits().loginsPerAddressPerMinute(), settings.limits().trackedAddresses());
  }

  public LoginThrottle(int perMinute, int trackedAddresses) {
    this.perMinute = perMinute;
    this.trackedAddresses = trackedAddresses;
  }

  /** Whether {@code address} may log in once more now. */
  public boolean tryLogin(String address) {
    if (perMinute <= 0) {
      return true;
    }
    if (buckets.size() >= trackedAddresses && !buckets.containsKey(address)) {
      buckets.values().removeIf(bucket -> bucket.getAvailableTokens() >= perMinute);
      if (buckets.size() >= trackedAddresses) {
        buckets.clear();
      }
    }
    return buckets
        .computeIfAbsent(
            address,
            a ->
                Bucket.builder()
                    .addLimit(
                        limit ->
                            limit
                                .capacity(perMinute)
                                .refillGreedy(perMinute, Duration.ofMinutes(1)))
                    .build())
        .tryConsume(1);
  }
}
