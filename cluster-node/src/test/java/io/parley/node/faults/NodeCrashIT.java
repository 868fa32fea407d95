package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeProcess;
import io.parley.node.testing.SharedCassandra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * {@code kill -9} of one of three node JVMs while one-to-one, group and chatroom traffic flows: no
 * acknowledged message is lost, none is stored twice (resends of sends whose answer was lost carry
 * the same {@code dt}), every member that stayed online got every message pushed live, and every
 * client of the dead node is back within 10 s. Review H8: a message resent with the same {@code dt}
 * after its conversation's node died is not stored again.
 */
// Mostly waiting (traffic at 5 messages/s, a node down or cut off for tens of seconds), with its
// own node
// processes: it runs beside the module's other integration tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
@ExtendWith(SharedCassandra.class)
class NodeCrashIT {

  @Test
  void kill_9_of_a_node_loses_no_acknowledged_message_and_its_clients_are_back_within_10_s()
      throws Exception {
    try (ProcessCluster cluster =
            new ProcessCluster(NodeProcess.Spec.loopback("crash", 3, Map.of())).start();
        Traffic traffic = new Traffic(cluster::uris)) {
      List<Traffic.Peer> peers = new ArrayList<>();
      for (int n = 0; n < 6; n++) {
        peers.add(traffic.peer("crash" + n, n % 3));
      }
      String js = "crash-js-" + traffic.run;
      String withJs = traffic.conversation(List.of(peers.get(0)), List.of(js));
      traffic.conversation(List.of(peers.get(1), peers.get(5)));
      String group = traffic.conversation(peers, List.of(js));
      traffic.chatroom(peers);
      // H8: twelve one-to-one conversations, each with one message sent with a token; some live on
      // the node killed.
      Traffic.Peer resender = peers.get(0);
      Map<String, String> firstIds = new java.util.LinkedHashMap<>();
      for (int n = 0; n < 12; n++) {
        Traffic.Peer other = traffic.peer("h8-" + n, 1);
        String cid = conversationOf(traffic, resender, other);
        firstIds.put(
            cid, resender.sendUntilAcked(cid, "h8 " + cid, "h8-dt-" + cid, Duration.ofSeconds(20)));
      }

      // The official JS SDK chats in the one-to-one and the group; the node it landed on is the one
      // killed.
      JsFaultClient sdk =
          JsFaultClient.start(js, cluster.uris(), List.of(withJs, group), Duration.ofSeconds(45));
      java.net.URI sdkNode = sdk.awaitReady(Duration.ofSeconds(60));
      int victim = cluster.uris().indexOf(sdkNode);
      assertTrue(victim >= 0, "the JS SDK is on " + sdkNode + ", not one of " + cluster.uris());
      traffic.start(Duration.ofMillis(200));
      Thread.sleep(5_000);
      cluster.node(victim).kill();
      System.out.println(
          "[node crash] killed " + cluster.node(victim).spec().name() + " with SIGKILL");
      Thread.sleep(35_000);
      traffic.stopSending(Duration.ofSeconds(60));
      long sdkAway = sdk.check(traffic, Duration.ofSeconds(120));

      for (Map.Entry<String, String> first : firstIds.entrySet()) {
        String cid = first.getKey();
        String again =
            resender.sendUntilAcked(cid, "h8 " + cid, "h8-dt-" + cid, Duration.ofSeconds(30));
        assertEquals(
            first.getValue(), again, "the resend after the crash is answered with the original id");
        assertEquals(1, traffic.storedTexts(cid).size(), "stored once: " + cid);
      }
      System.out.println(
          "[node crash] "
              + firstIds.size()
              + " resends with the same dt after the crash: same id, "
              + "stored once");
      new FaultReport("node crash", traffic)
          .collect(Duration.ofSeconds(3))
          .assertLossFree()
          .assertBackWithin(Duration.ofSeconds(10));
      assertTrue(sdkAway <= 10_000, "the JS SDK client was away " + sdkAway + " ms");
    }
  }

  private static String conversationOf(Traffic traffic, Traffic.Peer a, Traffic.Peer b) {
    String cid = traffic.conversation(List.of(a, b));
    a.conversations.remove(cid);
    b.conversations.remove(cid);
    return cid;
  }
}
