package io.parley.node.concurrent;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A warning that may fire for every message under overload, logged at most once per interval with
 * the number of times it was suppressed: operators see the condition, not a flood.
 */
public final class RateLimitedLog {

  private final Logger logger;
  private final long intervalNanos;
  private final AtomicLong last = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger logger, Duration interval) {
    this.logger = logger;
    this.intervalNanos = interval.toNanos();
  }

  public void warn(String format, Object... arguments) {
    long now = System.nanoTime();
    long previous = last.get();
    if (now - previous >= intervalNanos && last.compareAndSet(previous, now)) {
      long skipped = suppressed.getAndSet(0);
      logger.warn(
          skipped == 0 ? format : format + " (and " + skipped + " more like it)", arguments);
    } else {
      suppressed.incrementAndGet();
    }
  }
}
