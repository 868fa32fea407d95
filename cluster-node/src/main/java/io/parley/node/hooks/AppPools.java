package io.parley.node.hooks;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;

/**
 * The connection pool of one app to one of its own services (its LeanEngine, its user store):
 * bounded ({@code maxConnections} open, {@code maxOpenRequests} waiting, beyond that a call fails
 * at once), never retried, and a connection whose call timed out is closed one second later, so a
 * hung service holds at most {@code maxConnections} connections of the node.
 */
final class AppPools {

  private AppPools() {}

  static ConnectionPoolSettings bounded(
      ActorSystem<?> system, int maxConnections, int maxOpenRequests, Duration timeout) {
    return ConnectionPoolSettings.create(system.classicSystem())
        .withMaxConnections(maxConnections)
        .withMaxOpenRequests(maxOpenRequests)
        .withMaxRetries(0)
        .withConnectionSettings(
            ClientConnectionSettings.create(system.classicSystem())
                .withIdleTimeout(timeout.plusSeconds(1))
                .withConnectingTimeout(timeout));
  }

  /** The innermost cause of a failed call (what the operator needs to read in a log line). */
  static Throwable rootCause(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * A call's future that completes with {@code expired} after {@code timeout} unless the call
   * completed it first; its timer is cancelled as soon as it completes.
   */
  static <T> CompletableFuture<T> expiring(
      ActorSystem<?> system, Duration timeout, Supplier<T> expired) {
    CompletableFuture<T> future = new CompletableFuture<>();
    var timer =
        system
            .scheduler()
            .scheduleOnce(
                timeout,
                () -> {
                  if (!future.isDone()) {
                    future.complete(expired.get());
                  }
                },
                system.executionContext());
    future.whenComplete((value, failure) -> timer.cancel());
    return future;
  }
}
