package io.parley.node;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node process always ends once it starts shutting down: when its actor system has not terminated
 * {@code haltAfter} after the shutdown began (a stage or actor that does not stop; seen once after
 * a split-brain downing, in PartitionIT), the process halts. Installed by {@link Main#main} only:
 * tests that run several nodes in one JVM never halt it.
 */
final class ExitWatchdog {

  private static final Logger LOG = LoggerFactory.getLogger(ExitWatchdog.class);

  private ExitWatchdog() {}

  static void install(ActorSystem<?> system, Duration haltAfter) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "parley-exit-watchdog",
            () -> {
              Thread watchdog =
                  new Thread(() -> awaitTermination(system, haltAfter), "parley-exit-watchdog");
              watchdog.setDaemon(true);
              watchdog.start();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  private static void awaitTermination(ActorSystem<?> system, Duration haltAfter) {
    try {
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(haltAfter.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.error(
          "The actor system did not terminate within {} of the shutdown's start"
              + " (parley.halt-after-shutdown): halting the process",
          haltAfter);
      Runtime.getRuntime().halt(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      // terminated (with a failure): the process ends as usual
    }
  }
}
