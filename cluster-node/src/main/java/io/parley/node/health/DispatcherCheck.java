package io.parley.node.health;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Liveness: the default dispatcher, where every actor of the node runs, still runs a task. A node
 * whose dispatcher is deadlocked or starved (every thread blocked) never completes it, the check
 * times out ({@code pekko.management.health-checks.check-timeout}) and, after the probe's failure
 * threshold, Kubernetes restarts the pod. Nothing outside the JVM (Cassandra, other nodes) is
 * checked here: restarting a node does not bring those back, readiness covers them.
 */
public final class DispatcherCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public DispatcherCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    if (system.whenTerminated().isCompleted()) {
      return CompletableFuture.completedFuture(false);
    }
    return CompletableFuture.supplyAsync(() -> true, system.dispatcher());
  }
}
