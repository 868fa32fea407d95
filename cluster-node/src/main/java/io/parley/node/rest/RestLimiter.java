package io.parley.node.rest;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.parley.node.settings.NodeSettings;
import io.parley.node.settings.RestLimits;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * REST rate limits per app and node (REST-AND-HOOKS §3.7), with resilience4j's rate limiter: each
 * budget refills once a minute, and the broadcast budgets also once a day (a day counted from the
 * app's first such call on the node); a call over either gets 429 at once (no waiting), for the
 * rest of that minute or day. Apps are configured, so there is one limiter per app, budget and
 * period, never one per caller.
 */
public final class RestLimiter {

  /** What a call counts against. */
  public enum Budget {
    /** Every REST call. */
    REQUESTS(RestLimits::requestsPerMinute, null),
    /** Send, edit and recall of messages. */
    MESSAGES(RestLimits::messagesPerMinute, null),
    /** Broadcasts to the subscribers of one service conversation. */
    BROADCASTS(RestLimits::broadcastsPerMinute, RestLimits::broadcastsPerDay),
    /** Global broadcasts ({@code /1.2/rtm/broadcasts}, {@code /1.1/rtm/broadcast}). */
    GLOBAL_BROADCASTS(RestLimits::globalBroadcastsPerMinute, RestLimits::globalBroadcastsPerDay);

    private final ToIntFunction<RestLimits> perMinute;
    private final ToIntFunction<RestLimits> perDay;

    Budget(ToIntFunction<RestLimits> perMinute, ToIntFunction<RestLimits> perDay) {
      this.perMinute = perMinute;
      this.perDay = perDay;
    }
  }

  private final Map<String, RateLimiter> limiters = new ConcurrentHashMap<>();

  /**
   * Takes one call from {@code budget} of {@code app}; over it, throws 429. The day's budget is
   * taken only once the minute's allowed the call, so a call refused per minute costs no daily
   * permit (a refusal by the day's budget does cost one of the minute's).
   */
  public void acquire(NodeSettings.App app, Budget budget) {
    String what = budget.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    if (!limiter(app, budget, "minute", budget.perMinute, Duration.ofMinutes(1))
        .acquirePermission()) {
      throw RestError.tooManyRequests(what + " per minute");
    }
    if (budget.perDay != null
        && !limiter(app, budget, "day", budget.perDay, Duration.ofDays(1)).acquirePermission()) {
      throw RestError.tooManyRequests(what + " per day");
    }
  }

  private RateLimiter limiter(
      NodeSettings.App app,
      Budget budget,
      String period,
      ToIntFunction<RestLimits> limit,
      Duration refresh) {
    return limiters.computeIfAbsent(
        app.appId() + "/" + budget + "/" + period,
        name ->
            RateLimiter.of(
                name,
                RateLimiterConfig.custom()
                    .limitForPeriod(limit.applyAsInt(app.restLimits()))
                    .limitRefreshPeriod(refresh)
                    .timeoutDuration(Duration.ZERO)
                    .build()));
  }
}
