package io.parley.node.rest;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.parley.node.settings.NodeSettings;
import io.parley.node.settings.RestLimits;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * REST rate limits per app and node (REST-AND-HOOKS §3.7), with resilience4j's rate limiter: each
 * budget refills once a minute and a call over it gets 429 at once (no waiting), for the rest of
 * that minute. Apps are configured, so there is one limiter per app and budget, never one per
 * caller.
 */
public final class RestLimiter {

  /** What a call counts against. */
  public enum Budget {
    /** Every REST call. */
    REQUESTS(RestLimits::requestsPerMinute),
    /** Send, edit and recall of messages. */
    MESSAGES(RestLimits::messagesPerMinute),
    /** Broadcasts. */
    BROADCASTS(RestLimits::broadcastsPerMinute);

    private final ToIntFunction<RestLimits> perMinute;

    Budget(ToIntFunction<RestLimits> perMinute) {
      this.perMinute = perMinute;
    }
  }

  private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

  /** Takes one call from {@code budget} of {@code app}; over it, throws 429. */
  public void acquire(NodeSettings.App app, Budget budget) {
    RateLimiter limiter =
        limiters.computeIfAbsent(
            app.appId() + "/" + budget,
            name ->
                RateLimiter.of(
                    name,
                    RateLimiterConfig.custom()
                        .limitForPeriod(budget.perMinute.applyAsInt(app.restLimits()))
                        .limitRefreshPeriod(Duration.ofMinutes(1))
                        .timeoutDuration(Duration.ZERO)
                        .build()));
    if (!limiter.acquirePermission()) {
      throw RestError.tooManyRequests(budget.name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
