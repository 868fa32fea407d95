package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.sdk.JsSdk;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The conversation-side REST endpoints of issue #12 on two nodes (REST-AND-HOOKS §3.1, §3.2, §3.6):
 * temporary silences (v1.2 for conversations and chatrooms, legacy {@code conversation/blacklist}),
 * {@code member-infos} reads and changes, a chatroom's online members, and the legacy {@code
 * /1.1/rtm/*} routes that share their v1.2 twin's handler. Calls go to the first node, the clients
 * that notice them are on the second; every endpoint is also refused (no key, wrong key, app key,
 * bad parameters) and the refusal is checked to change nothing.
 */
class RestModerationIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);

  @RegisterExtension
  final OpenClients clients = new OpenClients(CLUSTER::second, RestClient.APP, WAIT);

  private final RestClient master = RestClient.master(CLUSTER.first());

  private String conversation(String... members) {
    StringBuilder m = new StringBuilder();
    for (String member : members) {
      m.append(m.length() == 0 ? "" : ",").append('"').append(clients.id(member)).append('"');
    }
    RestClient.Response created =
        master.post("/1.2/rtm/conversations", "{\"name\":\"g\",\"m\":[" + m + "]}");
    assertEquals(200, created.status(), created::toString);
    return created.body().path("objectId").asText();
  }

  private String chatroom() {
    RestClient.Response created = master.post("/1.2/rtm/chatrooms", "{\"name\":\"room\"}");
    assertEquals(200, created.status(), created::toString);
    return created.body().path("objectId").asText();
  }

  /** The code of {@code client}'s send to {@code cid}, 0 when it was stored. */
  private static int sendCode(ImClient client, String peerId, String cid) {
    GenericCommand ack = client.call(Commands.direct(peerId, cid, "hello"), WAIT);
    return ack.getAckMessage().hasCode() ? ack.getAckMessage().getCode() : 0;
  }

  private static void assertRefused(RestClient.Response answer, int status, int code) {
    assertEquals(status, answer.status(), answer::toString);
    assertEquals(code, answer.code(), answer::toString);
    assertTrue(answer.body().has("error"), answer::toString);
  }

  /** No key, a wrong master key and the app key are each refused with 401. */
  private static void assertMasterOnly(String method, String path, String body) {
    for (RestClient stranger :
        List.of(
            RestClient.anonymous(CLUSTER.second()),
            RestClient.with(
                CLUSTER.second(),
                java.util.Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master")),
            RestClient.appKey(CLUSTER.first()))) {
      assertRefused(stranger.send(method, path, body), 401, 401);
    }
  }

  private static GenericCommand joinRoom(ImClient client, String peerId, String room) {
    return client.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.conv)
            .setOp(OpType.add)
            .setPeerId(peerId)
            .setConvMessage(ConvCommand.newBuilder().setCid(room).addM(peerId)),
        WAIT);
  }

  // -------------------------------------------------------------------------------------------
  // 1. temporary silences

  /**
   * The official JS SDK (leancloud-realtime 5), once logged in, is silenced for 3 s by {@code POST
   * .../temporary-silenceds} (the script makes the call with the master key, as an app server
   * would, so that the ttl starts after Node.js has started and logged in): its sends fail with
   * 4315 until the ttl has passed, then go through.
   */
  @Test
  void the_js_sdk_is_refused_with_4315_while_silenced_and_sends_once_the_ttl_passed() {
    String cid = conversation("tom", "jerry");
    JsonNode result =
        JsSdk.runScript(
            "messages.js",
            "silenced-send",
            List.of(
                "--sdk",
                "5",
                "--app-id",
                RestClient.APP,
                "--app-key",
                RestClient.APP_KEY,
                "--rtm",
                CLUSTER.second().webSocketUri().toString(),
                "--client",
                clients.id("tom"),
                "--cid",
                cid,
                "--silence-api",
                CLUSTER.first().httpBase(),
                "--master-key",
                RestClient.MASTER_KEY,
                "--silence-ttl",
                "3",
                "--wait-ms",
                "30000",
                "--timeout-ms",
                "60000"),
            Duration.ofSeconds(60));
    assertTrue(result.path("ok").asBoolean(), result::toString);
    assertEquals("{}", result.path("silence").path("body").asText(), result::toString);
    JsonNode refusals = result.path("refusals");
    assertFalse(refusals.isEmpty(), () -> "the first send was refused: " + result);
    for (JsonNode refusal : refusals) {
      assertEquals(4315, refusal.path("code").asInt(), refusal::toString);
    }
    long silencedAt = result.path("silencedAt").asLong();
    long sentAt = result.path("sentAt").asLong();
    System.out.println(
        "[RestModerationIT] JS SDK: "
            + refusals.size()
            + " sends refused with 4315 (SDK error name "
            + refusals.get(0).path("name").asText()
            + "), the first accepted "
            + (sentAt - silencedAt)
            + " ms after a 3 s silence");
    assertTrue(sentAt - silencedAt >= 2_900, () -> "sent before the ttl passed: " + result);
    JsonNode history = master.get("/1.2/rtm/conversations/" + cid + "/messages").body();
    assertEquals(1, history.size(), () -> "only the accepted send is stored: " + history);
  }

  @Test
  void silences_are_set_and_lifted_in_conversations_chatrooms_and_through_the_legacy_route() {
    ImClient tom = clients.login("tom");
    ImClient jerry = clients.login("jerry");
    String cid = conversation("tom", "jerry");
    String base = "/1.2/rtm/conversations/" + cid + "/temporary-silenceds";

    // refused calls silence nobody
    String body = "{\"client_id\":\"" + clients.id("tom") + "\",\"ttl\":600}";
    assertMasterOnly("POST", base, body);
    assertMasterOnly("DELETE", base + "?client_id=" + clients.id("tom"), null);
    assertMasterOnly(
        "POST",
        "/1.1/rtm/conversation/blacklist",
        "{\"client_id\":\"" + clients.id("tom") + "\",\"conv_id\":\"" + cid + "\",\"ttl\":600}");
    assertRefused(master.post(base, "{\"client_id\":\"" + clients.id("tom") + "\"}"), 400, 1);
    assertRefused(
        master.post(base, "{\"client_id\":\"" + clients.id("tom") + "\",\"ttl\":0}"), 400, 1);
    assertRefused(
        master.post(base, "{\"client_id\":\"" + clients.id("tom") + "\",\"ttl\":86401}"), 400, 1);
    assertRefused(
        master.post(base, "{\"client_id\":\"" + clients.id("tom") + "\",\"ttl\":\"x\"}"), 400, 1);
    assertRefused(master.post(base, "{\"ttl\":60}"), 400, 1);
    assertRefused(master.post(base, "{\"client_id\":"), 400, 107);
    assertRefused(master.delete(base, null), 400, 1);
    assertRefused(
        master.post(base, "{\"client_id\":\"" + clients.id("stranger") + "\",\"ttl\":60}"),
        403,
        4317);
    assertRefused(
        master.post(
            "/1.2/rtm/conversations/5f0000000000000000000000/temporary-silenceds",
            "{\"client_id\":\"x\",\"ttl\":60}"),
        404,
        4303);
    assertEquals(0, sendCode(tom, clients.id("tom"), cid), "refused calls silenced nobody");

    // v1.2: set, then lifted by DELETE
    RestClient.Response silenced = master.post(base, body);
    assertEquals(200, silenced.status(), silenced::toString);
    assertEquals(4315, sendCode(tom, clients.id("tom"), cid));
    assertEquals(0, sendCode(jerry, clients.id("jerry"), cid), "only Tom is silenced");
    RestClient.Response lifted = master.delete(base + "?client_id=" + clients.id("tom"), null);
    assertEquals(200, lifted.status(), lifted::toString);
    assertEquals(0, sendCode(tom, clients.id("tom"), cid));

    // legacy: POST /1.1/rtm/conversation/blacklist, DELETE with the same parameters
    String legacy =
        "{\"client_id\":\"" + clients.id("jerry") + "\",\"conv_id\":\"" + cid + "\",\"ttl\":600}";
    assertRefused(master.post("/1.1/rtm/conversation/blacklist", "{\"ttl\":600}"), 400, 1);
    assertEquals(200, master.post("/1.1/rtm/conversation/blacklist", legacy).status());
    assertEquals(4315, sendCode(jerry, clients.id("jerry"), cid));
    assertEquals(
        200,
        master
            .delete(
                "/1.1/rtm/conversation/blacklist?conv_id="
                    + cid
                    + "&client_id="
                    + clients.id("jerry"),
                null)
            .status());
    assertEquals(0, sendCode(jerry, clients.id("jerry"), cid));

    // a chatroom: whoever has joined it, silenced through /1.2/rtm/chatrooms
    String room = chatroom();
    assertEquals(OpType.added, joinRoom(jerry, clients.id("jerry"), room).getOp());
    assertEquals(0, sendCode(jerry, clients.id("jerry"), room));
    assertEquals(
        200,
        master
            .post(
                "/1.2/rtm/chatrooms/" + room + "/temporary-silenceds",
                "{\"client_id\":\"" + clients.id("jerry") + "\",\"ttl\":\"600\"}")
            .status());
    assertEquals(4315, sendCode(jerry, clients.id("jerry"), room));
    assertEquals(
        200,
        master
            .delete(
                "/1.1/rtm/conversation/blacklist",
                "{\"client_id\":\"" + clients.id("jerry") + "\",\"conv_id\":\"" + room + "\"}")
            .status());
    assertEquals(0, sendCode(jerry, clients.id("jerry"), room));
  }

  // -------------------------------------------------------------------------------------------
  // 2. member-infos

  @Test
  void member_infos_are_listed_changed_and_reset_by_their_stable_info_id() {
    ImClient jerry = clients.login("jerry");
    RestClient.Response created =
        master.post(
            "/1.2/rtm/conversations",
            "{\"name\":\"roles\",\"c\":\""
                + clients.id("tom")
                + "\",\"m\":[\""
                + clients.id("tom")
                + "\",\""
                + clients.id("jerry")
                + "\",\""
                + clients.id("spike")
                + "\"]}");
    String cid = created.body().path("objectId").asText();
    String base = "/1.2/rtm/conversations/" + cid + "/member-infos";
    String jerryInfo = RestClient.md5(cid + ":" + clients.id("jerry")).substring(0, 24);

    // refused: keys, parameters, unknown info ids; nothing changes
    assertMasterOnly("GET", base, null);
    assertMasterOnly("PUT", base + "/" + jerryInfo, "{\"role\":\"Manager\"}");
    assertMasterOnly("DELETE", base + "/" + jerryInfo, null);
    assertRefused(master.put(base + "/" + jerryInfo, "{}"), 400, 1);
    assertRefused(master.put(base + "/" + jerryInfo, "{\"role\":\"King\"}"), 400, 1);
    assertRefused(master.put(base + "/" + jerryInfo, "{\"role\":"), 400, 107);
    assertRefused(
        master.put(
            base + "/" + jerryInfo,
            "{\"clientId\":\"" + clients.id("spike") + "\",\"role\":\"Manager\"}"),
        400,
        1);
    assertRefused(
        master.put(base + "/0123456789abcdef01234567", "{\"role\":\"Manager\"}"), 404, 4317);
    assertRefused(master.get(base + "?limit=0"), 400, 1);
    assertRefused(master.get(base + "?role=King"), 400, 1);
    assertRefused(
        master.get("/1.2/rtm/conversations/5f0000000000000000000000/member-infos"), 404, 4303);

    JsonNode all = master.get(base).body().path("results");
    assertEquals(3, all.size(), all::toString);
    assertEquals(clients.id("tom"), all.get(0).path("clientId").asText());
    assertEquals("Owner", all.get(0).path("role").asText());
    assertEquals("Member", all.get(1).path("role").asText(), "nothing changed so far");
    assertEquals(jerryInfo, all.get(1).path("objectId").asText());

    // PUT by info id: Jerry becomes a Manager, members are told
    RestClient.Response promoted = master.put(base + "/" + jerryInfo, "{\"role\":\"Manager\"}");
    assertEquals(200, promoted.status(), promoted::toString);
    GenericCommand changed =
        TestClients.nextPush(jerry, CommandType.conv, OpType.member_info_changed, WAIT);
    assertEquals("Manager", changed.getConvMessage().getInfo().getRole(), changed::toString);
    JsonNode managers = master.get(base + "?role=Manager").body().path("results");
    assertEquals(1, managers.size(), managers::toString);
    assertEquals(clients.id("jerry"), managers.get(0).path("clientId").asText());
    assertEquals(jerryInfo, managers.get(0).path("objectId").asText());
    JsonNode storageRow =
        master
            .get(
                "/1.1/classes/_ConversationMemberInfo?where="
                    + RestClient.encode(
                        "{\"cid\":\"" + cid + "\",\"clientId\":\"" + clients.id("jerry") + "\"}"))
            .body()
            .path("results");
    assertEquals(
        jerryInfo, storageRow.get(0).path("objectId").asText(), "the same id as the class");

    // paging
    JsonNode second = master.get(base + "?skip=1&limit=1").body().path("results");
    assertEquals(1, second.size());
    assertEquals(clients.id("jerry"), second.get(0).path("clientId").asText());

    // POST sets a role too; DELETE makes the member a plain Member again
    assertEquals(
        200,
        master
            .post(base, "{\"clientId\":\"" + clients.id("spike") + "\",\"role\":\"Manager\"}")
            .status());
    assertEquals(2, master.get(base + "?role=Manager").body().path("results").size());
    RestClient.Response reset = master.delete(base + "/" + jerryInfo, null);
    assertEquals(200, reset.status(), reset::toString);
    assertEquals("{}", reset.body().toString());
    GenericCommand demoted;
    do { // Spike's promotion comes first
      demoted = TestClients.nextPush(jerry, CommandType.conv, OpType.member_info_changed, WAIT);
    } while (!demoted.getConvMessage().getInfo().getPid().equals(clients.id("jerry")));
    assertEquals("Member", demoted.getConvMessage().getInfo().getRole(), demoted::toString);
    JsonNode after = master.get(base + "?role=Manager").body().path("results");
    List<String> stillManagers = new ArrayList<>();
    after.forEach(row -> stillManagers.add(row.path("clientId").asText()));
    assertEquals(List.of(clients.id("spike")), stillManagers);
  }

  // -------------------------------------------------------------------------------------------
  // 3. chatroom members

  @Test
  void a_chatrooms_members_are_the_clients_online_in_it_on_any_node() {
    String room = chatroom();
    ImClient amy = clients.login("amy", CLUSTER.first());
    ImClient ben = clients.login("ben");
    assertEquals(OpType.added, joinRoom(amy, clients.id("amy"), room).getOp());
    assertEquals(OpType.added, joinRoom(ben, clients.id("ben"), room).getOp());
    for (String path :
        List.of(
            "/1.2/rtm/chatrooms/" + room + "/members",
            "/1.1/rtm/transient_group/members?gid=" + room)) {
      for (RestClient caller :
          List.of(RestClient.master(CLUSTER.first()), RestClient.master(CLUSTER.second()))) {
        RestClient.Response answer = caller.get(path);
        assertEquals(200, answer.status(), answer::toString);
        assertEquals(
            Set.of(clients.id("amy"), clients.id("ben")),
            new HashSet<>(RestClient.texts(answer.body().path("result"))),
            answer::toString);
      }
      assertMasterOnly("GET", path, null);
    }
    ben.close();
    long deadline = System.currentTimeMillis() + WAIT.toMillis();
    List<String> left;
    do {
      left =
          RestClient.texts(
              master.get("/1.2/rtm/chatrooms/" + room + "/members").body().path("result"));
    } while (left.size() != 1 && System.currentTimeMillis() < deadline);
    assertEquals(List.of(clients.id("amy")), left, "who went offline is no longer listed");

    String cid = conversation("tom");
    assertRefused(master.get("/1.2/rtm/chatrooms/" + cid + "/members"), 400, 4316);
    assertRefused(master.get("/1.1/rtm/transient_group/members"), 400, 1);
    assertRefused(
        master.get("/1.1/rtm/transient_group/members?gid=5f0000000000000000000000"), 404, 4303);
  }

  // -------------------------------------------------------------------------------------------
  // 4. legacy /1.1/rtm routes

  @Test
  void legacy_rtm_routes_do_what_their_v12_twins_do() {
    ImClient jerry = clients.login("jerry");
    String cid = conversation("tom", "jerry");
    JsonNode sent =
        master
            .post(
                "/1.2/rtm/conversations/" + cid + "/messages",
                "{\"from_client\":\"" + clients.id("tom") + "\",\"message\":\"original\"}")
            .body();
    String mid = sent.path("msg-id").asText();
    long ts = sent.path("timestamp").asLong();
    TestClients.nextPush(jerry, CommandType.direct, null, WAIT);

    // unread (app key, as its twin)
    RestClient app = RestClient.appKey(CLUSTER.first());
    assertEquals(
        1, app.get("/1.1/rtm/messages/unread/" + clients.id("jerry")).body().path("count").asInt());
    assertEquals(
        1,
        app.get("/1.1/rtm/messages/unread/" + clients.id("jerry") + "/" + cid)
            .body()
            .path("count")
            .asInt());
    assertRefused(
        RestClient.anonymous(CLUSTER.first()).get("/1.1/rtm/messages/unread/x"), 401, 401);

    // patch/message: edit, then recall; members get patch/modify
    String patch =
        "{\"from_peer\":\""
            + clients.id("tom")
            + "\",\"conv_id\":\""
            + cid
            + "\",\"msg_id\":\""
            + mid
            + "\",\"timestamp\":"
            + ts;
    assertMasterOnly("POST", "/1.1/rtm/patch/message", patch + ",\"message\":\"x\"}");
    assertRefused(master.post("/1.1/rtm/patch/message", patch + "}"), 400, 1);
    assertRefused(
        master.post("/1.1/rtm/patch/message", patch + ",\"message\":\"x\",\"to_peers\":[\"a\"]}"),
        400,
        1);
    assertRefused(
        master.post(
            "/1.1/rtm/patch/message",
            patch.replace(clients.id("tom"), clients.id("jerry")) + ",\"message\":\"not mine\"}"),
        403,
        4403);
    RestClient.Response edited =
        master.post("/1.1/rtm/patch/message", patch + ",\"message\":\"edited\"}");
    assertEquals(200, edited.status(), edited::toString);
    GenericCommand modify = TestClients.nextPush(jerry, CommandType.patch, OpType.modify, WAIT);
    assertEquals("edited", modify.getPatchMessage().getPatches(0).getData(), modify::toString);

    // PUT messages/logs: a history record with new data
    JsonNode record = master.get("/1.2/rtm/conversations/" + cid + "/messages").body().get(0);
    assertEquals("edited", record.path("data").asText());
    String forced = record.deepCopy().toString().replace("\"edited\"", "\"forced\"");
    assertMasterOnly("PUT", "/1.1/rtm/messages/logs", forced);
    assertRefused(master.put("/1.1/rtm/messages/logs", "{\"msg-id\":\"" + mid + "\"}"), 400, 1);
    RestClient.Response rewritten = master.put("/1.1/rtm/messages/logs", forced);
    assertEquals(200, rewritten.status(), rewritten::toString);
    assertEquals(
        "forced",
        master
            .get("/1.2/rtm/conversations/" + cid + "/messages")
            .body()
            .get(0)
            .path("data")
            .asText());

    RestClient.Response recalled =
        master.post("/1.1/rtm/patch/message", patch + ",\"recall\":true}");
    assertEquals(200, recalled.status(), recalled::toString);
    assertTrue(
        master
            .get("/1.2/rtm/conversations/" + cid + "/messages")
            .body()
            .get(0)
            .path("recall")
            .asBoolean());

    // DELETE messages/logs
    String logs = "/1.1/rtm/messages/logs?convid=" + cid + "&msgid=" + mid + "&timestamp=" + ts;
    assertMasterOnly("DELETE", logs, null);
    assertRefused(
        master.delete("/1.1/rtm/messages/logs?convid=" + cid + "&msgid=" + mid, null), 400, 1);
    assertEquals(
        1,
        master.get("/1.2/rtm/conversations/" + cid + "/messages").body().size(),
        "refusals delete nothing");
    RestClient.Response deleted = master.delete(logs + "&from=" + clients.id("tom"), null);
    assertEquals(200, deleted.status(), deleted::toString);
    assertEquals(0, master.get("/1.2/rtm/conversations/" + cid + "/messages").body().size());

    // online
    String peers = "{\"peers\":[\"" + clients.id("jerry") + "\",\"" + clients.id("nobody") + "\"]}";
    assertMasterOnly("POST", "/1.1/rtm/online", peers);
    assertRefused(master.post("/1.1/rtm/online", "{}"), 400, 1);
    assertEquals(
        "{\"results\":[\"" + clients.id("jerry") + "\"]}",
        master.post("/1.1/rtm/online", peers).body().toString());

    // client/kick: Jerry's session is closed with 4115 and the reason
    String kick = "{\"client_id\":\"" + clients.id("jerry") + "\",\"reason\":\"bye\"}";
    assertMasterOnly("POST", "/1.1/rtm/client/kick", kick);
    assertRefused(master.post("/1.1/rtm/client/kick", "{\"reason\":\"bye\"}"), 400, 1);
    assertRefused(
        master.post(
            "/1.1/rtm/client/kick",
            "{\"client_id\":\""
                + clients.id("jerry")
                + "\",\"reason\":\""
                + "x".repeat(21)
                + "\"}"),
        400,
        1);
    assertEquals(0, sendCode(jerry, clients.id("jerry"), cid), "refused kicks close nothing");
    assertEquals(200, master.post("/1.1/rtm/client/kick", kick).status());
    GenericCommand closed = TestClients.nextPush(jerry, CommandType.session, OpType.closed, WAIT);
    assertEquals(4115, closed.getSessionMessage().getCode(), closed::toString);
    assertEquals("bye", closed.getSessionMessage().getReason(), closed::toString);
  }
}
