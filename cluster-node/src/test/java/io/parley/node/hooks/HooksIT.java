package io.parley.node.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.sdk.JsSdk;
import io.parley.node.sdk.LeanEngineApp;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.TestClients;
import io.parley.protocol.Frame;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cloud hooks against a real LeanEngine app (npm {@code leanengine} 3.8.0, {@code
 * src/test/js-engine/server.js}, every hook defined with {@code AV.Cloud.define}), started on
 * loopback with its hook key, on a two-node cluster (docs/hooks.md §4). The official JS SDKs see
 * drops, rewrites, reroutes and refusals; the engine's record of what it received shows the
 * documented params of every hook.
 */
class HooksIT {

  private static final String APP = "parley-dev";
  private static final String KEY = "parley-dev-key";
  private static final String MASTER = "parley-dev-master";
  private static final String HOOK_KEY = "hook-key-" + UUID.randomUUID();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final LeanEngineApp ENGINE = LeanEngineApp.start(APP, KEY, MASTER, HOOK_KEY);

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          2,
          String.join(
              "\n",
              "parley.apps = [{",
              "  app-id = \""
                  + APP
                  + "\", app-key = \""
                  + KEY
                  + "\", master-key = \""
                  + MASTER
                  + "\"",
              "  hooks { engine-url = \"" + ENGINE.url() + "\", hook-key = \"" + HOOK_KEY + "\" }",
              "}]"));

  private final List<ImClient> open = new ArrayList<>();

  @AfterEach
  void closeClients() {
    open.forEach(ImClient::close);
    open.clear();
  }

  @AfterAll
  static void stopEngine() {
    ENGINE.close();
  }

  @ParameterizedTest(name = "JS SDK {0}")
  @ValueSource(ints = {5, 4})
  void the_sdk_sees_what_the_app_decides_and_the_app_gets_the_documented_params(int sdk) {
    JsonNode run =
        JsSdk.runScript(
            "messages.js",
            "hooks",
            List.of(
                "--sdk",
                Integer.toString(sdk),
                "--app-id",
                APP,
                "--app-key",
                KEY,
                "--timeout-ms",
                "60000",
                "--rtm",
                CLUSTER.first().webSocketUri() + "," + CLUSTER.second().webSocketUri()),
            Duration.ofSeconds(60));
    assertTrue(
        run.path("ok").asBoolean(),
        () -> "hooks scenario failed: " + run + "\nengine:\n" + ENGINE.output());
    String tom = run.at("/ids/Tom").asText();
    String jerry = run.at("/ids/Jerry").asText();
    String bob = run.at("/ids/Bob").asText();
    String harry = run.path("harry").asText();
    String cid = run.path("cid").asText();

    // _conversationStart refuses: the SDK's error carries 4305 and the app's code.
    assertEquals(4305, run.at("/forbidden/code").asInt(), run.path("forbidden")::toString);
    assertEquals(7305, run.at("/forbidden/appCode").asInt(), run.path("forbidden")::toString);
    JsonNode start =
        ENGINE.await(
            "_conversationStart",
            p ->
                p.path("initBy").asText().equals(tom)
                    && p.at("/attr/name").asText().equals("forbidden"),
            WAIT);
    assertEquals(Set.of(tom, jerry), strings(start.path("members")));
    JsonNode created =
        ENGINE.await(
            "_conversationStart",
            p ->
                p.path("initBy").asText().equals(tom)
                    && p.at("/attr/name").asText().equals("hooked"),
            WAIT);
    assertEquals(Set.of(tom, jerry, bob, harry), strings(created.path("members")));
    ENGINE.await("_conversationStarted", p -> p.path("convId").asText().equals(cid), WAIT);

    // _messageReceived: every documented param, the recipients resolved (members but the sender).
    JsonNode received =
        ENGINE.await(
            "_messageReceived",
            p ->
                p.path("convId").asText().equals(cid)
                    && p.path("content").asText().contains("plain hello"),
            WAIT);
    assertEquals(tom, received.path("fromPeer").asText());
    assertEquals(Set.of(jerry, bob, harry), strings(received.path("toPeers")));
    assertFalse(received.path("transient").asBoolean(true));
    assertFalse(received.path("bin").asBoolean(true));
    assertFalse(received.path("system").asBoolean(true));
    assertTrue(received.path("timestamp").asLong() > 0, received::toString);
    assertTrue(received.has("receipt"), received::toString);
    assertEquals("127.0.0.1", received.path("sourceIP").asText(), received::toString);
    assertEquals(List.of("plain hello"), texts(run, "plain", "Jerry", "MESSAGE"));
    assertEquals(List.of("plain hello"), texts(run, "plain", "Bob", "MESSAGE"));

    // _receiversOffline gets exactly the offline member; _messageSent the online and offline ones.
    String plainId = run.at("/plain/id").asText();
    JsonNode offline =
        ENGINE.await(
            "_receiversOffline",
            p ->
                p.path("convId").asText().equals(cid)
                    && p.path("content").asText().contains("plain hello"),
            WAIT);
    assertEquals(List.of(harry), list(offline.path("offlinePeers")));
    assertEquals(tom, offline.path("fromPeer").asText());
    assertEquals(List.of(), list(offline.path("mentionOfflinePeers")));
    JsonNode sent =
        ENGINE.await("_messageSent", p -> p.path("msgId").asText().equals(plainId), WAIT);
    assertEquals(Set.of(jerry, bob), strings(sent.path("onlinePeers")));
    assertEquals(List.of(harry), list(sent.path("offlinePeers")));

    // drop: 4402 with the app's code in the SDK's error; nobody receives it.
    assertEquals(4402, run.at("/drop/code").asInt(), run.path("drop")::toString);
    assertEquals(7402, run.at("/drop/appCode").asInt(), run.path("drop")::toString);
    assertEquals(List.of(), texts(run, "drop", "Jerry", "MESSAGE"));
    assertEquals(List.of(), texts(run, "drop", "Bob", "MESSAGE"));

    // rewrite: the others get the app's text; the sender's SDK sees its message updated to it.
    assertEquals(List.of("rewritten by the app this"), texts(run, "rewrite", "Jerry", "MESSAGE"));
    assertEquals(List.of("rewritten by the app this"), texts(run, "rewrite", "Bob", "MESSAGE"));
    assertEquals(
        List.of("rewritten by the app this"), texts(run, "rewrite", "Tom", "MESSAGE_UPDATE"));
    JsonNode update = events(run, "rewrite", "Tom", "MESSAGE_UPDATE").get(0);
    assertEquals(
        run.at("/rewrite/id").asText(), update.at("/message/id").asText(), update::toString);

    // reroute: only the recipient the app named gets it.
    assertEquals(List.of("hook:reroute=" + jerry), texts(run, "reroute", "Jerry", "MESSAGE"));
    assertEquals(List.of(), texts(run, "reroute", "Bob", "MESSAGE"));
  }

  @Test
  void client_online_and_offline_carry_their_close_codes() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String carl = "Carl-" + run;
    ImClient client = TestClients.login(CLUSTER.second(), APP, carl, open, WAIT);
    JsonNode online =
        ENGINE.await("_clientOnline", p -> p.path("peerId").asText().equals(carl), WAIT);
    assertEquals("127.0.0.1", online.path("sourceIP").asText());
    assertEquals(0, online.path("reconnect").asInt(-1));
    client.call(Commands.sessionClose(carl), WAIT);
    JsonNode logout =
        ENGINE.await("_clientOffline", p -> p.path("peerId").asText().equals(carl), WAIT);
    assertEquals(1, logout.path("closeCode").asInt());
    assertEquals("127.0.0.1", logout.path("sourceIP").asText());

    String dave = "Dave-" + run;
    TestClients.login(CLUSTER.first(), APP, dave, open, WAIT).abort();
    JsonNode lost =
        ENGINE.await("_clientOffline", p -> p.path("peerId").asText().equals(dave), WAIT);
    assertEquals(2, lost.path("closeCode").asInt());
    assertFalse(lost.has("errorCode"), lost::toString);
    assertFalse(lost.has("sourceIP"), lost::toString);

    String eve = "Eve-" + run;
    ImClient garbled = TestClients.login(CLUSTER.first(), APP, eve, open, WAIT);
    garbled.sendFrame(new Frame.Binary(new byte[] {(byte) 0xff, 0x01, 0x02, 0x7f}));
    assertEquals(4114, garbled.awaitClose(WAIT).code());
    JsonNode unparseable =
        ENGINE.await("_clientOffline", p -> p.path("peerId").asText().equals(eve), WAIT);
    assertEquals(2, unparseable.path("closeCode").asInt());
    assertEquals(4114, unparseable.path("errorCode").asInt());

    String fay = "Fay-" + run;
    ImClient phone =
        ImClient.connect(
            CLUSTER.first().webSocketUri(),
            io.parley.protocol.Subprotocol.PROTOBUF_3,
            ImClient.OfferMode.HEADER,
            WAIT);
    open.add(phone);
    assertEquals(OpType.opened, phone.call(tagged(fay), WAIT).getOp());
    ImClient tablet =
        ImClient.connect(
            CLUSTER.second().webSocketUri(),
            io.parley.protocol.Subprotocol.PROTOBUF_3,
            ImClient.OfferMode.HEADER,
            WAIT);
    open.add(tablet);
    assertEquals(OpType.opened, tablet.call(tagged(fay), WAIT).getOp());
    JsonNode kicked =
        ENGINE.await("_clientOffline", p -> p.path("peerId").asText().equals(fay), WAIT);
    assertEquals(3, kicked.path("closeCode").asInt());
    assertEquals("mobile", kicked.path("tag").asText());
    assertEquals(
        2,
        ENGINE
            .calls(
                "_clientOnline",
                p ->
                    p.path("peerId").asText().equals(fay)
                        && p.path("tag").asText().equals("mobile"))
            .size());
  }

  @Test
  void conversation_hooks_refuse_and_rewrite_and_see_who_is_added_and_removed() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ann = "Ann-" + run;
    String ben = "Ben-" + run;
    String cat = "Cat-" + run;
    ImClient client = TestClients.login(CLUSTER.first(), APP, ann, open, WAIT);
    TestClients.login(CLUSTER.second(), APP, ben, open, WAIT);
    GenericCommand started =
        client.call(Commands.convStart(ann, List.of(ben), "{\"name\":\"rename-me\"}"), WAIT);
    assertEquals(OpType.started, started.getOp(), started::toString);
    String cid = started.getConvMessage().getCid();
    assertTrue(
        query(client, ann, cid).contains("\"name\":\"renamed by the app\""),
        "_conversationStart gave the attributes");

    GenericCommand banned = client.call(conv(ann, OpType.add, cid, null, "Banned-" + run), WAIT);
    assertEquals(CommandType.error, banned.getCmd(), banned::toString);
    assertEquals(4305, banned.getErrorMessage().getCode());
    assertEquals(7306, banned.getErrorMessage().getAppCode());
    assertEquals("banned", banned.getErrorMessage().getAppMsg());

    GenericCommand added = client.call(conv(ann, OpType.add, cid, null, cat), WAIT);
    assertEquals(OpType.added, added.getOp(), added::toString);
    JsonNode add =
        ENGINE.await(
            "_conversationAdd",
            p ->
                p.path("convId").asText().equals(cid)
                    && strings(p.path("members")).equals(Set.of(cat)),
            WAIT);
    assertEquals(ann, add.path("initBy").asText());
    ENGINE.await(
        "_conversationAdded",
        p ->
            p.path("convId").asText().equals(cid) && strings(p.path("members")).equals(Set.of(cat)),
        WAIT);

    GenericCommand removed = client.call(conv(ann, OpType.remove, cid, null, cat), WAIT);
    assertEquals(OpType.removed, removed.getOp(), removed::toString);
    ENGINE.await(
        "_conversationRemove",
        p ->
            p.path("convId").asText().equals(cid)
                && strings(p.path("members")).equals(Set.of(cat))
                && p.path("initBy").asText().equals(ann),
        WAIT);
    ENGINE.await(
        "_conversationRemoved",
        p ->
            p.path("convId").asText().equals(cid) && strings(p.path("members")).equals(Set.of(cat)),
        WAIT);

    GenericCommand updated =
        client.call(
            conv(ann, OpType.update, cid, "{\"name\":\"rename-me\",\"topic\":\"x\"}"), WAIT);
    assertEquals(OpType.updated, updated.getOp(), updated::toString);
    JsonNode update =
        ENGINE.await(
            "_conversationUpdate",
            p -> p.path("convId").asText().equals(cid) && p.has("attr"),
            WAIT);
    assertEquals("rename-me", update.at("/attr/name").asText());
    String after = query(client, ann, cid);
    assertTrue(after.contains("\"topic\":\"x\"") && after.contains("renamed by the app"), after);
    assertFalse(after.contains("rename-me"), after);

    GenericCommand muted = client.call(conv(ann, OpType.mute, cid, null), WAIT);
    assertEquals(OpType.updated, muted.getOp(), muted::toString);
    JsonNode mute =
        ENGINE.await(
            "_conversationUpdate",
            p -> p.path("convId").asText().equals(cid) && p.has("mute"),
            WAIT);
    assertTrue(mute.path("mute").asBoolean());
    assertFalse(mute.has("attr"), mute::toString);
  }

  @Test
  void message_update_can_be_refused_by_the_app() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String ann = "Ann-" + run;
    String ben = "Ben-" + run;
    ImClient client = TestClients.login(CLUSTER.first(), APP, ann, open, WAIT);
    TestClients.login(CLUSTER.second(), APP, ben, open, WAIT);
    String cid =
        client.call(Commands.convStart(ann, List.of(ben), null), WAIT).getConvMessage().getCid();
    GenericCommand ack =
        client.call(Commands.direct(ann, cid, "{\"_lctype\":-1,\"_lctext\":\"first\"}"), WAIT);
    assertFalse(ack.getAckMessage().hasCode(), ack::toString);
    GenericCommand.Builder patch =
        GenericCommand.newBuilder()
            .setCmd(CommandType.patch)
            .setOp(OpType.modify)
            .setPeerId(ann)
            .setPatchMessage(
                PatchCommand.newBuilder()
                    .addPatches(
                        PatchItem.newBuilder()
                            .setCid(cid)
                            .setMid(ack.getAckMessage().getUid())
                            .setTimestamp(ack.getAckMessage().getT())
                            .setData("{\"_lctype\":-1,\"_lctext\":\"hook:deny\"}")));
    GenericCommand refused = client.call(patch, WAIT);
    assertEquals(CommandType.error, refused.getCmd(), refused::toString);
    assertEquals(4405, refused.getErrorMessage().getCode());
    assertEquals(7405, refused.getErrorMessage().getAppCode());
    JsonNode params =
        ENGINE.await("_messageUpdate", p -> p.path("convId").asText().equals(cid), WAIT);
    assertEquals(ann, params.path("fromPeer").asText());
    assertEquals(ack.getAckMessage().getUid(), params.path("msgId").asText());
    assertEquals(List.of(ben), list(params.path("toPeers")));
    assertFalse(params.path("recall").asBoolean(true));
  }

  /**
   * docs/hooks.md §4.5, {@code rest-messages = on} (the default): the app server's REST sends and
   * edits go through the same message hooks as a client's: dropped (403 / 4402 with the app's
   * code), rewritten before they are stored, refused edits (403 / 4405), and the after-delivery
   * hooks.
   */
  @Test
  void rest_sends_and_edits_call_the_message_hooks_when_rest_messages_is_on() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String bot = "bot-" + run;
    String ann = "Ann-" + run;
    AppServer app = new AppServer(CLUSTER.first());
    String cid = app.conversation("rest hooks " + run, List.of(bot, ann));

    var dropped = app.send(cid, bot, "hook:drop please");
    assertEquals(403, dropped.status(), dropped::toString);
    assertEquals(4402, dropped.code(), dropped::toString);
    assertTrue(
        dropped.body().path("error").asText().contains("dropped by the app")
            && dropped.body().path("error").asText().contains("7402"),
        dropped::toString);

    var rewritten = app.send(cid, bot, "hook:rewrite this");
    assertEquals(200, rewritten.status(), rewritten::toString);
    assertEquals(List.of("rewritten by the app this"), app.texts(cid), "stored as the app left it");
    JsonNode received =
        ENGINE.await(
            "_messageReceived",
            p ->
                p.path("convId").asText().equals(cid)
                    && p.path("content").asText().contains("hook:rewrite"),
            WAIT);
    assertEquals(bot, received.path("fromPeer").asText());
    assertEquals(List.of(ann), list(received.path("toPeers")));
    assertFalse(received.has("sourceIP"), "the app server has no client address: " + received);
    String messageId = rewritten.body().path("msg-id").asText();
    JsonNode sent =
        ENGINE.await("_messageSent", p -> p.path("msgId").asText().equals(messageId), WAIT);
    assertEquals(List.of(ann), list(sent.path("offlinePeers")), sent::toString);
    ENGINE.await("_receiversOffline", p -> p.path("convId").asText().equals(cid), WAIT);

    var denied = app.edit(cid, rewritten.body(), bot, "hook:deny");
    assertEquals(403, denied.status(), denied::toString);
    assertEquals(4405, denied.code(), denied::toString);
    assertEquals(
        List.of("rewritten by the app this"), app.texts(cid), "the refused edit changed nothing");
    JsonNode update =
        ENGINE.await("_messageUpdate", p -> p.path("msgId").asText().equals(messageId), WAIT);
    assertEquals(bot, update.path("fromPeer").asText());
  }

  // ------------------------------------------------------------------------------------------------- helpers

  /** The conversation as conv/query by id returns it (JSON). */
  private static String query(ImClient client, String peerId, String cid) {
    GenericCommand result =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.query)
                .setPeerId(peerId)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setWhere(
                            JsonObjectMessage.newBuilder()
                                .setData("{\"objectId\":\"" + cid + "\"}"))),
            WAIT);
    return result.getConvMessage().getResults().getData();
  }

  private static GenericCommand.Builder tagged(String peerId) {
    GenericCommand.Builder open = Commands.sessionOpen(APP, peerId);
    open.getSessionMessageBuilder().setTag("mobile").setDeviceId(UUID.randomUUID().toString());
    return open;
  }

  private static GenericCommand.Builder conv(
      String peerId, OpType op, String cid, String attrJson, String... members) {
    ConvCommand.Builder conv = ConvCommand.newBuilder().setCid(cid).addAllM(List.of(members));
    if (attrJson != null) {
      conv.setAttr(JsonObjectMessage.newBuilder().setData(attrJson));
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(peerId)
        .setConvMessage(conv);
  }

  private static List<JsonNode> events(JsonNode run, String step, String client, String event) {
    return StreamSupport.stream(run.at("/events/" + step + "/" + client).spliterator(), false)
        .filter(e -> e.path("event").asText().equals(event))
        .toList();
  }

  private static List<String> texts(JsonNode run, String step, String client, String event) {
    return events(run, step, client, event).stream()
        .map(e -> e.at("/message/text").asText())
        .toList();
  }

  private static List<String> list(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static Set<String> strings(JsonNode array) {
    return new HashSet<>(list(array));
  }
}
