package io.parley.node.health;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Readiness: the client listener is bound (a node still starting, or unbinding on shutdown, takes
 * no clients).
 */
public final class GatewayBoundCheck implements Supplier<CompletionStage<Boolean>> {

  private final NodeHealth health;

  public GatewayBoundCheck(ActorSystem system) {
    this.health = NodeHealth.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(health.gatewayBound());
  }
}
