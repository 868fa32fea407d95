package io.parley.node.conversation;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;

/**
 * Resident sharded entities per node (conversations, and presences too): stopped after {@code
 * idleTimeout} without requests, at most {@code limit}.
 */
public record Residency(Duration idleTimeout, int limit) {

  /**
   * Sharding settings with the default (least recently used) passivation strategy and these bounds.
   */
  public ClusterShardingSettings sharding(ActorSystem<?> system) {
    Config passivation =
        ConfigFactory.parseMap(
            Map.of(
                "passivation.strategy",
                "default-strategy",
                "passivation.default-strategy.active-entity-limit",
                limit,
                "passivation.default-strategy.idle-entity.timeout",
                idleTimeout.toMillis() + "ms"));
    return ClusterShardingSettings.fromConfig(
        passivation.withFallback(system.settings().config().getConfig("pekko.cluster.sharding")));
  }
}
