package io.parley.node.message;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.parley.node.settings.MessageWrites;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/** Message stores on a keyspace of their own, for tests that read what Cassandra scanned. */
final class TestStores {

  static final MessageWrites SETTINGS =
      new MessageWrites("LOCAL_ONE", 64, 40_000, 4, 20_000, Duration.ofSeconds(5));

  private TestStores() {}

  /**
   * Creates {@code keyspace} (replication 1) and the message table, and returns a store on it.
   * Schema changes on a loaded Cassandra can outlast the driver's 2 s: a longer timeout, and
   * retries as Main does.
   */
  static MessageStore create(ActorSystem<?> system, CqlSession cql, String keyspace)
      throws Exception {
    cql.execute(
        SimpleStatement.newInstance(
                "CREATE KEYSPACE IF NOT EXISTS "
                    + keyspace
                    + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
            .setTimeout(Duration.ofSeconds(60)));
    MessageStore store = new MessageStore(system, keyspace, SETTINGS);
    org.apache.pekko.pattern.Patterns.retry(
            store::createTables, 10, Duration.ofSeconds(2), system.classicSystem())
        .toCompletableFuture()
        .get(120, TimeUnit.SECONDS);
    return store;
  }
}
