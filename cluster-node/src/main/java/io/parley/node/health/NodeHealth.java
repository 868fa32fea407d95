package io.parley.node.health;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the node knows about itself for its health checks, one per actor system: whether its gateway
 * is bound and whether its warm-up has ended. The checks (configured under {@code
 * pekko.management.health-checks}) read it.
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
  private final AtomicBoolean warmedUp = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicInteger warmUpLogins =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger warmUpMessages =
      new java.util.concurrent.atomic.AtomicInteger();

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

  /**
   * The node's warm-up (parley.warm-up) has ended, with {@code logins} done and {@code messages}
   * received by its clients (0: none).
   */
  public void warmedUp(int logins, int messages) {
    warmUpLogins.set(logins);
    warmUpMessages.set(messages);
    warmedUp.set(true);
  }

  public boolean warmedUp() {
    return warmedUp.get();
  }

  /** The logins the ended warm-up did. */
  public int warmUpLogins() {
    return warmUpLogins.get();
  }

  /** The messages the ended warm-up's clients received, offline and live. */
  public int warmUpMessages() {
    return warmUpMessages.get();
  }
}
