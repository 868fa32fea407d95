package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's group-chat scenarios with our own client, clients spread over two nodes: who receives
 * which event, with which fields, and who receives nothing (docs/protocol.md §11).
 */
class ConversationIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration QUIET = Duration.ofMillis(1500);
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  /** Logs {@code name} (made unique per test) in, alternating nodes; returns the client. */
  private static GenericCommand.Builder conv(OpType op, String peer, ConvCommand.Builder body) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(peer)
        .setConvMessage(body);
  }

  private GenericCommand start(
      ImClient client, String creator, List<String> members, String attributes, boolean unique) {
    ConvCommand.Builder body =
        ConvCommand.newBuilder()
            .addAllM(members.stream().map(clients::id).toList())
            .setUnique(unique)
            .setAttr(JsonObjectMessage.newBuilder().setData(attributes));
    GenericCommand started = client.call(conv(OpType.start, clients.id(creator), body), WAIT);
    assertEquals(OpType.started, started.getOp(), started::toString);
    return started;
  }

  /** The next push that is a conv notice (other pushes are skipped). */
  private static GenericCommand nextNotice(ImClient client) {
    while (true) {
      GenericCommand push = client.nextPush(WAIT);
      if (push.getCmd() == CommandType.conv) {
        return push;
      }
    }
  }

  private static void assertNothingMore(ImClient client, String who) {
    Optional<GenericCommand> extra = client.pollPush(QUIET);
    assertTrue(extra.isEmpty(), () -> who + " should get nothing more, got " + extra.get());
  }

  private void assertNotice(
      ImClient client, OpType op, String cid, String initBy, List<String> members) {
    GenericCommand notice = nextNotice(client);
    assertEquals(op, notice.getOp(), notice::toString);
    assertEquals(cid, notice.getConvMessage().getCid());
    assertEquals(clients.id(initBy), notice.getConvMessage().getInitBy());
    assertEquals(members.stream().map(clients::id).toList(), notice.getConvMessage().getMList());
  }

  private JsonNode query(ImClient client, String peer, String where) throws Exception {
    ConvCommand.Builder body = ConvCommand.newBuilder();
    if (where != null) {
      body.setWhere(JsonObjectMessage.newBuilder().setData(where));
    }
    GenericCommand results = client.call(conv(OpType.query, clients.id(peer), body), WAIT);
    assertEquals(OpType.results, results.getOp(), results::toString);
    return JSON.readTree(results.getConvMessage().getResults().getData());
  }

  @Test
  void private_chat_notifies_the_other_member_who_reads_the_name_back() throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid =
        start(tom, "Tom", List.of("Jerry"), "{\"name\":\"Tom & Jerry\"}", true)
            .getConvMessage()
            .getCid();
    GenericCommand joined = nextNotice(jerry);
    assertEquals(OpType.joined, joined.getOp());
    assertEquals(cid, joined.getConvMessage().getCid());
    assertEquals(clients.id("Tom"), joined.getConvMessage().getInitBy());
    assertEquals(clients.id("Jerry"), joined.getPeerId(), "pushes are addressed to the recipient");
    assertNothingMore(tom, "the creator");
    JsonNode found = query(jerry, "Jerry", "{\"objectId\":\"" + cid + "\"}");
    assertEquals("Tom & Jerry", found.get(0).get("name").asText());
    assertEquals(
        List.of(clients.id("Jerry"), clients.id("Tom")),
        List.of(found.get(0).get("m").get(0).asText(), found.get(0).get("m").get(1).asText()));
  }

  /** The seed's three tables: invite, kick, leave; each recipient checked, and who gets nothing. */
  @Test
  void group_invite_kick_and_leave_follow_the_seed_tables() throws Exception {
    Map<String, ImClient> c = new HashMap<>();
    String[] names = {"Tom", "Jerry", "Bob", "Harry", "William"};
    for (int n = 0; n < names.length; n++) {
      c.put(names[n], clients.login(names[n], n % 2 == 0 ? CLUSTER.first() : CLUSTER.second()));
    }
    String cid =
        start(
                c.get("Tom"),
                "Tom",
                List.of("Jerry", "Bob", "Harry"),
                "{\"name\":\"group\",\"type\":\"group\"}",
                false)
            .getConvMessage()
            .getCid();
    for (String invitee : List.of("Jerry", "Bob", "Harry")) {
      assertEquals(OpType.joined, nextNotice(c.get(invitee)).getOp());
    }
    JsonNode byType =
        query(c.get("Jerry"), "Jerry", "{\"type\":\"group\",\"objectId\":\"" + cid + "\"}");
    assertEquals(1, byType.size());
    JsonNode mine = query(c.get("Bob"), "Bob", null);
    assertTrue(
        mine.toString().contains(cid), "the default query lists the conversations Bob is in");

    // Tom invites William: A, B, C get members_joined; D gets joined.
    GenericCommand added =
        c.get("Tom")
            .call(
                conv(
                    OpType.add,
                    clients.id("Tom"),
                    ConvCommand.newBuilder().setCid(cid).addM(clients.id("William"))),
                WAIT);
    assertEquals(OpType.added, added.getOp());
    assertEquals(List.of(clients.id("William")), added.getConvMessage().getAllowedPidsList());
    GenericCommand invited = nextNotice(c.get("William"));
    assertEquals(OpType.joined, invited.getOp());
    assertEquals(clients.id("Tom"), invited.getConvMessage().getInitBy());
    for (String member : List.of("Tom", "Jerry", "Bob", "Harry")) {
      assertNotice(c.get(member), OpType.members_joined, cid, "Tom", List.of("William"));
    }
    assertNothingMore(c.get("William"), "the invitee");

    // Tom kicks Harry: Harry gets left and nothing more; the others get members_left.
    GenericCommand removed =
        c.get("Tom")
            .call(
                conv(
                    OpType.remove,
                    clients.id("Tom"),
                    ConvCommand.newBuilder().setCid(cid).addM(clients.id("Harry"))),
                WAIT);
    assertEquals(OpType.removed, removed.getOp());
    GenericCommand kicked = nextNotice(c.get("Harry"));
    assertEquals(OpType.left, kicked.getOp());
    assertEquals(clients.id("Tom"), kicked.getConvMessage().getInitBy());
    for (String member : List.of("Tom", "Jerry", "Bob", "William")) {
      assertNotice(c.get(member), OpType.members_left, cid, "Tom", List.of("Harry"));
    }
    assertNothingMore(c.get("Harry"), "the kicked member");

    // Tom, the owner, cannot leave (member roles on by default: 4324), and nobody hears of it.
    GenericCommand refused =
        c.get("Tom")
            .call(
                conv(
                    OpType.remove,
                    clients.id("Tom"),
                    ConvCommand.newBuilder().setCid(cid).addM(clients.id("Tom"))),
                WAIT);
    assertEquals(1, refused.getConvMessage().getFailedPidsCount(), refused::toString);
    assertEquals(4324, refused.getConvMessage().getFailedPids(0).getCode(), refused::toString);
    // Jerry leaves: the others get members_left; Jerry gets nothing (seed DECISION).
    c.get("Jerry")
        .call(
            conv(
                OpType.remove,
                clients.id("Jerry"),
                ConvCommand.newBuilder().setCid(cid).addM(clients.id("Jerry"))),
            WAIT);
    for (String member : List.of("Tom", "Bob", "William")) {
      assertNotice(c.get(member), OpType.members_left, cid, "Jerry", List.of("Jerry"));
    }
    assertNothingMore(c.get("Jerry"), "the leaver");
    assertNothingMore(c.get("Harry"), "the kicked member");
  }

  @Test
  void an_update_reaches_the_other_members_with_the_modified_values() throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid =
        start(tom, "Tom", List.of("Jerry"), "{\"name\":\"before\"}", false)
            .getConvMessage()
            .getCid();
    nextNotice(jerry);
    GenericCommand updated =
        tom.call(
            conv(
                OpType.update,
                clients.id("Tom"),
                ConvCommand.newBuilder()
                    .setCid(cid)
                    .setAttr(
                        JsonObjectMessage.newBuilder()
                            .setData("{\"name\":\"after\",\"attr.pinned\":true}"))),
            WAIT);
    assertEquals(OpType.updated, updated.getOp());
    assertTrue(updated.getConvMessage().getUdate().endsWith("Z"));
    GenericCommand notice = nextNotice(jerry);
    assertEquals(OpType.updated, notice.getOp());
    assertEquals(
        "{\"name\":\"after\",\"attr.pinned\":true}",
        notice.getConvMessage().getAttrModified().getData());
    JsonNode read = query(jerry, "Jerry", "{\"objectId\":\"" + cid + "\"}").get(0);
    assertEquals("after", read.get("name").asText());
    assertTrue(read.get("attr").get("pinned").asBoolean());
  }

  @Test
  void the_same_unique_member_set_started_concurrently_on_two_nodes_is_one_conversation() {
    ImClient a = clients.login("A", CLUSTER.first());
    ImClient b = clients.login("B", CLUSTER.second());
    ConvCommand.Builder fromA =
        ConvCommand.newBuilder()
            .addM(clients.id("B"))
            .setUnique(true)
            .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"x\"}"));
    ConvCommand.Builder fromB =
        ConvCommand.newBuilder()
            .addM(clients.id("A"))
            .setUnique(true)
            .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"y\"}"));
    CompletableFuture<GenericCommand> one = a.request(conv(OpType.start, clients.id("A"), fromA));
    CompletableFuture<GenericCommand> two = b.request(conv(OpType.start, clients.id("B"), fromB));
    GenericCommand first = one.join();
    GenericCommand second = two.join();
    assertEquals(first.getConvMessage().getCid(), second.getConvMessage().getCid());
    assertTrue(
        first.getConvMessage().getExisting() ^ second.getConvMessage().getExisting(),
        "exactly one created it");
    assertEquals(32, first.getConvMessage().getUniqueId().length());
  }

  @Test
  void a_chatroom_counts_who_is_online_and_forgets_who_disconnects() {
    ImClient host = clients.login("Host", CLUSTER.first());
    ImClient guest = clients.login("Guest", CLUSTER.second());
    ImClient other = clients.login("Other", CLUSTER.first());
    GenericCommand started =
        host.call(
            conv(
                OpType.start,
                clients.id("Host"),
                ConvCommand.newBuilder()
                    .setTransient(true)
                    .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"room\"}"))),
            WAIT);
    String cid = started.getConvMessage().getCid();
    for (ImClient joiner : List.of(guest, other)) {
      String peer = joiner == guest ? clients.id("Guest") : clients.id("Other");
      GenericCommand joined =
          joiner.call(
              conv(OpType.add, peer, ConvCommand.newBuilder().setCid(cid).addM(peer)), WAIT);
      assertEquals(List.of(peer), joined.getConvMessage().getAllowedPidsList(), joined::toString);
    }
    assertEquals(3, count(host, "Host", cid));
    GenericCommand invite =
        host.call(
            conv(
                OpType.add,
                clients.id("Host"),
                ConvCommand.newBuilder().setCid(cid).addM("stranger")),
            WAIT);
    assertEquals(
        4314,
        invite.getConvMessage().getFailedPids(0).getCode(),
        "no inviting others into a chatroom");
    clients.remove(other);
    other.close();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (count(host, "Host", cid) != 2 && System.nanoTime() < deadline) {
      Thread.yield();
    }
    assertEquals(2, count(host, "Host", cid));
    assertNothingMore(guest, "chatroom members get no join/leave events");
  }

  /**
   * Who is in a chatroom lives only in its entity's memory. When the entity restarts (it moved in a
   * rolling update, or stopped), every node re-joins its sessions in the room at once: counts and
   * history work again within moments, not at the sessions' next renewal (30 s).
   */
  @Test
  void a_chatroom_whose_entity_restarts_knows_who_is_in_it_again_at_once() throws Exception {
    ImClient host = clients.login("RoomHost", CLUSTER.first());
    ImClient guest = clients.login("RoomGuest", CLUSTER.second());
    GenericCommand started =
        host.call(
            conv(OpType.start, clients.id("RoomHost"), ConvCommand.newBuilder().setTransient(true)),
            WAIT);
    String cid = started.getConvMessage().getCid();
    String guestId = clients.id("RoomGuest");
    guest.call(conv(OpType.add, guestId, ConvCommand.newBuilder().setCid(cid).addM(guestId)), WAIT);
    assertEquals(2, count(host, "RoomHost", cid));

    org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(CLUSTER.first().system())
        .entityRefFor(Conversation.ENTITY_KEY, ConversationIds.entityId(APP, cid))
        .tell(Conversation.Stop.INSTANCE);
    Thread.sleep(500);
    long restarted = System.nanoTime();
    long deadline = restarted + Duration.ofSeconds(5).toNanos();
    int count = count(host, "RoomHost", cid);
    while (count != 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      count = count(host, "RoomHost", cid);
    }
    assertEquals(2, count, "both members are in the room again, well before a 30 s renewal");
    System.out.printf(
        "chatroom entity restarted: both members back in %d ms%n",
        (System.nanoTime() - restarted) / 1_000_000);
    GenericCommand logs =
        guest.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.logs)
                .setPeerId(guestId)
                .setLogsMessage(io.parley.protocol.wire.LogsCommand.newBuilder().setCid(cid)),
            WAIT);
    assertEquals(CommandType.logs, logs.getCmd(), "the guest reads the room's history: " + logs);
  }

  private int count(ImClient client, String peer, String cid) {
    GenericCommand result =
        client.call(
            conv(OpType.count, clients.id(peer), ConvCommand.newBuilder().setCid(cid)), WAIT);
    assertEquals(OpType.result, result.getOp(), result::toString);
    return result.getConvMessage().getCount();
  }

  @Test
  void a_temporary_conversation_expires_after_its_ttl() throws Exception {
    ImClient a = clients.login("A", CLUSTER.first());
    ImClient b = clients.login("B", CLUSTER.second());
    GenericCommand started =
        a.call(
            conv(
                OpType.start,
                clients.id("A"),
                ConvCommand.newBuilder().addM(clients.id("B")).setTempConv(true).setTempConvTTL(2)),
            WAIT);
    String cid = started.getConvMessage().getCid();
    assertTrue(cid.startsWith("_tmp:"), cid);
    assertEquals(2, started.getConvMessage().getTempConvTTL());
    assertEquals(OpType.joined, nextNotice(b).getOp());
    GenericCommand byId =
        b.call(
            conv(OpType.query, clients.id("B"), ConvCommand.newBuilder().addTempConvIds(cid)),
            WAIT);
    JsonNode found = JSON.readTree(byId.getConvMessage().getResults().getData());
    assertEquals(cid, found.get(0).get("objectId").asText());
    assertTrue(found.get(0).get("ttl").asInt() <= 2);
    Thread.sleep(2500);
    GenericCommand late =
        a.call(
            conv(OpType.add, clients.id("A"), ConvCommand.newBuilder().setCid(cid).addM("C")),
            WAIT);
    // 4303: the SDKs build TEMPORARY_CONVERSATION_EXPIRED themselves from it
    // (docs/protocol-notes.md)
    assertEquals(4303, late.getErrorMessage().getCode(), late::toString);
    assertEquals("CONVERSATION_NOT_FOUND", late.getErrorMessage().getReason(), late::toString);
  }

  @Test
  void non_members_cannot_invite_or_update() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient eve = clients.login("Eve", CLUSTER.second());
    String cid = start(tom, "Tom", List.of("Jerry"), "{}", false).getConvMessage().getCid();
    GenericCommand invite =
        eve.call(
            conv(OpType.add, clients.id("Eve"), ConvCommand.newBuilder().setCid(cid).addM("X")),
            WAIT);
    assertEquals(4317, invite.getErrorMessage().getCode());
    GenericCommand update =
        eve.call(
            conv(
                OpType.update,
                clients.id("Eve"),
                ConvCommand.newBuilder()
                    .setCid(cid)
                    .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"mine\"}"))),
            WAIT);
    assertEquals(4309, update.getErrorMessage().getCode());
    GenericCommand missing =
        eve.call(
            conv(
                OpType.add,
                clients.id("Eve"),
                ConvCommand.newBuilder()
                    .setCid("0123456789abcdef01234567")
                    .addM(clients.id("Eve"))),
            WAIT);
    assertEquals(4303, missing.getErrorMessage().getCode());
    assertFalse(eve.pollPush(QUIET).isPresent());
  }

  @Test
  void session_query_reports_who_is_online_anywhere_in_the_cluster() {
    ImClient a = clients.login("A", CLUSTER.first());
    clients.login("B", CLUSTER.second());
    GenericCommand result =
        a.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.session)
                .setOp(OpType.query)
                .setPeerId(clients.id("A"))
                .setSessionMessage(
                    io.parley.protocol.wire.SessionCommand.newBuilder()
                        .addSessionPeerIds(clients.id("B"))
                        .addSessionPeerIds(clients.id("Nobody"))),
            WAIT);
    assertEquals(OpType.query_result, result.getOp(), result::toString);
    assertEquals(
        List.of(clients.id("B")), result.getSessionMessage().getOnlineSessionPeerIdsList());
  }
}
