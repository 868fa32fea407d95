package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeProcess;
import io.parley.node.testing.SharedCassandra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A network partition: three node JVMs, each in its own network namespace on a bridge, and one of
 * them cut off from the two others (blackhole routes, healed afterwards) while traffic flows. The
 * split-brain resolver downs the minority node (it leaves and exits; its clients are told to go
 * away and reconnect to the majority), a conversation never has two owners (no conversation
 * acknowledges sends on both sides of the cut), and nothing acknowledged is lost or stored twice.
 * The minority node is then started again and rejoins.
 */
// Mostly waiting (traffic at 5 messages/s, a node down or cut off for tens of seconds), with its
// own node
// processes: it runs beside the module's other integration tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
@ExtendWith(SharedCassandra.class)
class PartitionIT {

  private static final int HTTP = 31500;
  private static final int REMOTE = 31501;

  @Test
  void the_split_brain_resolver_downs_the_isolated_node_and_nothing_is_lost_or_owned_twice()
      throws Exception {
    int cql = SharedCassandra.get().cqlPort();
    try (Netns netns = Netns.create(3);
        TcpForwarder cassandra = new TcpForwarder(Netns.GATEWAY, "127.0.0.1", cql)) {
      List<String> seeds =
          List.of(0, 1, 2).stream().map(n -> Netns.address(n) + ":" + REMOTE).toList();
      List<NodeProcess.Spec> specs =
          List.of(0, 1, 2).stream()
              .map(
                  n ->
                      new NodeProcess.Spec(
                          "partition-" + (n + 1),
                          Netns.address(n),
                          HTTP,
                          REMOTE,
                          seeds,
                          Netns.namespace(n),
                          cassandra.address(),
                          Map.of()))
              .toList();
      try (ProcessCluster cluster = new ProcessCluster(specs).start();
          Traffic traffic = new Traffic(cluster::uris)) {
        List<Traffic.Peer> peers = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
          peers.add(traffic.peer("partition" + n, n % 3));
        }
        // A one-to-one conversation for every pair (15), a group and a chatroom: some conversations
        // live on the
        // node that is cut off, and are then served on its side only.
        for (int a = 0; a < peers.size(); a++) {
          for (int b = a + 1; b < peers.size(); b++) {
            traffic.conversation(List.of(peers.get(a), peers.get(b)));
          }
        }
        traffic.conversation(peers);
        traffic.chatroom(peers);

        // One sender per peer and conversation: the cut-off node's own conversations keep being
        // served on its
        // side while sends to the others wait for their ask timeout.
        traffic.start(Duration.ofMillis(1000), true);
        Thread.sleep(4_000);
        NodeProcess minority = cluster.node(2);
        long cut = System.currentTimeMillis();
        netns.isolate(2);
        System.out.println(
            "[partition] " + minority.spec().name() + " cut off from the two others");
        boolean exited = minority.waitExit(Duration.ofSeconds(90));
        long downed = System.currentTimeMillis();
        System.out.println(
            "[partition] "
                + minority.spec().name()
                + (exited ? " exited" : " still running")
                + " "
                + (downed - cut)
                + " ms after the cut");
        assertTrue(
            exited, "the isolated node downed itself and exited; log:\n" + minority.logText());
        assertTrue(cluster.node(0).isAlive() && cluster.node(1).isAlive(), "the majority stays up");
        assertTrue(
            cluster.node(0).logText().contains("DownUnreachable")
                || cluster.node(1).logText().contains("DownUnreachable"),
            "the majority's resolver downed the other one");
        Thread.sleep(5_000);
        netns.heal(2);
        minority.start();
        long rejoined = System.currentTimeMillis();
        System.out.println("[partition] healed; " + minority.spec().name() + " started again");
        Thread.sleep(6_000);
        traffic.stopSending(Duration.ofSeconds(60));

        assertSingleOwner(traffic, cut, rejoined);
        new FaultReport("partition", traffic)
            .withoutLivePushes()
            .collect(Duration.ofSeconds(3))
            .assertLossFree();
      }
    }
  }

  /**
   * Between the cut and the restart, no conversation acknowledged a send from the majority side and
   * later one from the minority side: with one owner, the side without it can only be served once
   * the minority node is gone. And no two acknowledged messages of a conversation share a server
   * time (two owners would each stamp their own).
   */
  private static void assertSingleOwner(Traffic traffic, long cut, long rejoined) {
    Map<String, Long> firstMajorityAck = new HashMap<>();
    Map<String, Long> lastMinorityStart = new HashMap<>();
    Map<String, Map<Long, String>> serverTimes = new HashMap<>();
    for (Traffic.Attempt attempt : traffic.attempts) {
      if (!attempt.outcome().equals("acked")) {
        continue;
      }
      String cid = attempt.message().cid();
      String previous =
          serverTimes
              .computeIfAbsent(cid, c -> new HashMap<>())
              .put(attempt.serverTime(), attempt.message().text());
      assertTrue(
          previous == null || previous.equals(attempt.message().text()),
          "two messages of "
              + cid
              + " stamped "
              + attempt.serverTime()
              + ": "
              + previous
              + ", "
              + attempt.message());
      if (attempt.at() < cut || attempt.at() > rejoined) {
        continue;
      }
      if (attempt.node() == 2) {
        lastMinorityStart.merge(cid, attempt.at(), Math::max);
      } else {
        firstMajorityAck.merge(cid, attempt.at() + attempt.millis(), Math::min);
      }
    }
    int both = 0;
    for (Map.Entry<String, Long> minority : lastMinorityStart.entrySet()) {
      Long majority = firstMajorityAck.get(minority.getKey());
      if (majority != null) {
        both++;
        assertTrue(
            majority > minority.getValue(),
            "conversation "
                + minority.getKey()
                + " acknowledged the majority "
                + "side at "
                + majority
                + " and later the minority side (send started "
                + minority.getValue()
                + ")");
      }
    }
    System.out.println(
        "[partition] conversations acknowledging on the minority side during the cut: "
            + lastMinorityStart.size()
            + ", on both sides (the majority only after the minority node was gone): "
            + both);
    assertTrue(
        lastMinorityStart.size() > 0,
        "the cut-off node served its own conversations until it was downed");
  }
}
