package io.parley.node.metrics;

import io.parley.node.concurrent.Futures;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Keeps {@code parley_entities{type}} current: every {@code interval} it asks this node's shard
 * region of each entity type which entities run here (Pekko's {@link GetShardRegionState}), without
 * touching the entities. A failed or slow answer (a region still starting, the node stopping)
 * leaves the last value.
 */
public final class EntityCounter {

  private EntityCounter() {}

  /**
   * Starts counting {@code types} (metric label -> entity type) on {@code system} until it
   * terminates.
   */
  public static void start(
      ActorSystem<?> system, Duration interval, Map<String, EntityTypeKey<?>> types) {
    NodeMetrics metrics = NodeMetrics.get(system);
    ClusterSharding sharding = ClusterSharding.get(system);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            interval,
            interval,
            () ->
                types.forEach(
                    (type, key) ->
                        Futures.direct(
                                AskPattern
                                    .<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                                        sharding.shardState(),
                                        replyTo -> new GetShardRegionState(key, replyTo),
                                        interval,
                                        system.scheduler()))
                            .whenComplete(
                                (state, failure) -> {
                                  if (state != null) {
                                    metrics.entities(
                                        type,
                                        state.getShards().stream()
                                            .mapToLong(shard -> shard.getEntityIds().size())
                                            .sum());
                                  }
                                })),
            system.executionContext());
  }
}
