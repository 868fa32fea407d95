package io.parley.node.health;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Readiness: the node's warm-up logins (parley.warm-up) have ended, so the first clients a load
 * balancer sends meet compiled code.
 */
public final class WarmUpCheck implements Supplier<CompletionStage<Boolean>> {

  private final NodeHealth health;

  public WarmUpCheck(ActorSystem system) {
    this.health = NodeHealth.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(health.warmedUp());
  }
}
