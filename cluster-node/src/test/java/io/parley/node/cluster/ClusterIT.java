package io.parley.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several real nodes on loopback form one cluster; a client may use any of them; conversations live
 * in Cassandra's journal and survive a restart of every node.
 */
@ExtendWith(SharedCassandra.class)
class ClusterIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String startConversation(
      TestNode node, String creator, List<String> members, String attr) {
    try (ImClient client =
        ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      TestClients.open(client, APP, creator, WAIT);
      GenericCommand started = client.call(Commands.convStart(creator, members, attr), WAIT);
      assertEquals(OpType.started, started.getOp(), started::toString);
      String cid = started.getConvMessage().getCid();
      assertTrue(cid.matches("[0-9a-f]{24}"), cid);
      assertTrue(started.getConvMessage().getCdate().endsWith("Z"));
      return cid;
    }
  }

  private static JsonNode queryById(TestNode node, String clientId, String cid) throws Exception {
    try (ImClient client =
        ImClient.connect(node.webSocketUri(), Subprotocol.JSON_3, OfferMode.QUERY, WAIT)) {
      TestClients.open(client, APP, clientId, WAIT);
      GenericCommand results =
          client.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.query)
                  .setPeerId(clientId)
                  .setConvMessage(
                      ConvCommand.newBuilder()
                          .setWhere(
                              JsonObjectMessage.newBuilder()
                                  .setData("{\"objectId\":\"" + cid + "\"}"))),
              WAIT);
      assertEquals(OpType.results, results.getOp(), results::toString);
      JsonNode array = JSON.readTree(results.getConvMessage().getResults().getData());
      assertEquals(1, array.size(), array::toString);
      return array.get(0);
    }
  }

  @Test
  void two_nodes_form_one_cluster_and_a_client_may_log_in_to_either() throws Exception {
    TestNode first = TestNode.start(TestNode.Ports.free());
    try (TestNode second = TestNode.start(TestNode.Ports.free(), first.ports(), "")) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while ((first.membersUp() < 2 || second.membersUp() < 2) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(2, first.membersUp(), "first node sees both members Up");
      assertEquals(2, second.membersUp(), "second node sees both members Up");
      for (TestNode node : List.of(first, second)) {
        try (ImClient client =
            ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
          TestClients.open(client, APP, "roamer", WAIT);
        }
      }
      // Conversations are sharded: whichever node hosts it, both nodes reach it.
      List<String> ids = new ArrayList<>();
      for (int n = 0; n < 6; n++) {
        ids.add(startConversation(first, "Tom", List.of("Jerry"), "{\"name\":\"c" + n + "\"}"));
      }
      for (int n = 0; n < ids.size(); n++) {
        JsonNode fromSecond = queryById(second, "Jerry", ids.get(n));
        assertEquals("c" + n, fromSecond.get("name").asText());
      }
    } finally {
      first.close();
    }
  }

  /**
   * A rolling restart: clients of a node that shuts down are told to go away and reconnect
   * elsewhere.
   */
  @Test
  void a_node_that_shuts_down_tells_its_clients_to_go_away() {
    TestNode node = TestNode.start(TestNode.Ports.free());
    ImClient client =
        ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
    TestClients.open(client, APP, "leaving", WAIT);
    node.close();
    GenericCommand goaway = client.nextPush(WAIT);
    assertEquals(CommandType.goaway, goaway.getCmd());
    assertTrue(!goaway.hasI() && !goaway.hasOp(), "goaway carries no i and no op");
    assertEquals(1001, client.awaitClose(WAIT).code());
  }

  @Test
  void conversations_survive_a_restart_of_every_node() throws Exception {
    TestNode.Ports firstPorts = TestNode.Ports.free();
    TestNode.Ports secondPorts = TestNode.Ports.free();
    String roles = "parley.conversation.member-roles = on";
    String attributes = "{\"name\":\"人民的名义\",\"type\":\"group\",\"attr\":{\"pinned\":true}}";
    String cid;
    TestNode first = TestNode.start(firstPorts, null, roles);
    try (TestNode second = TestNode.start(secondPorts, firstPorts, roles)) {
      cid = startConversation(second, "Tom", List.of("Jerry", "Bob", "Ann"), attributes);
      try (ImClient tom =
          ImClient.connect(first.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
        TestClients.open(tom, APP, "Tom", WAIT);
        GenericCommand promoted =
            tom.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.conv)
                    .setOp(OpType.member_info_update)
                    .setPeerId("Tom")
                    .setConvMessage(
                        ConvCommand.newBuilder()
                            .setCid(cid)
                            .setTargetClientId("Jerry")
                            .setInfo(
                                io.parley.protocol.wire.ConvMemberInfo.newBuilder()
                                    .setPid("Jerry")
                                    .setRole("Manager"))),
                WAIT);
        assertEquals(OpType.member_info_updated, promoted.getOp(), promoted::toString);
      }
    } finally {
      first.close();
    }

    TestNode restarted = TestNode.start(firstPorts, null, roles);
    try (TestNode restartedSecond = TestNode.start(secondPorts, firstPorts, roles)) {
      for (TestNode node : List.of(restarted, restartedSecond)) {
        JsonNode conversation = queryById(node, "Bob", cid);
        assertEquals(cid, conversation.get("objectId").asText());
        assertEquals("Tom", conversation.get("c").asText());
        assertEquals("[\"Jerry\",\"Bob\",\"Ann\",\"Tom\"]", conversation.get("m").toString());
        assertEquals("人民的名义", conversation.get("name").asText());
        assertEquals("group", conversation.get("type").asText());
        assertEquals(
            true,
            conversation.get("attr").get("pinned").asBoolean(),
            "attributes are stored as sent, never re-nested");
      }
      // Roles survive too: the manager may still kick (a plain member may not: 4320).
      try (ImClient jerry =
          ImClient.connect(
              restartedSecond.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
        TestClients.open(jerry, APP, "Jerry", WAIT);
        GenericCommand kicked =
            jerry.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.conv)
                    .setOp(OpType.remove)
                    .setPeerId("Jerry")
                    .setConvMessage(ConvCommand.newBuilder().setCid(cid).addM("Ann")),
                WAIT);
        assertEquals(
            List.of("Ann"), kicked.getConvMessage().getAllowedPidsList(), kicked::toString);
        assertEquals(0, kicked.getConvMessage().getFailedPidsCount());
      }
      try (ImClient bob =
          ImClient.connect(
              restarted.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
        TestClients.open(bob, APP, "Bob", WAIT);
        GenericCommand refused =
            bob.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.conv)
                    .setOp(OpType.remove)
                    .setPeerId("Bob")
                    .setConvMessage(ConvCommand.newBuilder().setCid(cid).addM("Jerry")),
                WAIT);
        assertEquals(4320, refused.getConvMessage().getFailedPids(0).getCode());
      }
    } finally {
      restarted.close();
    }
  }
}
