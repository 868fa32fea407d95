package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.node.testing.NodeProcess;
import io.parley.node.testing.SharedCassandra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * A rolling restart of all three node JVMs (SIGTERM, as Kubernetes stops a pod: goaway to every
 * client, shards handed off; then started again), one after the other while traffic flows: no
 * acknowledged message is lost or stored twice and no member misses a live push while it is online.
 * Every conversation moves at least once, so the resend check of review H8 is deterministic here: a
 * message resent with the same {@code dt} after the restart is answered with the original id and
 * not stored again.
 */
// Mostly waiting (traffic at 5 messages/s, a node down or cut off for tens of seconds), with its
// own node
// processes: it runs beside the module's other integration tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
@ExtendWith(SharedCassandra.class)
class RollingRestartIT {

  @Test
  void a_rolling_restart_of_every_node_loses_nothing_and_online_members_miss_no_push()
      throws Exception {
    try (ProcessCluster cluster =
            new ProcessCluster(NodeProcess.Spec.loopback("rolling", 3, Map.of())).start();
        Traffic traffic = new Traffic(cluster::uris)) {
      List<Traffic.Peer> peers = new ArrayList<>();
      for (int n = 0; n < 6; n++) {
        peers.add(traffic.peer("rolling" + n, n % 3));
      }
      // H8: one message with a token per conversation, from a member of it, resent after the
      // restart.
      Map<String, Traffic.Peer> resenders = new LinkedHashMap<>();
      resenders.put(traffic.conversation(List.of(peers.get(0), peers.get(2))), peers.get(0));
      resenders.put(traffic.conversation(List.of(peers.get(1), peers.get(5))), peers.get(1));
      resenders.put(traffic.conversation(peers), peers.get(3));
      resenders.put(traffic.chatroom(peers), peers.get(4));
      Map<String, String> firstIds = new LinkedHashMap<>();
      resenders.forEach(
          (cid, resender) ->
              firstIds.put(
                  cid,
                  resender.sendUntilAcked(
                      cid, "h8 " + cid, "h8-dt-" + cid, Duration.ofSeconds(20))));

      traffic.start(Duration.ofMillis(200));
      Thread.sleep(3_000);
      for (int n = 2; n >= 0; n--) {
        long start = System.currentTimeMillis();
        cluster.node(n).stop();
        cluster.node(n).start();
        System.out.println(
            "[rolling restart] "
                + cluster.node(n).spec().name()
                + " stopped and back in "
                + (System.currentTimeMillis() - start)
                + " ms");
        Thread.sleep(3_000);
      }
      traffic.stopSending(Duration.ofSeconds(60));

      for (Map.Entry<String, String> first : firstIds.entrySet()) {
        String cid = first.getKey();
        String again =
            resenders
                .get(cid)
                .sendUntilAcked(cid, "h8 " + cid, "h8-dt-" + cid, Duration.ofSeconds(30));
        assertEquals(
            first.getValue(),
            again,
            "a resend after every node restarted gets the original id: " + cid);
        assertEquals(
            1,
            traffic.storedTexts(cid).stream().filter(("h8 " + cid)::equals).count(),
            "the resend is not stored again: " + cid);
      }
      System.out.println(
          "[rolling restart] "
              + firstIds.size()
              + " resends with the same dt after the restart: "
              + "same id, stored once");
      new FaultReport("rolling restart", traffic)
          .collect(Duration.ofSeconds(3))
          .assertLossFree()
          .assertBackWithin(Duration.ofSeconds(10));
    }
  }
}
