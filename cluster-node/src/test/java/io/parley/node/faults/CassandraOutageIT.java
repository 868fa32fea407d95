package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.testing.NodeProcess;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestCassandras;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Cassandra stopped for 20 s under traffic, then started again: every send during the outage is
 * refused with a code within the ask timeout (never acknowledged, never left without an answer),
 * the three node JVMs stay up, and afterwards every conversation works again without restarting
 * anything; nothing acknowledged is lost.
 */
// Mostly waiting (traffic at 5 messages/s, Cassandra down for 20 s), with its own Cassandra and
// node processes: it runs beside the module's other integration tests (failsafe's JUnit
// configuration), as the other fault tests do.
@Execution(ExecutionMode.CONCURRENT)
class CassandraOutageIT {

  /** The session's ask timeout (application.conf) plus scheduling slack on a loaded machine. */
  private static final Duration ANSWER_LIMIT = Duration.ofMillis(11_000);

  @Test
  void sends_during_a_cassandra_outage_are_refused_in_time_and_everything_works_afterwards()
      throws Exception {
    // Its own Cassandra, with the run's keyspace and schema: the one the other tests use stays up.
    LocalCassandra cassandra = TestCassandras.start("outage", "512m", UnaryOperator.identity());
    SharedCassandra.applySchema(cassandra.contactPoint(), SharedCassandra.keyspace());
    List<NodeProcess.Spec> specs =
        NodeProcess.Spec.loopback("outage", 3, Map.of(), cassandra.contactPoint());
    try (cassandra;
        ProcessCluster cluster = new ProcessCluster(specs).start();
        Traffic traffic = new Traffic(cluster::uris, cassandra.contactPoint())) {
      List<Traffic.Peer> peers = new ArrayList<>();
      for (int n = 0; n < 6; n++) {
        peers.add(traffic.peer("outage" + n, n % 3));
      }
      List<String> cids = new ArrayList<>();
      cids.add(traffic.conversation(List.of(peers.get(0), peers.get(2))));
      cids.add(traffic.conversation(List.of(peers.get(1), peers.get(5))));
      cids.add(traffic.conversation(peers));
      cids.add(traffic.chatroom(peers));

      traffic.start(Duration.ofMillis(200));
      Thread.sleep(4_000);
      cassandra.stop();
      long down = System.currentTimeMillis();
      System.out.println("[cassandra outage] Cassandra stopped");
      Thread.sleep(20_000);
      long up = System.currentTimeMillis();
      cassandra.start();
      long back = System.currentTimeMillis();
      System.out.println(
          "[cassandra outage] Cassandra started again, answering after " + (back - up) + " ms");
      Thread.sleep(15_000);
      traffic.stopSending(Duration.ofSeconds(60));

      List<Traffic.Attempt> duringOutage =
          traffic.attempts.stream()
              .filter(a -> a.at() >= down && a.at() + a.millis() <= up)
              .toList();
      assertTrue(duringOutage.size() > 0, "sends were tried during the outage");
      List<Traffic.Attempt> ackedDuring =
          duringOutage.stream().filter(a -> a.outcome().equals("acked")).toList();
      assertTrue(ackedDuring.isEmpty(), "acknowledged while Cassandra was down: " + ackedDuring);
      for (String cid : cids) {
        assertTrue(
            traffic.acked.values().stream()
                .anyMatch(m -> m.cid().equals(cid) && traffic.ackedAt.get(m.text()) > back),
            "conversation " + cid + " works again after the outage");
      }
      for (NodeProcess node : cluster.nodes()) {
        assertTrue(node.isAlive(), node.spec().name() + " stayed up");
      }
      System.out.println(
          "[cassandra outage] "
              + duringOutage.size()
              + " sends during the outage, all refused: "
              + duringOutage.stream().map(Traffic.Attempt::outcome).distinct().toList());
      new FaultReport("cassandra outage", traffic)
          .collect(Duration.ofSeconds(3))
          .assertLossFree()
          .assertAnsweredWithin(ANSWER_LIMIT);
    }
  }
}
