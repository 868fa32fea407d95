package io.parley.node.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.parley.node.testing.Cql;
import io.parley.node.testing.MutableClock;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.SharedCassandra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The day's clients (for {@code /rtm/stats}) cost Cassandra far less than one write per login:
 * logins arriving together are written as one mutation per batch, a client this node already wrote
 * today is not written again, and a new UTC day counts everyone afresh. Counted from Cassandra's
 * own metric ({@code system_views.local_write_latency}) on a keyspace only this test writes.
 */
@ExtendWith(SharedCassandra.class)
class DailyClientsIT {

  private static final String APP = "daily-app";
  private static final String OTHER_APP = "daily-other";
  private static final String QUIET_APP = "daily-quiet";
  private static final int LOGINS = 1000;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String KEYSPACE =
      "parley_daily_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  private static final DailyClients.Settings SETTINGS =
      new DailyClients.Settings(2, 100, 20_000, 200_000, Duration.ofMillis(500));

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);
  @RegisterExtension static final Cql CQL = new Cql();

  /** The clock of the daily clients under test: moved to the next day by one test. */
  private static final MutableClock NOW = new MutableClock(System.currentTimeMillis());

  private static DailyClients daily;

  @BeforeAll
  static void createTheTable() throws Exception {
    CQL.session()
        .execute(
            SimpleStatement.newInstance(
                    "CREATE KEYSPACE IF NOT EXISTS "
                        + KEYSPACE
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                .setTimeout(Duration.ofSeconds(60)));
    daily = new DailyClients(CLUSTER.first().system(), KEYSPACE, NOW, SETTINGS);
    org.apache.pekko.pattern.Patterns.retry(
            daily::createTable, 10, Duration.ofSeconds(2), CLUSTER.first().system().classicSystem())
        .toCompletableFuture()
        .get(120, TimeUnit.SECONDS);
  }

  @Test
  void a_burst_of_logins_is_counted_with_few_writes_and_logins_again_today_write_nothing()
      throws Exception {
    long before = writes();
    loginConcurrently(APP, "c-", LOGINS);
    awaitCount(APP, LOGINS);
    long burst = writes() - before;
    System.out.printf(
        "DailyClientsIT: %d concurrent logins counted with %d Cassandra writes%n", LOGINS, burst);
    assertTrue(burst <= LOGINS / 10, burst + " writes for " + LOGINS + " logins");

    loginConcurrently(APP, "c-", LOGINS);
    Thread.sleep(500);
    assertEquals(0, daily.queued());
    assertEquals(burst, writes() - before, "logins again today write nothing");
    assertEquals(LOGINS, count(APP));
  }

  /**
   * Logins one after another, none while another waits for Cassandra: without the flush interval
   * the first would go alone at once, and the next ones in the batches that form behind it.
   */
  @Test
  void logins_one_after_another_within_the_flush_interval_share_one_write() throws Exception {
    long before = writes();
    for (int n = 0; n < 20; n++) {
      daily.loggedIn(QUIET_APP, "q-" + n);
      Thread.sleep(10);
    }
    assertEquals(0, count(QUIET_APP), "nothing is written before the flush interval ends");
    awaitCount(QUIET_APP, 20);
    assertEquals(1, writes() - before, "20 logins within 500 ms, one write");
  }

  @Test
  void a_new_day_counts_everyone_again() throws Exception {
    loginConcurrently(OTHER_APP, "d-", 10);
    awaitCount(OTHER_APP, 10);
    NOW.advance(Duration.ofDays(1));
    try {
      assertEquals(0, count(OTHER_APP));
      loginConcurrently(OTHER_APP, "d-", 10);
      awaitCount(OTHER_APP, 10);
    } finally {
      NOW.advance(Duration.ofDays(-1));
    }
  }

  /** {@code clients} distinct clients log in at once, from several session threads. */
  private static void loginConcurrently(String app, String prefix, int clients) throws Exception {
    ExecutorService sessions = Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int n = 0; n < clients; n++) {
        String clientId = prefix + n;
        done.add(sessions.submit(() -> daily.loggedIn(app, clientId)));
      }
      for (var login : done) {
        login.get(10, TimeUnit.SECONDS);
      }
    } finally {
      sessions.shutdown();
    }
  }

  /** Waits until today's count of {@code app} is {@code expected}. */
  private static void awaitCount(String app, long expected) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long counted = -1;
    while (System.nanoTime() < deadline) {
      counted = count(app);
      if (counted == expected) {
        return;
      }
      Thread.sleep(100);
    }
    assertEquals(expected, counted, "clients counted today");
  }

  private static long count(String app) throws Exception {
    return daily.countToday(app).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Mutations Cassandra applied to this test's table so far. */
  private static long writes() {
    Row row =
        CQL.session()
            .execute(
                "SELECT count FROM system_views.local_write_latency"
                    + " WHERE keyspace_name = ? AND table_name = ?",
                KEYSPACE,
                "clients_by_day")
            .one();
    return row == null ? 0 : ((Number) row.getObject("count")).longValue();
  }
}
