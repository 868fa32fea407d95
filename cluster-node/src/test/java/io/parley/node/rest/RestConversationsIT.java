package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The IM REST API v1.2 for conversations and chatrooms (REST-AND-HOOKS §3.1, §3.2) on two nodes,
 * with real clients on the other node watching the pushes each call causes. Every endpoint is
 * called with the master key; refusals (app key, wrong key, no key, malformed JSON, bad parameters)
 * are checked to change nothing.
 */
class RestConversationsIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration QUIET = Duration.ofMillis(1500);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);

  @RegisterExtension
  final OpenClients clients = new OpenClients(CLUSTER::second, RestClient.APP, WAIT);

  private final RestClient master = RestClient.master(CLUSTER.first());

  private String create(String body) {
    RestClient.Response created = master.post("/1.2/rtm/conversations", body);
    assertEquals(200, created.status(), created::toString);
    return created.body().path("objectId").asText();
  }

  private static GenericCommand next(ImClient client, CommandType cmd, OpType op) {
    return TestClients.nextPush(client, cmd, op, WAIT);
  }

  private static Optional<GenericCommand> poll(ImClient client, CommandType cmd) {
    return TestClients.pollPush(client, cmd, QUIET);
  }

  /** The conversations {@code member} is in, through the REST query. */
  private JsonNode conversationsOf(String member) {
    RestClient.Response found =
        master.get(
            "/1.2/rtm/conversations?where=" + RestClient.encode("{\"m\":\"" + member + "\"}"));
    assertEquals(200, found.status(), found::toString);
    return found.body().path("results");
  }

  @Test
  void create_pushes_joined_and_query_update_members_and_mutes_work() {
    ImClient tom = clients.login("tom");
    RestClient.Response created =
        master.post(
            "/1.2/rtm/conversations",
            "{\"name\":\"rest group\",\"m\":[\""
                + clients.id("tom")
                + "\",\""
                + clients.id("jerry")
                + "\"],\"topic\":\"cheese\"}");
    assertEquals(200, created.status(), created::toString);
    String cid = created.body().path("objectId").asText();
    assertEquals("rest group", created.body().path("name").asText());
    assertEquals("cheese", created.body().path("topic").asText());
    assertFalse(created.body().has("c"), "created by the app server: no creator");
    GenericCommand joined = next(tom, CommandType.conv, OpType.joined);
    assertEquals(cid, joined.getConvMessage().getCid());
    assertFalse(joined.getConvMessage().hasInitBy(), joined::toString);

    JsonNode found = conversationsOf(clients.id("tom"));
    assertEquals(1, found.size(), found::toString);
    assertEquals(cid, found.get(0).path("objectId").asText());
    RestClient.Response byId = master.get("/1.2/rtm/conversations/" + cid);
    assertEquals(200, byId.status(), byId::toString);
    assertEquals("cheese", byId.body().path("topic").asText());

    RestClient.Response updated =
        master.put("/1.2/rtm/conversations/" + cid, "{\"name\":\"renamed\"}");
    assertEquals(200, updated.status(), updated::toString);
    assertEquals(cid, updated.body().path("objectId").asText());
    assertTrue(updated.body().has("updatedAt"));
    GenericCommand pushedUpdate = next(tom, CommandType.conv, OpType.updated);
    assertTrue(
        pushedUpdate.getConvMessage().getAttr().getData().contains("renamed"),
        pushedUpdate::toString);
    assertEquals(
        "renamed", master.get("/1.2/rtm/conversations/" + cid).body().path("name").asText());

    RestClient.Response added =
        master.post(
            "/1.2/rtm/conversations/" + cid + "/members",
            "{\"client_ids\":[\"" + clients.id("spike") + "\"]}");
    assertEquals(200, added.status(), added::toString);
    GenericCommand membersJoined = next(tom, CommandType.conv, OpType.members_joined);
    assertEquals(List.of(clients.id("spike")), membersJoined.getConvMessage().getMList());
    assertEquals(
        3, master.get("/1.2/rtm/conversations/" + cid + "/members").body().path("result").size());

    RestClient.Response removed =
        master.delete(
            "/1.2/rtm/conversations/" + cid + "/members",
            "{\"client_ids\":[\"" + clients.id("spike") + "\"]}");
    assertEquals(200, removed.status(), removed::toString);
    next(tom, CommandType.conv, OpType.members_left);
    assertEquals(
        2, master.get("/1.2/rtm/conversations/" + cid + "/members").body().path("result").size());

    assertEquals(
        200,
        master
            .post(
                "/1.2/rtm/conversations/" + cid + "/mutes",
                "{\"client_ids\":[\"" + clients.id("jerry") + "\"]}")
            .status());
    assertEquals(
        List.of(clients.id("jerry")),
        RestClient.texts(
            master.get("/1.2/rtm/conversations/" + cid + "/mutes").body().path("result")));
    assertEquals(
        200,
        master
            .delete(
                "/1.2/rtm/conversations/" + cid + "/mutes",
                "{\"client_ids\":[\"" + clients.id("jerry") + "\"]}")
            .status());
    assertEquals(
        0, master.get("/1.2/rtm/conversations/" + cid + "/mutes").body().path("result").size());

    RestClient.Response appKeyDelete =
        RestClient.appKey(CLUSTER.second()).delete("/1.2/rtm/conversations/" + cid, null);
    assertEquals(401, appKeyDelete.status(), appKeyDelete::toString);
    assertEquals(
        200,
        master.get("/1.2/rtm/conversations/" + cid).status(),
        "a refused delete deletes nothing");
    RestClient.Response deleted = master.delete("/1.2/rtm/conversations/" + cid, null);
    assertEquals(200, deleted.status(), deleted::toString);
    assertEquals(404, master.get("/1.2/rtm/conversations/" + cid).status());
    assertEquals(
        404,
        master.get("/1.2/rtm/conversations/" + cid + "/messages").status(),
        "history is gone too");
    assertEquals(0, conversationsOf(clients.id("tom")).size(), "and so is the members' index");
    GenericCommand gone = tom.call(Commands.direct(clients.id("tom"), cid, "anyone?"), WAIT);
    assertTrue(gone.getAckMessage().hasCode(), gone::toString);
  }

  @Test
  void refused_calls_answer_as_leancloud_and_change_nothing() {
    String body = "{\"name\":\"nope\",\"m\":[\"" + clients.id("ghost") + "\"]}";
    List<Supplier<RestClient.Response>> refused =
        List.of(
            () -> RestClient.appKey(CLUSTER.first()).post("/1.2/rtm/conversations", body),
            () ->
                RestClient.signed(CLUSTER.second(), RestClient.APP_KEY, false)
                    .post("/1.2/rtm/conversations", body),
            () -> RestClient.anonymous(CLUSTER.first()).post("/1.2/rtm/conversations", body),
            () ->
                RestClient.with(
                        CLUSTER.first(),
                        java.util.Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master"))
                    .post("/1.2/rtm/conversations", body));
    for (Supplier<RestClient.Response> call : refused) {
      RestClient.Response answer = call.get();
      assertEquals(401, answer.status(), answer::toString);
      assertEquals(401, answer.code(), answer::toString);
    }
    RestClient.Response malformed = master.post("/1.2/rtm/conversations", "{\"name\":");
    assertEquals(400, malformed.status(), malformed::toString);
    assertEquals(107, malformed.code());
    RestClient.Response notAnObject = master.post("/1.2/rtm/conversations", "[1,2]");
    assertEquals(107, notAnObject.code(), notAnObject::toString);
    RestClient.Response badMembers =
        master.post(
            "/1.2/rtm/conversations", "{\"name\":\"x\",\"m\":\"" + clients.id("ghost") + "\"}");
    assertEquals(400, badMembers.status(), badMembers::toString);
    assertEquals(1, badMembers.code());
    RestClient.Response badUnique =
        master.post(
            "/1.2/rtm/conversations", "{\"m\":[\"" + clients.id("ghost") + "\"],\"unique\":3}");
    assertEquals(1, badUnique.code(), badUnique::toString);
    assertEquals(0, conversationsOf(clients.id("ghost")).size(), "nothing was created");

    String cid = create("{\"name\":\"kept\",\"m\":[\"" + clients.id("tom") + "\"]}");
    RestClient.Response appKeyAdd =
        RestClient.appKey(CLUSTER.second())
            .post(
                "/1.2/rtm/conversations/" + cid + "/members",
                "{\"client_ids\":[\"" + clients.id("ghost") + "\"]}");
    assertEquals(401, appKeyAdd.status(), appKeyAdd::toString);
    RestClient.Response noIds = master.post("/1.2/rtm/conversations/" + cid + "/members", "{}");
    assertEquals(400, noIds.status(), noIds::toString);
    RestClient.Response membersUpdate =
        master.put("/1.2/rtm/conversations/" + cid, "{\"m\":[\"" + clients.id("ghost") + "\"]}");
    assertEquals(400, membersUpdate.status(), membersUpdate::toString);
    RestClient.Response badQuery =
        master.get("/1.2/rtm/conversations?where=" + RestClient.encode("{\"m\":"));
    assertEquals(400, badQuery.status(), badQuery::toString);
    assertEquals(
        List.of(clients.id("tom")),
        RestClient.texts(
            master.get("/1.2/rtm/conversations/" + cid + "/members").body().path("result")));
    RestClient.Response unknown =
        master.post(
            "/1.2/rtm/conversations/5f0000000000000000000000/members",
            "{\"client_ids\":[\"" + clients.id("ghost") + "\"]}");
    assertEquals(404, unknown.status(), unknown::toString);
    assertEquals(4303, unknown.code());
  }

  @Test
  void a_rest_message_reaches_online_members_live_and_offline_ones_at_login_with_history() {
    ImClient tom = clients.login("tom");
    String cid =
        create(
            "{\"name\":\"news\",\"m\":[\""
                + clients.id("tom")
                + "\",\""
                + clients.id("jerry")
                + "\"]}");
    RestClient.Response sent =
        RestClient.master(CLUSTER.second())
            .post(
                "/1.2/rtm/conversations/" + cid + "/messages",
                "{\"from_client\":\""
                    + clients.id("server")
                    + "\",\"message\":\"{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"hello\\\"}\"}");
    assertEquals(200, sent.status(), sent::toString);
    String messageId = sent.body().path("msg-id").asText();
    long timestamp = sent.body().path("timestamp").asLong();
    GenericCommand live = next(tom, CommandType.direct, null);
    assertEquals(messageId, live.getDirectMessage().getId());
    assertEquals(clients.id("server"), live.getDirectMessage().getFromPeerId());
    assertTrue(live.getDirectMessage().getMsg().contains("hello"));

    ImClient jerry = clients.login("jerry");
    GenericCommand unread = next(jerry, CommandType.unread, null);
    assertEquals(cid, unread.getUnreadMessage().getConvs(0).getCid());
    assertEquals(1, unread.getUnreadMessage().getConvs(0).getUnread());

    RestClient.Response history =
        master.get("/1.2/rtm/conversations/" + cid + "/messages?limit=10");
    assertEquals(200, history.status(), history::toString);
    assertEquals(1, history.body().size(), history::toString);
    JsonNode record = history.body().get(0);
    assertEquals(messageId, record.path("msg-id").asText());
    assertEquals(cid, record.path("conv-id").asText());
    assertEquals(clients.id("server"), record.path("from").asText());
    assertEquals(timestamp, record.path("timestamp").asLong());
    assertTrue(record.path("data").asText().contains("hello"));

    RestClient.Response edited =
        master.put(
            "/1.2/rtm/conversations/" + cid + "/messages/" + messageId,
            "{\"from_client\":\""
                + clients.id("server")
                + "\",\"message\":\"edited\",\"timestamp\":"
                + timestamp
                + "}");
    assertEquals(200, edited.status(), edited::toString);
    assertEquals(
        "edited",
        next(tom, CommandType.patch, OpType.modify).getPatchMessage().getPatches(0).getData());
    RestClient.Response notTheSender =
        master.put(
            "/1.2/rtm/conversations/" + cid + "/messages/" + messageId + "/recall",
            "{\"from_client\":\"" + clients.id("tom") + "\",\"timestamp\":" + timestamp + "}");
    assertEquals(403, notTheSender.status(), notTheSender::toString);
    assertEquals(4403, notTheSender.code());
    RestClient.Response recalled =
        master.put(
            "/1.2/rtm/conversations/" + cid + "/messages/" + messageId + "/recall",
            "{\"from_client\":\"" + clients.id("server") + "\",\"timestamp\":" + timestamp + "}");
    assertEquals(200, recalled.status(), recalled::toString);
    assertTrue(
        next(tom, CommandType.patch, OpType.modify).getPatchMessage().getPatches(0).getRecall());
    assertTrue(
        master
            .get("/1.2/rtm/conversations/" + cid + "/messages")
            .body()
            .get(0)
            .path("recall")
            .asBoolean());

    RestClient.Response noSender =
        master.post("/1.2/rtm/conversations/" + cid + "/messages", "{\"message\":\"x\"}");
    assertEquals(400, noSender.status(), noSender::toString);
    RestClient.Response badPriority =
        master.post(
            "/1.2/rtm/conversations/" + cid + "/messages",
            "{\"from_client\":\"a\",\"message\":\"x\",\"priority\":\"urgent\"}");
    assertEquals(400, badPriority.status(), badPriority::toString);
    RestClient.Response appKeySend =
        RestClient.appKey(CLUSTER.first())
            .post(
                "/1.2/rtm/conversations/" + cid + "/messages",
                "{\"from_client\":\"a\",\"message\":\"x\"}");
    assertEquals(401, appKeySend.status(), appKeySend::toString);
    assertTrue(poll(tom, CommandType.direct).isEmpty(), "a refused send delivers nothing");
    assertEquals(
        1,
        master.get("/1.2/rtm/conversations/" + cid + "/messages").body().size(),
        "and stores nothing");
  }

  @Test
  void history_pages_newest_first_and_reversed_and_across_conversations() {
    String first = create("{\"name\":\"a\",\"m\":[\"" + clients.id("ann") + "\"]}");
    String second = create("{\"name\":\"b\",\"m\":[\"" + clients.id("ann") + "\"]}");
    List<String> ids = new ArrayList<>();
    for (int n = 0; n < 5; n++) {
      ids.add(
          master
              .post(
                  "/1.2/rtm/conversations/" + (n % 2 == 0 ? first : second) + "/messages",
                  "{\"from_client\":\"" + clients.id("ann") + "\",\"message\":\"m" + n + "\"}")
              .body()
              .path("msg-id")
              .asText());
    }
    JsonNode newest = master.get("/1.2/rtm/conversations/" + first + "/messages?limit=2").body();
    assertEquals(List.of(ids.get(4), ids.get(2)), ids(newest));
    JsonNode next =
        master
            .get(
                "/1.2/rtm/conversations/"
                    + first
                    + "/messages?limit=2&msgid="
                    + ids.get(2)
                    + "&timestamp="
                    + newest.get(1).path("timestamp").asLong())
            .body();
    assertEquals(List.of(ids.get(0)), ids(next));
    JsonNode oldest =
        master.get("/1.2/rtm/conversations/" + first + "/messages?reversed=true").body();
    assertEquals(List.of(ids.get(0), ids.get(2), ids.get(4)), ids(oldest));
    JsonNode sentByAnn =
        master.get("/1.2/rtm/clients/" + clients.id("ann") + "/messages?limit=4").body();
    assertEquals(List.of(ids.get(4), ids.get(3), ids.get(2), ids.get(1)), ids(sentByAnn));
    JsonNode appWide = master.get("/1.2/rtm/messages?limit=1000").body();
    for (String messageId : ids) {
      assertTrue(ids(appWide).contains(messageId), messageId + " in the app-wide export");
    }
    RestClient.Response badLimit =
        master.get("/1.2/rtm/conversations/" + first + "/messages?limit=5000");
    assertEquals(400, badLimit.status(), badLimit::toString);

    RestClient.Response noTimestamp =
        master.delete("/1.2/rtm/conversations/" + first + "/messages/" + ids.get(2), null);
    assertEquals(400, noTimestamp.status(), noTimestamp::toString);
    assertEquals(
        3,
        master.get("/1.2/rtm/conversations/" + first + "/messages").body().size(),
        "nothing deleted");
    RestClient.Response deleted =
        master.delete(
            "/1.2/rtm/conversations/"
                + first
                + "/messages/"
                + ids.get(2)
                + "?from_client="
                + clients.id("ann")
                + "&timestamp="
                + newest.get(1).path("timestamp").asLong(),
            null);
    assertEquals(200, deleted.status(), deleted::toString);
    assertEquals(
        List.of(ids.get(4), ids.get(0)),
        ids(master.get("/1.2/rtm/conversations/" + first + "/messages").body()));
  }

  @Test
  void silences_blacklists_and_roles_act_as_the_conversation_commands() {
    ImClient tom = clients.login("tom");
    String cid =
        create(
            "{\"name\":\"mod\",\"m\":[\""
                + clients.id("tom")
                + "\",\""
                + clients.id("jerry")
                + "\"]}");
    next(tom, CommandType.conv, OpType.joined);
    assertEquals(
        200,
        master
            .post(
                "/1.2/rtm/conversations/" + cid + "/permanent-silenceds",
                "{\"client_ids\":[\"" + clients.id("tom") + "\"]}")
            .status());
    next(tom, CommandType.conv, OpType.shutuped);
    assertEquals(
        List.of(clients.id("tom")),
        RestClient.texts(
            master
                .get("/1.2/rtm/conversations/" + cid + "/permanent-silenceds")
                .body()
                .path("client_ids")));
    GenericCommand silenced = tom.call(Commands.direct(clients.id("tom"), cid, "hi"), WAIT);
    assertEquals(4563, silenced.getAckMessage().getCode(), silenced::toString);
    assertEquals(
        200,
        master
            .delete(
                "/1.2/rtm/conversations/" + cid + "/permanent-silenceds",
                "{\"client_ids\":[\"" + clients.id("tom") + "\"]}")
            .status());
    assertFalse(
        tom.call(Commands.direct(clients.id("tom"), cid, "hi"), WAIT).getAckMessage().hasCode());

    RestClient.Response role =
        master.post(
            "/1.2/rtm/conversations/" + cid + "/member-infos",
            "{\"clientId\":\"" + clients.id("tom") + "\",\"role\":\"Manager\"}");
    assertEquals(200, role.status(), role::toString);
    next(tom, CommandType.conv, OpType.member_info_changed);

    assertEquals(
        200,
        master
            .post(
                "/1.2/rtm/conversations/" + cid + "/blacklists",
                "{\"client_ids\":[\"" + clients.id("jerry") + "\"]}")
            .status());
    assertEquals(
        List.of(clients.id("jerry")),
        RestClient.texts(
            master.get("/1.2/rtm/conversations/" + cid + "/blacklists").body().path("client_ids")));
    assertEquals(
        List.of(clients.id("tom")),
        RestClient.texts(
            master.get("/1.2/rtm/conversations/" + cid + "/members").body().path("result")),
        "blocking removes");
    RestClient.Response blockedAdd =
        master.post(
            "/1.2/rtm/conversations/" + cid + "/members",
            "{\"client_ids\":[\"" + clients.id("jerry") + "\"]}");
    assertEquals(4548, blockedAdd.code(), blockedAdd::toString);
    assertEquals(
        200,
        master
            .delete(
                "/1.2/rtm/conversations/" + cid + "/blacklists",
                "{\"client_ids\":[\"" + clients.id("jerry") + "\"]}")
            .status());
    assertEquals(
        0,
        master
            .get("/1.2/rtm/conversations/" + cid + "/blacklists")
            .body()
            .path("client_ids")
            .size());
  }

  @Test
  void chatrooms_are_created_counted_and_messaged() {
    RestClient.Response created = master.post("/1.2/rtm/chatrooms", "{\"name\":\"lobby\"}");
    assertEquals(200, created.status(), created::toString);
    String cid = created.body().path("objectId").asText();
    assertTrue(created.body().path("tr").asBoolean(), created::toString);
    ImClient tom = clients.login("tom");
    GenericCommand joined =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.add)
                .setPeerId(clients.id("tom"))
                .setConvMessage(io.parley.protocol.wire.ConvCommand.newBuilder().setCid(cid)),
            WAIT);
    assertEquals(OpType.added, joined.getOp(), joined::toString);
    assertEquals(
        1,
        master
            .get("/1.2/rtm/chatrooms/" + cid + "/members/online-count")
            .body()
            .path("result")
            .asInt());
    RestClient.Response sent =
        master.post(
            "/1.2/rtm/chatrooms/" + cid + "/messages",
            "{\"from_client\":\"" + clients.id("host") + "\",\"message\":\"welcome\"}");
    assertEquals(200, sent.status(), sent::toString);
    assertEquals("welcome", next(tom, CommandType.direct, null).getDirectMessage().getMsg());
    RestClient.Response roomHistory = master.get("/1.2/rtm/chatrooms/" + cid + "/messages");
    assertEquals(1, roomHistory.body().size(), roomHistory::toString);
    assertEquals(
        "lobby",
        master
            .get("/1.2/rtm/chatrooms?where=" + RestClient.encode("{\"objectId\":\"" + cid + "\"}"))
            .body()
            .path("results")
            .get(0)
            .path("name")
            .asText());
  }

  private static List<String> ids(JsonNode records) {
    List<String> ids = new ArrayList<>();
    records.forEach(record -> ids.add(record.path("msg-id").asText()));
    return ids;
  }
}
