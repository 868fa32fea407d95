package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ConvMemberInfo;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Roles, shut-up and blacklist on the wire (docs/protocol.md §6.9–§6.11), on a node with member
 * roles on; and the query options of §6.4 (limit 0, compact, count).
 */
class ModerationIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final NodeCluster CLUSTER = new NodeCluster(1, "parley.conversation.member-roles = on");

  @RegisterExtension
  final OpenClients clients = new OpenClients(CLUSTER::first, "parley-dev", WAIT);

  private GenericCommand conv(ImClient client, String peer, OpType op, ConvCommand.Builder body) {
    return client.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.conv)
            .setOp(op)
            .setPeerId(clients.id(peer))
            .setConvMessage(body),
        WAIT);
  }

  private static GenericCommand nextConv(ImClient client) {
    while (true) {
      GenericCommand push = client.nextPush(WAIT);
      if (push.getCmd() == CommandType.conv) {
        return push;
      }
    }
  }

  private String group(ImClient owner, ImClient... others) {
    String cid =
        conv(
                owner,
                "Owner",
                OpType.start,
                ConvCommand.newBuilder()
                    .addAllM(
                        List.of(clients.id("Manager"), clients.id("Member"), clients.id("Other")))
                    .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"moderated\"}")))
            .getConvMessage()
            .getCid();
    for (ImClient other : others) {
      assertEquals(OpType.joined, nextConv(other).getOp());
    }
    return cid;
  }

  @Test
  void roles_shutup_and_blacklist_follow_their_rules_and_codes() {
    ImClient owner = clients.login("Owner");
    ImClient manager = clients.login("Manager");
    ImClient member = clients.login("Member");
    ImClient other = clients.login("Other");
    String cid = group(owner, manager, member, other);

    // §6.9: a member cannot promote itself; the owner makes a manager; everyone hears of it.
    GenericCommand selfPromotion =
        conv(
            member,
            "Member",
            OpType.member_info_update,
            ConvCommand.newBuilder()
                .setCid(cid)
                .setTargetClientId(clients.id("Member"))
                .setInfo(
                    ConvMemberInfo.newBuilder().setPid(clients.id("Member")).setRole("Manager")));
    assertEquals(4320, selfPromotion.getErrorMessage().getCode());
    GenericCommand promoted =
        conv(
            owner,
            "Owner",
            OpType.member_info_update,
            ConvCommand.newBuilder()
                .setCid(cid)
                .setTargetClientId(clients.id("Manager"))
                .setInfo(
                    ConvMemberInfo.newBuilder().setPid(clients.id("Manager")).setRole("Manager")));
    assertEquals(OpType.member_info_updated, promoted.getOp(), promoted::toString);
    for (ImClient client : List.of(owner, manager, member, other)) {
      GenericCommand changed = nextConv(client);
      assertEquals(OpType.member_info_changed, changed.getOp());
      assertEquals(clients.id("Manager"), changed.getConvMessage().getInfo().getPid());
      assertEquals("Manager", changed.getConvMessage().getInfo().getRole());
    }

    // §6.10: a plain member may not mute; the manager mutes Other.
    assertEquals(
        4320,
        conv(
                member,
                "Member",
                OpType.add_shutup,
                ConvCommand.newBuilder().setCid(cid).addM(clients.id("Other")))
            .getErrorMessage()
            .getCode());
    GenericCommand shut =
        conv(
            manager,
            "Manager",
            OpType.add_shutup,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Other")));
    assertEquals(OpType.shutup_added, shut.getOp());
    assertEquals(List.of(clients.id("Other")), shut.getConvMessage().getAllowedPidsList());
    assertEquals(OpType.shutuped, nextConv(other).getOp());
    for (ImClient client : List.of(owner, manager, member)) {
      GenericCommand notice = nextConv(client);
      assertEquals(OpType.members_shutuped, notice.getOp());
      assertEquals(List.of(clients.id("Other")), notice.getConvMessage().getMList());
    }
    GenericCommand shutList =
        conv(
            owner, "Owner", OpType.query_shutup, ConvCommand.newBuilder().setCid(cid).setLimit(10));
    assertEquals(OpType.shutup_result, shutList.getOp());
    assertEquals(List.of(clients.id("Other")), shutList.getConvMessage().getMList());

    // §6.3 with roles: a member may not kick; nobody removes the owner.
    GenericCommand memberKick =
        conv(
            member,
            "Member",
            OpType.remove,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Other")));
    assertEquals(4320, memberKick.getConvMessage().getFailedPids(0).getCode());
    GenericCommand removeOwner =
        conv(
            manager,
            "Manager",
            OpType.remove,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Owner")));
    assertEquals(4324, removeOwner.getConvMessage().getFailedPids(0).getCode());
    assertEquals(
        "CONVERSATION_NEED_OWNER", removeOwner.getConvMessage().getFailedPids(0).getReason());

    // §6.11: the owner blocks Other: reply on cmd=blacklist; pushes on cmd=conv.
    GenericCommand blocked =
        owner.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.blacklist)
                .setOp(OpType.block)
                .setPeerId(clients.id("Owner"))
                .setBlacklistMessage(
                    BlacklistCommand.newBuilder().setSrcCid(cid).addToPids(clients.id("Other"))),
            WAIT);
    assertEquals(CommandType.blacklist, blocked.getCmd());
    assertEquals(OpType.blocked, blocked.getOp());
    assertEquals(List.of(clients.id("Other")), blocked.getBlacklistMessage().getAllowedPidsList());
    assertEquals(OpType.blocked, nextConv(other).getOp());
    assertEquals(OpType.left, nextConv(other).getOp());
    for (ImClient client : List.of(owner, manager, member)) {
      assertEquals(OpType.members_blocked, nextConv(client).getOp());
      assertEquals(OpType.members_left, nextConv(client).getOp());
    }
    GenericCommand readd =
        conv(
            manager,
            "Manager",
            OpType.add,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Other")));
    assertEquals(4548, readd.getConvMessage().getFailedPids(0).getCode());
    GenericCommand list =
        owner.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.blacklist)
                .setOp(OpType.query)
                .setPeerId(clients.id("Owner"))
                .setBlacklistMessage(BlacklistCommand.newBuilder().setSrcCid(cid).setLimit(10)),
            WAIT);
    assertEquals(OpType.query_result, list.getOp());
    assertEquals(List.of(clients.id("Other")), list.getBlacklistMessage().getBlockedPidsList());
  }

  /**
   * System conversations are created by the app (REST, simulated here); clients subscribe by
   * joining.
   */
  @Test
  void a_system_conversation_is_subscribed_by_joining_it_and_nobody_adds_others() throws Exception {
    String cid = ConversationIds.newId(java.time.Instant.now());
    org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(CLUSTER.first().system())
        .entityRefFor(Conversation.ENTITY_KEY, ConversationIds.entityId("parley-dev", cid))
        .<Conversation.Reply>ask(
            replyTo ->
                new Conversation.Start(
                    "app-admin",
                    List.of(),
                    "{\"name\":\"news\"}",
                    ConversationState.Kind.SYSTEM,
                    false,
                    null,
                    0,
                    System.currentTimeMillis(),
                    replyTo),
            WAIT)
        .toCompletableFuture()
        .get();
    ImClient reader = clients.login("Reader");
    GenericCommand subscribed =
        conv(
            reader,
            "Reader",
            OpType.add,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Reader")));
    assertEquals(
        List.of(clients.id("Reader")),
        subscribed.getConvMessage().getAllowedPidsList(),
        subscribed::toString);
    GenericCommand others =
        conv(
            reader,
            "Reader",
            OpType.add,
            ConvCommand.newBuilder().setCid(cid).addM("someone-else"));
    assertEquals(4314, others.getConvMessage().getFailedPids(0).getCode());
    JsonNode found =
        JSON.readTree(
            conv(
                    reader,
                    "Reader",
                    OpType.query,
                    ConvCommand.newBuilder()
                        .setWhere(
                            JsonObjectMessage.newBuilder()
                                .setData("{\"sys\":true,\"objectId\":\"" + cid + "\"}")))
                .getConvMessage()
                .getResults()
                .getData());
    assertEquals(1, found.size());
    assertTrue(found.get(0).get("sys").asBoolean());
    GenericCommand unsubscribed =
        conv(
            reader,
            "Reader",
            OpType.remove,
            ConvCommand.newBuilder().setCid(cid).addM(clients.id("Reader")));
    assertEquals(List.of(clients.id("Reader")), unsubscribed.getConvMessage().getAllowedPidsList());
  }

  @Test
  void query_options_limit_zero_compact_and_count_behave_as_the_spec_says() throws Exception {
    ImClient owner = clients.login("Owner");
    List<String> cids = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      cids.add(
          conv(
                  owner,
                  "Owner",
                  OpType.start,
                  ConvCommand.newBuilder()
                      .addM(clients.id("Friend" + n))
                      .setAttr(
                          JsonObjectMessage.newBuilder()
                              .setData(
                                  "{\"name\":\"q" + n + "\",\"kind\":\"" + clients.run() + "\"}")))
              .getConvMessage()
              .getCid());
    }
    String where = "{\"kind\":\"" + clients.run() + "\"}";
    GenericCommand none =
        conv(
            owner,
            "Owner",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(JsonObjectMessage.newBuilder().setData(where))
                .setLimit(0)
                .setCount(1));
    assertEquals(
        0,
        JSON.readTree(none.getConvMessage().getResults().getData()).size(),
        "limit 0: no results");
    assertEquals(3, none.getConvMessage().getCount(), "count: all matches");
    GenericCommand compact =
        conv(
            owner,
            "Owner",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(JsonObjectMessage.newBuilder().setData(where))
                .setFlag(1)
                .setSort("name"));
    JsonNode results = JSON.readTree(compact.getConvMessage().getResults().getData());
    assertEquals(3, results.size());
    assertEquals("q0", results.get(0).get("name").asText(), "sorted by name");
    assertTrue(!results.get(0).has("m"), "compact: no member lists");
    GenericCommand full =
        conv(
            owner,
            "Owner",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(
                    JsonObjectMessage.newBuilder()
                        .setData(
                            "{\"kind\":\""
                                + clients.run()
                                + "\",\"name\":{\"$in\":[\"q1\",\"q2\"]}}"))
                .setSort("-name")
                .setLimit(1)
                .setSkip(1));
    JsonNode page = JSON.readTree(full.getConvMessage().getResults().getData());
    assertEquals(
        "q1", page.get(0).get("name").asText(), "sort, skip and limit apply to the matches");
    assertTrue(page.get(0).get("m").size() == 2);
    GenericCommand invalid =
        conv(
            owner,
            "Owner",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(JsonObjectMessage.newBuilder().setData("{\"name\":{\"$bogus\":1}}")));
    assertEquals(4310, invalid.getErrorMessage().getCode());
  }
}
