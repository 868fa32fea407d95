package io.parley.node.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.RawWebSocket;
import io.parley.node.testing.SharedCassandra;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.LogsCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import io.parley.protocol.wire.ReadCommand;
import io.parley.protocol.wire.ReadTuple;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Messaging with our own client, sender and receivers on different nodes: the seed's "Tom sends,
 * Jerry receives", offline delivery both ways (also across a restart of every node), history,
 * receipts, chatrooms, will messages, recall and edit, and bad input. Every acknowledged message is
 * then found in Cassandra by reading the table directly.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class MessagingIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration QUIET = Duration.ofMillis(1500);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ACKED = new ArrayList<>();
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  private String group(ImClient creator, String name, String... members) {
    GenericCommand started =
        creator.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.start)
                .setPeerId(clients.id(name))
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .addAllM(java.util.Arrays.stream(members).map(clients::id).toList())
                        .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"chat\"}"))),
            WAIT);
    return started.getConvMessage().getCid();
  }

  private GenericCommand send(
      ImClient client, String name, String cid, DirectCommand.Builder direct) {
    GenericCommand ack =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.direct)
                .setPeerId(clients.id(name))
                .setDirectMessage(direct.setCid(cid)),
            WAIT);
    assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
    if (!ack.getAckMessage().hasCode() && !direct.getTransient() && !direct.getWill()) {
      synchronized (ACKED) {
        ACKED.add(cid + "/" + ack.getAckMessage().getUid());
      }
    }
    return ack;
  }

  private GenericCommand send(ImClient client, String name, String cid, String text) {
    return send(client, name, cid, DirectCommand.newBuilder().setMsg(text));
  }

  /** The next push of {@code cmd}, skipping others (e.g. the `joined` of a new conversation). */
  private static GenericCommand next(ImClient client, CommandType cmd) {
    return io.parley.node.testing.TestClients.nextPush(client, cmd, null, WAIT);
  }

  private static Optional<GenericCommand> poll(ImClient client, CommandType cmd) {
    return io.parley.node.testing.TestClients.pollPush(client, cmd, QUIET);
  }

  private GenericCommand logs(ImClient client, String name, String cid, LogsCommand.Builder query) {
    return client.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.logs)
            .setPeerId(clients.id(name))
            .setLogsMessage(query.setCid(cid)),
        WAIT);
  }

  @Test
  void tom_sends_and_jerry_on_another_node_receives_it_with_the_same_id_sender_and_time() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient tomPhone = clients.login("Tom", CLUSTER.second());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    ImClient bob = clients.login("Bob", CLUSTER.first());
    String cid = group(tom, "Tom", "Jerry", "Bob");
    GenericCommand ack = send(tom, "Tom", cid, "人民的名义挺好看的");
    String uid = ack.getAckMessage().getUid();
    assertFalse(uid.isEmpty());
    for (ImClient receiver : List.of(jerry, bob, tomPhone)) {
      DirectCommand received = next(receiver, CommandType.direct).getDirectMessage();
      assertEquals(uid, received.getId());
      assertEquals(cid, received.getCid());
      assertEquals(clients.id("Tom"), received.getFromPeerId());
      assertEquals(ack.getAckMessage().getT(), received.getTimestamp());
      assertEquals("人民的名义挺好看的", received.getMsg());
      assertFalse(received.hasOffline(), "online deliveries never carry offline");
    }
    assertTrue(poll(tom, CommandType.direct).isEmpty(), "no echo to the sending session");
  }

  @Test
  void
      a_version_1_client_gets_its_offline_messages_pushed_at_login_even_after_every_node_restarted()
          throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second(), Subprotocol.JSON_1);
    String cid = group(tom, "Tom", "Jerry");
    jerry.call(Commands.sessionClose(clients.id("Jerry")), WAIT);
    List<String> sent = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      sent.add(send(tom, "Tom", cid, "offline " + n).getAckMessage().getUid());
    }
    restartEveryNode();
    // lc.json.1 like the seed's .NET `Default` strategy: the raw JSON must carry "offline": true.
    RawWebSocket net =
        RawWebSocket.connect(
            CLUSTER.second().ports().http(), "/?subprotocol=lc.json.1", null, 1 << 16);
    try {
      net.sendText(
          "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\""
              + APP
              + "\",\"peerId\":\""
              + clients.id("Jerry")
              + "\",\"i\":-65535}");
      List<JsonNode> offline = new ArrayList<>();
      net.readTimeout(WAIT);
      while (offline.size() < 3) {
        JsonNode frame = JSON.readTree(net.read().text());
        if ("direct".equals(frame.path("cmd").asText())) {
          offline.add(frame);
        }
      }
      assertEquals(sent, offline.stream().map(f -> f.get("id").asText()).toList(), "in order");
      offline.forEach(f -> assertTrue(f.get("offline").asBoolean(), f::toString));
      for (JsonNode message : offline) {
        net.sendText(
            "{\"cmd\":\"ack\",\"cid\":\""
                + cid
                + "\",\"mid\":\""
                + message.get("id").asText()
                + "\",\"i\":-1}");
      }
      Thread.sleep(500);
    } finally {
      net.close();
    }
    ImClient again = clients.login("Jerry", CLUSTER.first(), Subprotocol.PROTOBUF_1);
    assertTrue(poll(again, CommandType.direct).isEmpty(), "acked messages are not pushed again");
  }

  private static void restartEveryNode() {
    CLUSTER.restartAll();
  }

  @Test
  void
      a_version_3_client_gets_one_unread_count_then_history_and_reading_clears_its_other_devices() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid = group(tom, "Tom", "Jerry");
    jerry.call(Commands.sessionClose(clients.id("Jerry")), WAIT);
    List<String> sent = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      DirectCommand.Builder direct = DirectCommand.newBuilder().setMsg("unread " + n);
      if (n == 2) {
        direct.addMentionPids(clients.id("Jerry"));
      }
      sent.add(send(tom, "Tom", cid, direct).getAckMessage().getUid());
    }
    ImClient laptop = clients.login("Jerry", CLUSTER.second());
    GenericCommand unread = next(laptop, CommandType.unread);
    var tuple =
        unread.getUnreadMessage().getConvsList().stream()
            .filter(t -> t.getCid().equals(cid))
            .findFirst()
            .orElseThrow();
    assertEquals(3, tuple.getUnread());
    assertEquals(sent.get(2), tuple.getMid(), "the third as last message");
    assertEquals("unread 3", tuple.getData());
    assertTrue(tuple.getMentioned());
    assertTrue(unread.getUnreadMessage().hasNotifTime());
    GenericCommand history = logs(laptop, "Jerry", cid, LogsCommand.newBuilder().setLimit(10));
    assertEquals(
        sent,
        history.getLogsMessage().getLogsList().stream().map(item -> item.getMsgId()).toList());
    ImClient phone = clients.login("Jerry", CLUSTER.first());
    next(phone, CommandType.unread);
    phone.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.read)
            .setPeerId(clients.id("Jerry"))
            .setReadMessage(ReadCommand.newBuilder().addConvs(ReadTuple.newBuilder().setCid(cid)))
            .build());
    GenericCommand cleared = next(laptop, CommandType.unread);
    assertEquals(
        0,
        cleared.getUnreadMessage().getConvs(0).getUnread(),
        "the other device hears of the read");
    assertTrue(poll(phone, CommandType.unread).isEmpty(), "not the device that read");
  }

  @Test
  void history_pages_by_time_and_id_in_both_directions_for_every_member() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid = group(tom, "Tom", "Jerry");
    List<GenericCommand> acks = new ArrayList<>();
    for (int n = 1; n <= 5; n++) {
      acks.add(send(tom, "Tom", cid, "h" + n));
    }
    for (ImClient member : List.of(tom, jerry)) {
      String name = member == tom ? "Tom" : "Jerry";
      List<String> newest = data(logs(member, name, cid, LogsCommand.newBuilder().setL(2)));
      assertEquals(List.of("h4", "h5"), newest, "OLD: the newest page, ascending");
      GenericCommand fourth = acks.get(3);
      List<String> before =
          data(
              logs(
                  member,
                  name,
                  cid,
                  LogsCommand.newBuilder()
                      .setL(2)
                      .setT(fourth.getAckMessage().getT())
                      .setMid(fourth.getAckMessage().getUid())));
      assertEquals(List.of("h2", "h3"), before, "strictly before the start point");
      GenericCommand second = acks.get(1);
      List<String> after =
          data(
              logs(
                  member,
                  name,
                  cid,
                  LogsCommand.newBuilder()
                      .setL(2)
                      .setT(second.getAckMessage().getT())
                      .setMid(second.getAckMessage().getUid())
                      .setDirection(LogsCommand.QueryDirection.NEW)));
      assertEquals(List.of("h3", "h4"), after, "NEW: the oldest after the start point");
      List<String> inclusive =
          data(
              logs(
                  member,
                  name,
                  cid,
                  LogsCommand.newBuilder()
                      .setL(2)
                      .setT(second.getAckMessage().getT())
                      .setMid(second.getAckMessage().getUid())
                      .setTIncluded(true)
                      .setDirection(LogsCommand.QueryDirection.NEW)));
      assertEquals(List.of("h2", "h3"), inclusive);
    }
  }

  private static List<String> data(GenericCommand logs) {
    return logs.getLogsMessage().getLogsList().stream().map(item -> item.getData()).toList();
  }

  @Test
  void receipts_tell_the_sender_when_the_receiver_got_and_read_the_message() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid = group(tom, "Tom", "Jerry");
    GenericCommand ack =
        send(tom, "Tom", cid, DirectCommand.newBuilder().setMsg("receipt please").setR(true));
    DirectCommand received = next(jerry, CommandType.direct).getDirectMessage();
    jerry.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setPeerId(clients.id("Jerry"))
            .setAckMessage(AckCommand.newBuilder().setCid(cid).setMid(received.getId()))
            .build());
    GenericCommand delivered = next(tom, CommandType.rcp);
    assertEquals(ack.getAckMessage().getUid(), delivered.getRcpMessage().getId());
    assertEquals(clients.id("Jerry"), delivered.getRcpMessage().getFrom());
    assertFalse(
        delivered.getRcpMessage().hasRead(),
        "a delivery receipt has no read field (Java reads its presence)");
    jerry.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.read)
            .setPeerId(clients.id("Jerry"))
            .setReadMessage(
                ReadCommand.newBuilder()
                    .addConvs(
                        ReadTuple.newBuilder().setCid(cid).setTimestamp(received.getTimestamp())))
            .build());
    GenericCommand read = next(tom, CommandType.rcp);
    assertTrue(read.getRcpMessage().getRead());
    assertEquals(received.getTimestamp(), read.getRcpMessage().getT());
    GenericCommand maxRead =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.max_read)
                .setPeerId(clients.id("Tom"))
                .setConvMessage(ConvCommand.newBuilder().setCid(cid)),
            WAIT);
    assertEquals(received.getTimestamp(), maxRead.getConvMessage().getMaxReadTimestamp());
    assertEquals(received.getTimestamp(), maxRead.getConvMessage().getMaxAckTimestamp());
    var item = logs(tom, "Tom", cid, LogsCommand.newBuilder().setL(1)).getLogsMessage().getLogs(0);
    assertTrue(item.getAckAt() >= received.getTimestamp(), "history shows when Jerry received it");
    assertTrue(item.getReadAt() >= received.getTimestamp(), "and when he read it");
  }

  @Test
  void a_chatroom_delivers_to_who_is_in_it_and_leaves_no_unread_behind() {
    ImClient host = clients.login("Host", CLUSTER.first());
    ImClient guest = clients.login("Guest", CLUSTER.second());
    GenericCommand started =
        host.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.start)
                .setPeerId(clients.id("Host"))
                .setConvMessage(ConvCommand.newBuilder().setTransient(true)),
            WAIT);
    String cid = started.getConvMessage().getCid();
    guest.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.conv)
            .setOp(OpType.add)
            .setPeerId(clients.id("Guest"))
            .setConvMessage(ConvCommand.newBuilder().setCid(cid).addM(clients.id("Guest"))),
        WAIT);
    send(host, "Host", cid, "live");
    DirectCommand live = next(guest, CommandType.direct).getDirectMessage();
    assertEquals("live", live.getMsg());
    assertEquals(2, live.getConvType(), "convType 2: chatroom");
    ImClient late = clients.login("Late", CLUSTER.second());
    assertTrue(poll(late, CommandType.direct).isEmpty(), "not in the room: nothing");
    late.close();
    ImClient lateAgain = clients.login("Late", CLUSTER.first());
    assertTrue(poll(lateAgain, CommandType.unread).isEmpty(), "no unread for a chatroom");
  }

  @Test
  void a_will_message_goes_out_when_the_socket_dies_and_not_after_a_clean_close() throws Exception {
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    ImClient tom = clients.login("Tom", CLUSTER.first());
    String cid = group(tom, "Tom", "Jerry");
    next(jerry, CommandType.conv);
    GenericCommand willAck =
        send(tom, "Tom", cid, DirectCommand.newBuilder().setMsg("Tom went away").setWill(true));
    assertFalse(willAck.getAckMessage().hasCode());
    assertTrue(
        poll(jerry, CommandType.direct).isEmpty(),
        "a will is not delivered while the client lives");
    clients.remove(tom);
    tom.abort();
    GenericCommand will = next(jerry, CommandType.direct);
    assertEquals("Tom went away", will.getDirectMessage().getMsg());

    ImClient tidy = clients.login("Tidy", CLUSTER.first());
    tidy.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.conv)
            .setOp(OpType.add)
            .setPeerId(clients.id("Tidy"))
            .setConvMessage(ConvCommand.newBuilder().setCid(cid).addM(clients.id("Tidy"))),
        WAIT);
    send(tidy, "Tidy", cid, DirectCommand.newBuilder().setMsg("never").setWill(true));
    tidy.call(Commands.sessionClose(clients.id("Tidy")), WAIT);
    clients.remove(tidy);
    tidy.close();
    Optional<GenericCommand> after = poll(jerry, CommandType.direct);
    assertTrue(
        after.isEmpty() || !after.get().getDirectMessage().getMsg().equals("never"),
        "no will after a clean close");
  }

  @Test
  void recall_and_edit_reach_the_members_and_show_in_history() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    String cid = group(tom, "Tom", "Jerry");
    GenericCommand typo = send(tom, "Tom", cid, "typo");
    GenericCommand oops = send(tom, "Tom", cid, "oops");
    next(jerry, CommandType.direct);
    next(jerry, CommandType.direct);
    GenericCommand edited = tom.call(patch("Tom", cid, typo, false, "fixed"), WAIT);
    assertEquals(OpType.modified, edited.getOp(), edited::toString);
    GenericCommand editPush = next(jerry, CommandType.patch);
    assertEquals("fixed", editPush.getPatchMessage().getPatches(0).getData());
    tom.call(patch("Tom", cid, oops, true, null), WAIT);
    PatchItem recall = next(jerry, CommandType.patch).getPatchMessage().getPatches(0);
    assertTrue(recall.getRecall());
    assertEquals("{\"_lctype\":-127}", recall.getData());
    GenericCommand notMine = jerry.call(patch("Jerry", cid, typo, false, "hijack"), WAIT);
    assertEquals(4403, notMine.getErrorMessage().getCode());
    List<String> history = data(logs(jerry, "Jerry", cid, LogsCommand.newBuilder().setL(10)));
    assertEquals(List.of("fixed", "{\"_lctype\":-127}"), history);

    // Patch sync at login (§10): a device that last saw patches before these gets both in one push.
    ImClient tablet =
        ImClient.connect(
            CLUSTER.second().webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
    clients.add(tablet);
    tablet.call(
        Commands.sessionOpen(APP, clients.id("Jerry"))
            .setSessionMessage(
                io.parley.protocol.wire.SessionCommand.newBuilder()
                    .setLastPatchTime(typo.getAckMessage().getT())),
        WAIT);
    GenericCommand sync = next(tablet, CommandType.patch);
    assertEquals(2, sync.getPatchMessage().getPatchesCount(), sync::toString);
  }

  @Test
  void a_query_with_the_last_message_flag_carries_the_last_message() throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    String cid = group(tom, "Tom", "Jerry");
    GenericCommand ack = send(tom, "Tom", cid, "the last word");
    GenericCommand result =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.query)
                .setPeerId(clients.id("Tom"))
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setFlag(2)
                        .setWhere(
                            JsonObjectMessage.newBuilder()
                                .setData("{\"objectId\":\"" + cid + "\"}"))),
            WAIT);
    JsonNode conversation = JSON.readTree(result.getConvMessage().getResults().getData()).get(0);
    assertEquals("the last word", conversation.get("msg").asText());
    assertEquals(clients.id("Tom"), conversation.get("msg_from").asText());
    assertEquals(ack.getAckMessage().getUid(), conversation.get("msg_mid").asText());
    assertEquals(ack.getAckMessage().getT(), conversation.get("msg_timestamp").asLong());
    assertEquals("Date", conversation.get("lm").get("__type").asText());
    GenericCommand plain =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.query)
                .setPeerId(clients.id("Tom"))
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setWhere(
                            JsonObjectMessage.newBuilder()
                                .setData("{\"objectId\":\"" + cid + "\"}"))),
            WAIT);
    assertFalse(
        JSON.readTree(plain.getConvMessage().getResults().getData()).get(0).has("msg"),
        "only with the flag");
  }

  private GenericCommand.Builder patch(
      String name, String cid, GenericCommand ack, boolean recall, String data) {
    PatchItem.Builder item =
        PatchItem.newBuilder()
            .setCid(cid)
            .setMid(ack.getAckMessage().getUid())
            .setTimestamp(ack.getAckMessage().getT())
            .setRecall(recall);
    if (data != null) {
      item.setData(data);
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.patch)
        .setOp(OpType.modify)
        .setPeerId(clients.id(name))
        .setPatchMessage(PatchCommand.newBuilder().addPatches(item));
  }

  @Test
  void bad_input_is_answered_with_its_code_and_nothing_is_stored() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient eve = clients.login("Eve", CLUSTER.second());
    String cid = group(tom, "Tom", "Jerry");
    GenericCommand outsider = send(eve, "Eve", cid, "let me in");
    assertEquals(4401, outsider.getAckMessage().getCode());
    assertEquals("INVALID_MESSAGING_TARGET", outsider.getAckMessage().getReason());
    assertFalse(outsider.getAckMessage().hasUid());
    GenericCommand oversized = send(tom, "Tom", cid, "x".repeat(5121));
    assertEquals(4109, oversized.getAckMessage().getCode());
    GenericCommand history = logs(eve, "Eve", cid, LogsCommand.newBuilder());
    assertEquals(4312, history.getErrorMessage().getCode());
    GenericCommand typing =
        send(tom, "Tom", cid, DirectCommand.newBuilder().setMsg("typing…").setTransient(true));
    assertFalse(typing.getAckMessage().getUid().isEmpty(), "transient messages are acked too");
    GenericCommand once =
        send(tom, "Tom", cid, DirectCommand.newBuilder().setMsg("once").setDt("token-1"));
    GenericCommand twice =
        send(tom, "Tom", cid, DirectCommand.newBuilder().setMsg("once").setDt("token-1"));
    assertEquals(
        once.getAckMessage().getUid(),
        twice.getAckMessage().getUid(),
        "a resend is the same message");
    assertEquals(
        List.of("once"),
        data(logs(tom, "Tom", cid, LogsCommand.newBuilder().setL(10))),
        "only the real message is stored: not the refused, the transient nor the resend");
  }

  /** Runs last; reads Cassandra directly: every message any test saw acknowledged is there. */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
  void every_acknowledged_message_of_the_run_is_in_cassandra() {
    String[] hostPort = SharedCassandra.contactPoint().split(":");
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
            .withLocalDatacenter("datacenter1")
            .build()) {
      List<String> stored = new ArrayList<>();
      for (Row row :
          session.execute(
              "SELECT cid, msg_id FROM " + SharedCassandra.keyspace() + ".conversation_messages")) {
        stored.add(row.getString("cid") + "/" + row.getString("msg_id"));
      }
      assertTrue(ACKED.size() >= 15, "the tests acknowledged messages: " + ACKED.size());
      List<String> missing = ACKED.stream().filter(key -> !stored.contains(key)).toList();
      assertTrue(missing.isEmpty(), "acknowledged but not in Cassandra: " + missing);
    }
  }
}
