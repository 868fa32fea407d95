package io.parley.node.health;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the node knows about itself for its health checks, one per actor system: whether its gateway
 * is bound. The checks (configured under {@code pekko.management.health-checks}) read it.
 */
public final class NodeHealth implements Extension {

  public static final ExtensionId<NodeHealth> ID =
      new ExtensionId<>() {
        @Override
        public NodeHealth createExtension(ActorSystem<?> system) {
          return new NodeHealth();
        }
      };

  private final AtomicBoolean gatewayBound = new AtomicBoolean();

  public static NodeHealth get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The client listener accepts connections; false again once it unbinds on shutdown. */
  public void gatewayBound(boolean bound) {
    gatewayBound.set(bound);
  }

  public boolean gatewayBound() {
    return gatewayBound.get();
  }
}
