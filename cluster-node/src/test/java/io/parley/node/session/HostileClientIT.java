package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.BlacklistCommand;
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
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hostile client against a node with the shipped limits (docs/protocol.md §17, issue #10 points 5
 * and 6): every refusal comes with its LeanCloud code, and well-behaved clients on the same node
 * keep being served. Clients are fresh per test (rates are per client). {@code NodeLimitsIT} covers
 * the node-wide limits (logins per address, connections per node, the login timeout).
 */
class HostileClientIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP = "parley-dev";

  /** A second app whose private conversations take an invitation ({@code self-join = groups}). */
  private static final String CLOSED_APP = "closed-app";

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          1,
          String.join(
              "\n",
              // the shipped defaults (the test fixtures turn the rates off for feature tests)
              TestNode.SHIPPED_RATES,
              "parley.limits.logins-per-address-per-minute = 600",
              TestNode.apps(
                  TestNode.DEV_APP,
                  "{ app-id = closed-app, app-key = closed-key, master-key = closed-master,"
                      + " self-join = groups }")));

  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  private static String unique(String name) {
    return name + "-" + Long.toHexString(System.nanoTime());
  }

  /** The LeanCloud code of an answer: an error's, or an ack's; 0 for success. */
  private static int code(GenericCommand reply) {
    if (reply.getCmd() == CommandType.error) {
      return reply.getErrorMessage().getCode();
    }
    if (reply.getCmd() == CommandType.ack && reply.getAckMessage().hasCode()) {
      return reply.getAckMessage().getCode();
    }
    return 0;
  }

  private static String start(
      ImClient client, String peer, List<String> members, boolean unique, boolean chatroom) {
    GenericCommand.Builder start = Commands.convStart(peer, members, "{\"name\":\"n\"}");
    start.getConvMessageBuilder().setUnique(unique).setTransient(chatroom);
    GenericCommand started = client.call(start, WAIT);
    assertEquals(OpType.started, started.getOp(), started::toString);
    return started.getConvMessage().getCid();
  }

  private static GenericCommand conv(String peer, OpType op, ConvCommand.Builder body) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(peer)
        .setConvMessage(body)
        .build();
  }

  private static GenericCommand.Builder convB(String peer, OpType op, ConvCommand.Builder body) {
    return conv(peer, op, body).toBuilder();
  }

  private static GenericCommand send(
      ImClient client, String peer, String cid, DirectCommand.Builder direct) {
    return client.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.direct)
            .setPeerId(peer)
            .setDirectMessage(direct.setCid(cid)),
        WAIT);
  }

  private static GenericCommand text(ImClient client, String peer, String cid, String text) {
    return send(
        client,
        peer,
        cid,
        DirectCommand.newBuilder().setMsg("{\"_lctype\":-1,\"_lctext\":\"" + text + "\"}"));
  }

  private static GenericCommand directPush(ImClient client) {
    for (int n = 0; n < 20; n++) {
      GenericCommand push = client.nextPush(WAIT);
      if (push.getCmd() == CommandType.direct) {
        return push;
      }
    }
    throw new AssertionError("no direct push");
  }

  // ------------------------------------------------------------------------------------- 5.
  // membership

  /** Outsiders neither move positions nor send receipts (H4), nor read anyone's positions. */
  @Test
  void outsiders_cannot_ack_read_or_query_read_positions() {
    String a = unique("a"), b = unique("b"), x = unique("x");
    ImClient alice = clients.loginAs(APP, a);
    ImClient bob = clients.loginAs(APP, b);
    ImClient outsider = clients.loginAs(APP, x);
    String cid = start(alice, a, List.of(b), false, false);
    GenericCommand sent =
        send(alice, a, cid, DirectCommand.newBuilder().setMsg("{\"_lctext\":\"hi\"}").setR(true));
    String mid = sent.getAckMessage().getUid();
    directPush(bob);
    outsider.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setPeerId(x)
            .setAckMessage(AckCommand.newBuilder().setCid(cid).setMid(mid))
            .build());
    outsider.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.read)
            .setPeerId(x)
            .setReadMessage(ReadCommand.newBuilder().setCid(cid)),
        WAIT);
    assertTrue(
        alice.pollPush(Duration.ofSeconds(1)).filter(p -> p.getCmd() == CommandType.rcp).isEmpty(),
        "no receipt forged by an outsider");
    GenericCommand maxRead =
        outsider.call(convB(x, OpType.max_read, ConvCommand.newBuilder().setCid(cid)), WAIT);
    assertEquals(4317, code(maxRead), maxRead::toString);

    bob.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setPeerId(b)
            .setAckMessage(AckCommand.newBuilder().setCid(cid).setMid(mid))
            .build());
    GenericCommand receipt = alice.nextPush(WAIT);
    assertEquals(CommandType.rcp, receipt.getCmd(), "the member's ack is a receipt: " + receipt);
    assertEquals(b, receipt.getRcpMessage().getFrom());
  }

  @Test
  void outsiders_cannot_send_mute_update_read_history_or_list_moderation() {
    String a = unique("a"), x = unique("x");
    ImClient alice = clients.loginAs(APP, a);
    ImClient outsider = clients.loginAs(APP, x);
    String cid = start(alice, a, List.of(unique("b")), false, false);
    assertEquals(4401, code(text(outsider, x, cid, "spam")));
    assertEquals(
        4317,
        code(outsider.call(convB(x, OpType.mute, ConvCommand.newBuilder().setCid(cid)), WAIT)));
    assertEquals(
        4309,
        code(
            outsider.call(
                convB(
                    x,
                    OpType.update,
                    ConvCommand.newBuilder()
                        .setCid(cid)
                        .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"pwned\"}"))),
                WAIT)));
    assertEquals(
        4312,
        code(
            outsider.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.logs)
                    .setPeerId(x)
                    .setLogsMessage(LogsCommand.newBuilder().setCid(cid)),
                WAIT)));
    assertEquals(
        4317,
        code(
            outsider.call(
                convB(x, OpType.query_shutup, ConvCommand.newBuilder().setCid(cid)), WAIT)));
    assertEquals(
        4317,
        code(
            outsider.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.blacklist)
                    .setOp(OpType.query)
                    .setPeerId(x)
                    .setBlacklistMessage(BlacklistCommand.newBuilder().setSrcCid(cid)),
                WAIT)));
  }

  @Test
  void chatroom_commands_need_a_joined_member() {
    String host = unique("host"), x = unique("x");
    ImClient owner = clients.loginAs(APP, host);
    ImClient visitor = clients.loginAs(APP, x);
    String room = start(owner, host, List.of(), false, true);
    assertEquals(4401, code(text(visitor, x, room, "drive-by")), "send before joining");
    assertEquals(
        4309,
        code(
            visitor.call(
                convB(
                    x,
                    OpType.update,
                    ConvCommand.newBuilder()
                        .setCid(room)
                        .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"pwned\"}"))),
                WAIT)),
        "update before joining");
    assertEquals(
        4317,
        code(visitor.call(convB(x, OpType.mute, ConvCommand.newBuilder().setCid(room)), WAIT)));
    assertEquals(
        4312,
        code(
            visitor.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.logs)
                    .setPeerId(x)
                    .setLogsMessage(LogsCommand.newBuilder().setCid(room)),
                WAIT)),
        "history before joining");
    GenericCommand joined =
        visitor.call(convB(x, OpType.add, ConvCommand.newBuilder().setCid(room).addM(x)), WAIT);
    assertEquals(OpType.added, joined.getOp(), joined::toString);
    assertEquals(0, code(text(visitor, x, room, "hello")), "a joined member sends");
    assertEquals(
        CommandType.logs,
        visitor
            .call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.logs)
                    .setPeerId(x)
                    .setLogsMessage(LogsCommand.newBuilder().setCid(room)),
                WAIT)
            .getCmd(),
        "and reads the history");
  }

  /**
   * Self-join (§6.2): LeanCloud's rule by default (any conversation by id); an app with {@code
   * self-join = groups} keeps unique (one-to-one) conversations closed but lets anyone join a group
   * by id.
   */
  @Test
  void private_conversations_cannot_be_self_joined_where_the_app_closes_them() {
    String a = unique("a"), b = unique("b"), x = unique("x");
    ImClient alice = clients.loginAs(CLOSED_APP, a);
    clients.loginAs(CLOSED_APP, b);
    ImClient outsider = clients.loginAs(CLOSED_APP, x);
    String oneToOne = start(alice, a, List.of(b), true, false);
    String group = start(alice, a, List.of(b), false, false);
    GenericCommand refused =
        outsider.call(
            convB(x, OpType.add, ConvCommand.newBuilder().setCid(oneToOne).addM(x)), WAIT);
    assertEquals(4317, code(refused), refused::toString);
    GenericCommand joined =
        outsider.call(convB(x, OpType.add, ConvCommand.newBuilder().setCid(group).addM(x)), WAIT);
    assertEquals(List.of(x), joined.getConvMessage().getAllowedPidsList(), joined::toString);

    String c = unique("c"), d = unique("d"), y = unique("y");
    ImClient carol = clients.loginAs(APP, c);
    ImClient other = clients.loginAs(APP, y);
    String open = start(carol, c, List.of(d), true, false);
    GenericCommand leanCloudRule =
        other.call(convB(y, OpType.add, ConvCommand.newBuilder().setCid(open).addM(y)), WAIT);
    assertEquals(
        List.of(y),
        leanCloudRule.getConvMessage().getAllowedPidsList(),
        "default app: LeanCloud's rule");
  }

  @Test
  void query_results_carry_the_last_message_to_members_only() throws Exception {
    String a = unique("a"), x = unique("x");
    ImClient alice = clients.loginAs(APP, a);
    ImClient outsider = clients.loginAs(APP, x);
    String cid = start(alice, a, List.of(unique("b")), false, false);
    text(alice, a, cid, "secret");
    ConvCommand.Builder byId =
        ConvCommand.newBuilder()
            .setFlag(2)
            .setWhere(JsonObjectMessage.newBuilder().setData("{\"objectId\":\"" + cid + "\"}"));
    JsonNode mine =
        JSON.readTree(
            alice
                .call(convB(a, OpType.query, byId.clone()), WAIT)
                .getConvMessage()
                .getResults()
                .getData());
    JsonNode theirs =
        JSON.readTree(
            outsider
                .call(convB(x, OpType.query, byId.clone()), WAIT)
                .getConvMessage()
                .getResults()
                .getData());
    assertTrue(mine.get(0).get("msg").asText().contains("secret"), mine::toString);
    assertTrue(mine.get(0).has("lm"), mine::toString);
    assertEquals(1, theirs.size(), "the outsider finds it by id");
    assertFalse(
        theirs.get(0).has("msg") || theirs.get(0).has("msg_from") || theirs.get(0).has("lm"),
        theirs::toString);
  }

  /**
   * Unique ids stay deterministic (race-free creation) but are keyed per app: not computable from
   * the members.
   */
  @Test
  void unique_conversation_ids_are_deterministic_and_keyed_per_app() {
    String a = unique("a"), b = unique("b");
    ImClient alice = clients.loginAs(APP, a);
    ImClient bob = clients.loginAs(APP, b);
    ImClient aliceElsewhere = clients.loginAs(CLOSED_APP, a);
    String fromAlice = start(alice, a, List.of(b), true, false);
    String fromBob = start(bob, b, List.of(a), true, false);
    String otherApp = start(aliceElsewhere, a, List.of(b), true, false);
    assertEquals(fromAlice, fromBob, "the same member set meets in the same conversation");
    assertNotEquals(fromAlice, otherApp, "another key, another id for the same members");
  }

  /** H11: under the default settings (member roles on) no member removes or blocks the creator. */
  @Test
  void no_member_can_eject_the_creator_under_the_defaults() {
    String a = unique("a"), b = unique("b");
    ImClient creator = clients.loginAs(APP, a);
    ImClient member = clients.loginAs(APP, b);
    String cid = start(creator, a, List.of(b), false, false);
    GenericCommand kick =
        member.call(convB(b, OpType.remove, ConvCommand.newBuilder().setCid(cid).addM(a)), WAIT);
    assertEquals(4324, kick.getConvMessage().getFailedPids(0).getCode(), kick::toString);
    GenericCommand block =
        member.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.blacklist)
                .setOp(OpType.block)
                .setPeerId(b)
                .setBlacklistMessage(BlacklistCommand.newBuilder().setSrcCid(cid).addToPids(a)),
            WAIT);
    assertEquals(4320, code(block), block::toString);
    GenericCommand members =
        creator.call(convB(a, OpType.members, ConvCommand.newBuilder().setCid(cid)), WAIT);
    assertTrue(members.getConvMessage().getMList().contains(a), members::toString);
  }

  // --------------------------------------------------------------------------------- 6. limits and
  // rates

  /**
   * 60 {@code direct} a minute (§17): beyond, 4116 in the ack; after 60 refusals the connection is
   * closed with 4116. Meanwhile two well-behaved clients on the same node keep talking.
   */
  @Test
  void a_flooding_client_is_refused_then_closed_while_a_bystander_on_the_node_is_served()
      throws Exception {
    String f = unique("flood"), p = unique("p"), q = unique("q");
    ImClient flooder = clients.loginAs(APP, f);
    ImClient peter = clients.loginAs(APP, p);
    ImClient quinn = clients.loginAs(APP, q);
    String target = start(flooder, f, List.of(unique("victim")), false, false);
    String chat = start(peter, p, List.of(q), false, false);
    AtomicBoolean flooding = new AtomicBoolean(true);
    AtomicInteger bystanderRoundTrips = new AtomicInteger();
    List<Throwable> bystanderFailures = new CopyOnWriteArrayList<>();
    Thread bystander =
        new Thread(
            () -> {
              try {
                while (flooding.get()) {
                  assertEquals(
                      0, code(text(peter, p, chat, "still here " + bystanderRoundTrips.get())));
                  assertEquals(CommandType.direct, directPush(quinn).getCmd());
                  bystanderRoundTrips.incrementAndGet();
                  Thread.sleep(1200); // a person: well within 60 a minute
                }
              } catch (Throwable t) {
                bystanderFailures.add(t);
              }
            });
    bystander.start();
    List<CompletableFuture<GenericCommand>> replies = new ArrayList<>();
    for (int n = 0; n < 300 && flooder.isOpen(); n++) {
      replies.add(flooder.request(Commands.direct(f, target, "{\"_lctext\":\"" + n + "\"}")));
    }
    ImClient.CloseStatus close = flooder.awaitClose(WAIT);
    Thread.sleep(2500); // the bystander keeps going after the flood too
    flooding.set(false);
    bystander.join(WAIT.toMillis());
    int acked = 0;
    int refused = 0;
    java.util.Set<String> stored = io.parley.node.testing.StoredMessages.texts(APP, target);
    for (int n = 0; n < replies.size(); n++) {
      GenericCommand answer = replies.get(n).handle((r, failure) -> r).join();
      if (answer != null && code(answer) == 0) {
        acked++;
        assertTrue(
            stored.contains("{\"_lctext\":\"" + n + "\"}"), "acked message " + n + " is stored");
      } else if (answer != null && code(answer) == 4116) {
        assertEquals("MESSAGE_SENT_QUOTA_EXCEEDED", answer.getAckMessage().getReason());
        refused++;
      }
    }
    // Refusals are answered at once, accepted messages after their write: the close can overtake
    // the acks of
    // accepted messages (stored all the same, as after any dropped connection; the SDKs resend with
    // their dt).
    System.out.printf(
        "flood: %d sent, %d stored (%d acked before the close), %d refused with 4116, closed with %d %s; "
            + "bystander %d round trips%n",
        replies.size(),
        stored.size(),
        acked,
        refused,
        close.code(),
        close.reason(),
        bystanderRoundTrips.get());
    assertTrue(
        stored.size() >= 60 && stored.size() <= 63,
        "60 a minute (plus what refilled meanwhile): " + stored.size());
    assertTrue(
        refused >= 61 && refused <= 63,
        "60 refusals a minute are answered, the next one too, then the "
            + "connection closes: "
            + refused);
    assertEquals(4116, close.code());
    assertEquals(List.of(), bystanderFailures);
    assertTrue(
        bystanderRoundTrips.get() >= 3,
        "the bystander was served throughout: " + bystanderRoundTrips.get());
  }

  @Test
  void history_and_other_requests_have_their_own_rates() {
    String h = unique("h"), o = unique("o");
    ImClient reader = clients.loginAs(APP, h);
    ImClient busy = clients.loginAs(APP, o);
    String cid = start(reader, h, List.of(), false, false); // 1 op of 30
    List<Integer> history =
        IntStream.range(0, 126)
            .mapToObj(
                n ->
                    reader.request(
                        GenericCommand.newBuilder()
                            .setCmd(CommandType.logs)
                            .setPeerId(h)
                            .setLogsMessage(LogsCommand.newBuilder().setCid(cid))))
            .toList()
            .stream()
            .map(CompletableFuture::join)
            .map(HostileClientIT::code)
            .toList();
    assertTrue(history.subList(0, 120).stream().allMatch(c -> c == 0), "120 a minute: " + history);
    assertTrue(history.subList(120, 126).contains(4116), "then 4116: " + history);

    List<Integer> ops =
        IntStream.range(0, 34)
            .mapToObj(n -> busy.request(convB(o, OpType.query, ConvCommand.newBuilder())))
            .toList()
            .stream()
            .map(CompletableFuture::join)
            .map(HostileClientIT::code)
            .toList();
    assertTrue(
        ops.subList(0, 30).stream().allMatch(c -> c == 0), "30 other requests a minute: " + ops);
    assertTrue(ops.subList(30, 34).contains(4116), "then 4116: " + ops);
    assertTrue(busy.isOpen() && reader.isOpen(), "a few refusals do not close a connection");
  }

  /**
   * Acks and reads beyond the connection's receipts rate are skipped (positions are cumulative),
   * never refused.
   */
  @Test
  void receipts_over_the_rate_are_skipped_and_never_close_the_connection() {
    String r = unique("reader");
    ImClient reader = clients.loginAs(APP, r);
    String cid = start(reader, r, List.of(), false, false);
    List<GenericCommand> answers =
        IntStream.range(0, 1300)
            .mapToObj(
                n ->
                    reader.request(
                        GenericCommand.newBuilder()
                            .setCmd(CommandType.read)
                            .setPeerId(r)
                            .setReadMessage(ReadCommand.newBuilder().setCid(cid))))
            .toList()
            .stream()
            .map(CompletableFuture::join)
            .toList();
    assertTrue(
        answers.stream().allMatch(a -> a.getCmd() == CommandType.read),
        "every read answered as a read");
    assertTrue(reader.isOpen(), "a client that acks and reads a lot is never disconnected for it");
    assertEquals(0, code(text(reader, r, cid, "still served")));
  }

  @Test
  void a_connection_holds_at_most_16_clients() {
    ImClient socket = clients.loginAs(APP, unique("c0"));
    for (int n = 1; n < 16; n++) {
      assertEquals(
          OpType.opened, socket.call(Commands.sessionOpen(APP, unique("c" + n)), WAIT).getOp());
    }
    GenericCommand seventeenth = socket.call(Commands.sessionOpen(APP, unique("c16")), WAIT);
    assertEquals(4113, code(seventeenth), seventeenth::toString);
    assertEquals("APP_QUOTA_EXCEEDED", seventeenth.getErrorMessage().getReason());
    assertEquals(
        CommandType.echo, socket.call(Commands.echo(), WAIT).getCmd(), "the connection serves on");
  }

  @Test
  void requests_name_a_bounded_number_of_ids() {
    String r = unique("r");
    ImClient client = clients.loginAs(APP, r);
    List<String> ids = IntStream.range(0, 101).mapToObj(n -> String.format("%024x", n)).toList();
    GenericCommand read =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.read)
                .setPeerId(r)
                .setReadMessage(ReadCommand.newBuilder().addAllCids(ids)),
            WAIT);
    assertEquals(4318, code(read), read::toString);
    String in =
        "{\"objectId\":{\"$in\":" + ids.stream().map(id -> "\"" + id + "\"").toList() + "}}";
    GenericCommand query =
        client.call(
            convB(
                r,
                OpType.query,
                ConvCommand.newBuilder().setWhere(JsonObjectMessage.newBuilder().setData(in))),
            WAIT);
    assertEquals(4310, code(query), query::toString);
    GenericCommand temporary =
        client.call(
            convB(
                r,
                OpType.query,
                ConvCommand.newBuilder()
                    .addAllTempConvIds(ids.stream().map(id -> "_tmp:" + id).toList())),
            WAIT);
    assertEquals(4310, code(temporary), temporary::toString);
    GenericCommand online =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.session)
                .setOp(OpType.query)
                .setPeerId(r)
                .setSessionMessage(
                    SessionCommand.newBuilder()
                        .addAllSessionPeerIds(
                            IntStream.range(0, 21).mapToObj(n -> "p" + n).toList())),
            WAIT);
    assertEquals(4318, code(online), online::toString);
    GenericCommand within =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.session)
                .setOp(OpType.query)
                .setPeerId(r)
                .setSessionMessage(SessionCommand.newBuilder().addSessionPeerIds(r)),
            WAIT);
    assertEquals(List.of(r), within.getSessionMessage().getOnlineSessionPeerIdsList());
  }

  @Test
  void messages_and_edits_are_bounded() {
    String a = unique("a");
    ImClient alice = clients.loginAs(APP, a);
    String cid = start(alice, a, List.of(unique("b")), false, false);
    List<String> mentions = Collections.nCopies(21, "someone");
    assertEquals(
        4318,
        code(
            send(
                alice,
                a,
                cid,
                DirectCommand.newBuilder().setMsg("hi").addAllMentionPids(mentions))));
    assertEquals(
        4109,
        code(send(alice, a, cid, DirectCommand.newBuilder().setMsg("hi").setDt("d".repeat(65)))));
    GenericCommand sent =
        send(alice, a, cid, DirectCommand.newBuilder().setMsg("typo").setDt("d".repeat(64)));
    assertEquals(0, code(sent));
    PatchItem.Builder edit =
        PatchItem.newBuilder()
            .setCid(cid)
            .setMid(sent.getAckMessage().getUid())
            .setTimestamp(sent.getAckMessage().getT())
            .setFrom(a);
    GenericCommand tooLong =
        alice.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.patch)
                .setOp(OpType.modify)
                .setPeerId(a)
                .setPatchMessage(
                    PatchCommand.newBuilder().addPatches(edit.clone().setData("x".repeat(5121)))),
            WAIT);
    assertEquals(4109, code(tooLong), tooLong::toString);
    GenericCommand manyMentions =
        alice.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.patch)
                .setOp(OpType.modify)
                .setPeerId(a)
                .setPatchMessage(
                    PatchCommand.newBuilder()
                        .addPatches(edit.clone().setData("ok").addAllMentionPids(mentions))),
            WAIT);
    assertEquals(4318, code(manyMentions), manyMentions::toString);
  }

  @Test
  void attributes_are_bounded_in_size_and_nesting() {
    String a = unique("a");
    ImClient alice = clients.loginAs(APP, a);
    GenericCommand.Builder big =
        Commands.convStart(a, List.of(), "{\"blob\":\"" + "x".repeat(17 * 1024) + "\"}");
    assertEquals(4306, code(alice.call(big, WAIT)));
    GenericCommand.Builder deep =
        Commands.convStart(a, List.of(), "{\"a\":" + "[".repeat(17) + "]".repeat(17) + "}");
    assertEquals(4306, code(alice.call(deep, WAIT)));
    String cid = start(alice, a, List.of(), false, false);
    String chunk = "{\"log\":{\"__op\":\"Add\",\"objects\":[\"" + "y".repeat(4000) + "\"]}}";
    List<Integer> updates = new ArrayList<>();
    for (int n = 0; n < 5; n++) {
      updates.add(
          code(
              alice.call(
                  convB(
                      a,
                      OpType.update,
                      ConvCommand.newBuilder()
                          .setCid(cid)
                          .setAttr(JsonObjectMessage.newBuilder().setData(chunk))),
                  WAIT)));
    }
    assertEquals(
        List.of(0, 0, 0, 0, 4306),
        updates,
        "each update is small, the attributes are bounded after it");
  }

  @Test
  void client_ids_are_checked_at_login_and_wherever_members_are_named() {
    ImClient anyone = clients.loginAs(APP, unique("ok"));
    GenericCommand longLogin = anyone.call(Commands.sessionOpen(APP, "l".repeat(65)), WAIT);
    assertEquals(4103, code(longLogin), longLogin::toString);
    String a = unique("a");
    ImClient alice = clients.loginAs(APP, a);
    assertEquals(4103, code(alice.call(Commands.convStart(a, List.of("bell\u0007"), null), WAIT)));
    String cid = start(alice, a, List.of(), false, false);
    assertEquals(
        4103,
        code(
            alice.call(
                convB(a, OpType.add, ConvCommand.newBuilder().setCid(cid).addM("m".repeat(65))),
                WAIT)));
  }

  /** C4: a malformed conversation id is answered at the edge; no entity is started for it. */
  @Test
  void malformed_conversation_ids_are_refused_at_the_edge() {
    String a = unique("a");
    ImClient alice = clients.loginAs(APP, a);
    assertEquals(4401, code(text(alice, a, "../../etc/passwd", "x")));
    assertEquals(
        4303,
        code(
            alice.call(
                convB(a, OpType.add, ConvCommand.newBuilder().setCid("NOT-A-CID").addM(a)), WAIT)));
    assertEquals(
        4303,
        code(
            alice.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.logs)
                    .setPeerId(a)
                    .setLogsMessage(LogsCommand.newBuilder().setCid("x".repeat(300))),
                WAIT)));
  }
}
