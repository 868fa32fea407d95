package io.parley.node.rest;

import static io.parley.node.rest.SdkEndpointsIT.WAIT;
import static io.parley.node.rest.SdkEndpointsIT.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.sdk.JsSdk;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.client.ImClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The broadcast side of service conversations over REST on two nodes (REST-AND-HOOKS §3.3, §3.5,
 * §3.6, §3.7): edit and recall of broadcasts seen by the official JS SDK, the v1.1 subscription
 * routes, the per-minute and per-day broadcast budgets, and {@code GET /1.2/rtm/stats} across the
 * nodes and a restart of both.
 */
class ServiceBroadcastsIT {

  private static final String RUN = UUID.randomUUID().toString().substring(0, 6);
  private static final String LIMITED = "limited-bc-" + RUN;
  private static final String STATS = "stats-" + RUN;

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          2,
          TestNode.apps(
              TestNode.DEV_APP,
              "{ app-id = \""
                  + LIMITED
                  + "\", app-key = \"l-key\", master-key = \"l-master\",\n"
                  + "    rest-limits { broadcasts-per-minute = 2, broadcasts-per-day = 100,\n"
                  + "                  global-broadcasts-per-minute = 5, global-broadcasts-per-day = 2 } }",
              "{ app-id = \"" + STATS + "\", app-key = \"s-key\", master-key = \"s-master\" }"));

  private static final List<ImClient> CLIENTS = new ArrayList<>();
  private static final String BASE = "/1.2/rtm/service-conversations";

  @AfterAll
  static void close() {
    CLIENTS.forEach(ImClient::close);
  }

  private static RestClient master() {
    return RestClient.master(CLUSTER.first());
  }

  private static String create(RestClient master, String name) {
    RestClient.Response created = master.post(BASE, "{\"name\":\"" + name + "\"}");
    assertEquals(200, created.status(), created::toString);
    return created.body().get("objectId").asText();
  }

  private static JsonNode ok(RestClient.Response answer) {
    assertEquals(200, answer.status(), answer::toString);
    return answer.body();
  }

  private static String text(String text) {
    return "{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"" + text + "\\\"}";
  }

  /**
   * A JS SDK subscriber on the second node receives two broadcasts, then sees the first edited and
   * the second recalled by the app server; the subscription is made, checked and undone through the
   * v1.1 routes. Refused edits change nothing.
   */
  @Test
  void a_js_subscriber_sees_a_broadcast_edited_and_another_recalled() throws Exception {
    String js = "js-sub-" + RUN;
    String cid = create(master(), "patches-" + RUN);
    ok(
        master()
            .post(
                "/1.1/rtm/conversation/subscription",
                "{\"conv_id\":\"" + cid + "\",\"client_id\":\"" + js + "\"}"));
    assertEquals(
        "true",
        ok(master().get("/1.1/rtm/conversation/subscribed?conv_id=" + cid + "&client_id=" + js))
            .toString());
    assertEquals(
        1,
        ok(master().get("/1.1/rtm/conversation/subscribers/count?conv_id=" + cid))
            .get("count")
            .asInt());
    JsonNode listed = ok(master().get("/1.1/rtm/conversation/subscription?conv_id=" + cid));
    assertEquals(js, listed.get(0).get("subscriber").asText(), listed::toString);

    CompletableFuture<JsonNode> receiving =
        CompletableFuture.supplyAsync(() -> js("receive-patches", CLUSTER.second(), js, cid, 2));
    awaitOnline(js, receiving::isDone);
    JsonNode first =
        ok(
            master()
                .post(
                    BASE + "/" + cid + "/broadcasts",
                    "{\"from_client\":\"bot\",\"message\":\"" + text("first") + "\"}"));
    JsonNode second =
        ok(
            master()
                .post(
                    "/1.1/rtm/broadcast/subscriber",
                    "{\"from_peer\":\"bot\",\"conv_id\":\""
                        + cid
                        + "\",\"message\":\""
                        + text("second")
                        + "\"}"));
    String firstId = first.get("msg-id").asText();
    String secondId = second.get("msg-id").asText();
    String edit =
        "{\"from_client\":\"bot\",\"message\":\""
            + text("first, edited")
            + "\",\"timestamp\":"
            + first.get("timestamp").asLong()
            + "}";

    // refusals first: nothing changes
    assertRefused(
        RestClient.appKey(CLUSTER.first()).put(BASE + "/" + cid + "/messages/" + firstId, edit),
        401,
        401);
    assertRefused(
        master()
            .put(
                BASE + "/" + cid + "/messages/" + firstId,
                "{\"from_client\":\"bot\",\"message\":\"x\",\"to_clients\":[\"" + js + "\"]}"),
        400,
        1);
    assertRefused(
        master()
            .put(
                BASE + "/" + cid + "/messages/" + firstId,
                "{\"from_client\":\"bot\",\"message\":\"x\"}"),
        400,
        1);
    String normal =
        ok(master().post("/1.2/rtm/conversations", "{\"name\":\"group\",\"m\":[\"" + js + "\"]}"))
            .get("objectId")
            .asText();
    assertRefused(master().put(BASE + "/" + normal + "/messages/" + firstId, edit), 400, 4313);

    ok(master().put(BASE + "/" + cid + "/messages/" + firstId, edit));
    ok(
        master()
            .put(
                BASE + "/" + cid + "/messages/" + secondId + "/recall",
                "{\"from_client\":\"bot\",\"timestamp\":"
                    + second.get("timestamp").asLong()
                    + "}"));

    JsonNode received = receiving.get(WAIT.toSeconds() * 5, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(received.path("ok").asBoolean(), received::toString);
    JsonNode update = event(received, "MESSAGE_UPDATE");
    assertEquals(firstId, update.path("message").path("id").asText(), received::toString);
    assertEquals("first, edited", update.path("message").path("text").asText(), update::toString);
    JsonNode recall = event(received, "MESSAGE_RECALL");
    assertEquals(secondId, recall.path("message").path("id").asText(), received::toString);
    JsonNode history = received.get("history");
    assertEquals(2, history.size(), history::toString);
    String all = history.toString();
    assertTrue(all.contains("first, edited") && !all.contains("\"second\""), all);

    ok(
        master()
            .delete(
                "/1.1/rtm/conversation/subscription?conv_id=" + cid + "&client_id=" + js, null));
    assertEquals(
        "false",
        ok(master().get("/1.1/rtm/conversation/subscribed?conv_id=" + cid + "&client_id=" + js))
            .toString());
    assertEquals(
        0,
        ok(master().get("/1.1/rtm/conversation/subscribers/count?conv_id=" + cid))
            .get("count")
            .asInt());
    assertRefused(master().get("/1.1/rtm/conversation/subscribed?conv_id=" + cid), 400, 1);
    assertRefused(
        master().delete("/1.1/rtm/conversation/subscription?client_id=" + js, null), 400, 1);
  }

  private static JsonNode perUser(String cid, String text, String... to) {
    return ok(
        master()
            .post(
                BASE + "/" + cid + "/messages",
                "{\"from_client\":\"bot\",\"message\":\""
                    + text(text)
                    + "\",\"to_clients\":"
                    + clientList(to)
                    + "}"));
  }

  private static String clientList(String... ids) {
    return "[\"" + String.join("\",\"", ids) + "\"]";
  }

  /** The ids of a subscriber's thread ({@code GET .../subscribers/{id}/messages}), newest first. */
  private static List<String> thread(String cid, String clientId, String query) {
    JsonNode page =
        ok(master().get(BASE + "/" + cid + "/subscribers/" + clientId + "/messages" + query));
    List<String> ids = new ArrayList<>();
    page.forEach(record -> ids.add(record.get("msg-id").asText()));
    return ids;
  }

  private static int unread(String clientId, String cid) {
    return ok(RestClient.appKey(CLUSTER.second())
            .get("/1.2/rtm/clients/" + clientId + "/unread-count?conv_id=" + cid))
        .get("count")
        .asInt();
  }

  /**
   * §3.3 per-user messages: only the named subscribers get one, live (a protobuf client on the
   * first node, the JS SDK on the second) or at their next login (unread count, history), and
   * nobody else sees it, in pushes, unread counts or history; each subscriber's thread is the
   * broadcasts plus its own messages; a per-user message can be deleted from it, a broadcast
   * cannot; v1.1 {@code to_peers} is the same send. Refused calls store nothing.
   */
  @Test
  void per_user_messages_reach_only_their_recipients_live_and_at_next_login() throws Exception {
    String js = "js-pu-" + RUN;
    String bob = "bob-pu-" + RUN;
    String carl = "carl-pu-" + RUN;
    String cid = create(master(), "per-user-" + RUN);
    for (String client : List.of(js, bob, carl)) {
      ok(master().post(BASE + "/" + cid + "/subscribers", "{\"client_id\":\"" + client + "\"}"));
    }
    ImClient bobClient = TestClients.login(CLUSTER.first(), RestClient.APP, bob, CLIENTS, WAIT);
    String b1 =
        ok(master()
                .post(
                    BASE + "/" + cid + "/broadcasts",
                    "{\"from_client\":\"bot\",\"message\":\"" + text("to all") + "\"}"))
            .get("msg-id")
            .asText();
    // Bob's login-time `unread` may come before or after the broadcast (its fan-out can see it)
    assertEquals(
        b1,
        TestClients.nextPush(bobClient, io.parley.protocol.wire.CommandType.direct, null, WAIT)
            .getDirectMessage()
            .getId());
    String p1 = perUser(cid, "for bob", bob).get("msg-id").asText();
    var push =
        TestClients.nextPush(bobClient, io.parley.protocol.wire.CommandType.direct, null, WAIT);
    assertEquals(p1, push.getDirectMessage().getId(), push::toString);
    assertEquals(cid, push.getDirectMessage().getCid());
    String p2 = perUser(cid, "for carl and js", carl, js).get("msg-id").asText();

    // refusals change nothing
    String one = "{\"from_client\":\"bot\",\"message\":\"x\",\"to_clients\":[\"" + carl + "\"]}";
    assertRefused(
        RestClient.appKey(CLUSTER.first()).post(BASE + "/" + cid + "/messages", one), 401, 401);
    assertRefused(
        master()
            .post(BASE + "/" + cid + "/messages", "{\"from_client\":\"bot\",\"message\":\"x\"}"),
        400,
        1);
    assertRefused(
        master()
            .post(
                BASE + "/" + cid + "/messages",
                "{\"from_client\":\"bot\",\"message\":\"x\",\"to_clients\":[]}"),
        400,
        1);
    List<String> many = new ArrayList<>();
    for (int n = 0; n < 21; n++) {
      many.add("c" + n);
    }
    assertRefused(
        master()
            .post(
                BASE + "/" + cid + "/messages",
                "{\"from_client\":\"bot\",\"message\":\"x\",\"to_clients\":"
                    + clientList(many.toArray(String[]::new))
                    + "}"),
        400,
        1);
    String normal =
        ok(master().post("/1.2/rtm/conversations", "{\"name\":\"g\",\"m\":[\"" + carl + "\"]}"))
            .get("objectId")
            .asText();
    assertRefused(master().post(BASE + "/" + normal + "/messages", one), 400, 4313);
    assertRefused(
        master()
            .post(
                "/1.1/rtm/messages",
                "{\"from_peer\":\"bot\",\"conv_id\":\""
                    + normal
                    + "\",\"message\":\"x\",\"to_peers\":[\""
                    + carl
                    + "\"]}"),
        400,
        4313);

    // the JS SDK subscriber logs in: it gets the message sent to it while offline in its history,
    // one sent now live, never Bob's
    CompletableFuture<JsonNode> receiving =
        CompletableFuture.supplyAsync(() -> js("receive", CLUSTER.second(), js, cid, 1));
    awaitOnline(js, receiving::isDone);
    String p3 = perUser(cid, "live for js", js).get("msg-id").asText();
    String p4 =
        ok(master()
                .post(
                    "/1.1/rtm/messages",
                    "{\"from_peer\":\"bot\",\"conv_id\":\""
                        + cid
                        + "\",\"message\":\""
                        + text("v1.1 for carl")
                        + "\",\"transient\":false,\"to_peers\":[\""
                        + carl
                        + "\"]}"))
            .get("msg-id")
            .asText();
    JsonNode received = receiving.get(WAIT.toSeconds() * 5, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(received.path("ok").asBoolean(), received::toString);
    assertEquals(1, received.get("received").size(), received::toString);
    assertEquals(p3, received.get("received").get(0).get("id").asText(), received::toString);
    List<String> jsHistory = new ArrayList<>();
    received.get("history").forEach(message -> jsHistory.add(message.get("id").asText()));
    assertEquals(List.of(b1, p2, p3), jsHistory, received::toString);

    assertTrue(
        TestClients.pollPush(
                bobClient,
                io.parley.protocol.wire.CommandType.direct,
                java.time.Duration.ofSeconds(1))
            .isEmpty(),
        "Bob never gets the others' per-user messages");

    // threads, unread counts, deletion
    assertEquals(List.of(p4, p2, b1), thread(cid, carl, ""));
    assertEquals(List.of(p4), thread(cid, carl, "?limit=1"));
    assertEquals(List.of(p1, b1), thread(cid, bob, ""));
    assertEquals(List.of(p3, p2, b1), thread(cid, js, ""));
    assertEquals(3, unread(carl, cid));
    assertEquals(
        5,
        ok(master().get("/1.2/rtm/conversations/" + cid + "/messages")).size(),
        "the app server reads everything");

    String deleteP4 = BASE + "/" + cid + "/subscribers/" + carl + "/messages/" + p4;
    long p4At =
        ok(master().get(BASE + "/" + cid + "/subscribers/" + carl + "/messages?limit=1"))
            .get(0)
            .get("timestamp")
            .asLong();
    assertRefused(master().delete(deleteP4, null), 400, 1);
    String b1At =
        "?timestamp="
            + ok(master().get(BASE + "/" + cid + "/subscribers/" + carl + "/messages"))
                .get(2)
                .get("timestamp")
                .asLong();
    assertRefused(
        master().delete(BASE + "/" + cid + "/subscribers/" + carl + "/messages/" + b1 + b1At, null),
        400,
        4313);
    assertRefused(
        master()
            .delete(
                BASE + "/" + cid + "/subscribers/" + bob + "/messages/" + p4 + "?timestamp=" + p4At,
                null),
        404,
        4404);
    assertRefused(
        RestClient.appKey(CLUSTER.first()).delete(deleteP4 + "?timestamp=" + p4At, null), 401, 401);
    assertEquals(List.of(p4, p2, b1), thread(cid, carl, ""), "refused deletes change nothing");
    assertEquals("{}", ok(master().delete(deleteP4 + "?timestamp=" + p4At, null)).toString());
    assertEquals(List.of(p2, b1), thread(cid, carl, ""));
    assertEquals(2, unread(carl, cid));

    // Carl logs in at last: its unread count is its thread
    ImClient carlClient = TestClients.login(CLUSTER.second(), RestClient.APP, carl, CLIENTS, WAIT);
    var unreadPush =
        TestClients.nextPush(carlClient, io.parley.protocol.wire.CommandType.unread, null, WAIT);
    assertTrue(unreadPush.toString().contains(cid), unreadPush::toString);
    assertTrue(unreadPush.toString().contains(p2), "the last message Carl sees: " + unreadPush);
  }

  private static String global(
      String path, String fromField, String cid, String text, long validTill) {
    return ok(master()
            .post(
                path,
                "{\""
                    + fromField
                    + "\":\"bot\",\"conv_id\":\""
                    + cid
                    + "\",\"message\":\""
                    + text(text)
                    + "\",\"valid_till\":"
                    + validTill
                    + "}"))
        .get("msg-id")
        .asText();
  }

  private static List<String> valid(String query) {
    List<String> ids = new ArrayList<>();
    ok(master().get(query)).forEach(row -> ids.add(row.get("msg-id").asText()));
    return ids;
  }

  /**
   * §3.5 broadcast life cycle: global broadcasts reach online subscribers at once and are listed
   * while valid; one deleted, or past its {@code valid_till}, is no longer listed nor delivered to
   * a subscriber who logs in later (the JS SDK's unread count and last message show only the
   * subscriber broadcast sent meanwhile). Refused calls change nothing.
   */
  @Test
  void global_broadcasts_are_listed_while_valid_and_not_delivered_once_expired_or_deleted()
      throws Exception {
    String bea = "bea-bc-" + RUN;
    String dan = "dan-bc-" + RUN;
    String cid = create(master(), "global-" + RUN);
    for (String client : List.of(bea, dan)) {
      ok(master().post(BASE + "/" + cid + "/subscribers", "{\"client_id\":\"" + client + "\"}"));
    }
    ImClient danClient = TestClients.login(CLUSTER.second(), RestClient.APP, dan, CLIENTS, WAIT);
    long now = System.currentTimeMillis();
    long soon = now + 4_000;
    String g1 = global("/1.2/rtm/broadcasts", "from_client", cid, "short-lived", soon);
    String g2 = global("/1.2/rtm/broadcasts", "from_client", cid, "deleted", now + 86_400_000L);
    String g3 = global("/1.1/rtm/broadcast", "from_peer", cid, "deleted too", now + 86_400_000L);
    for (String id : List.of(g1, g2, g3)) {
      assertEquals(
          id,
          TestClients.nextPush(danClient, io.parley.protocol.wire.CommandType.direct, null, WAIT)
              .getDirectMessage()
              .getId());
    }
    String list = "/1.2/rtm/broadcasts?conv_id=" + cid;
    assertEquals(List.of(g3, g2, g1), valid(list));
    assertEquals(List.of(g2), valid(list + "&limit=1&skip=1"));
    assertEquals(List.of(g3, g2, g1), valid("/1.1/rtm/broadcast?conv_id=" + cid));
    JsonNode first = ok(master().get(list + "&limit=1")).get(0);
    assertEquals(cid, first.get("conv-id").asText(), first::toString);
    assertEquals(now + 86_400_000L, first.get("valid_till").asLong(), first::toString);

    // refusals change nothing
    String body =
        "{\"from_client\":\"bot\",\"conv_id\":\"" + cid + "\",\"message\":\"x\",\"valid_till\":";
    assertRefused(
        master().post("/1.2/rtm/broadcasts", body + (now + 40L * 86_400_000L) + "}"), 400, 1);
    assertRefused(master().post("/1.2/rtm/broadcasts", body + (now - 1000) + "}"), 400, 1);
    assertRefused(master().get("/1.2/rtm/broadcasts"), 400, 1);
    assertRefused(RestClient.appKey(CLUSTER.first()).get(list), 401, 401);
    assertRefused(
        RestClient.appKey(CLUSTER.first()).delete("/1.2/rtm/broadcasts/" + g2, null), 401, 401);
    assertRefused(master().delete("/1.2/rtm/broadcasts/nope", null), 404, 4404);
    assertRefused(master().delete("/1.1/rtm/broadcast", null), 400, 1);
    assertEquals(List.of(g3, g2, g1), valid(list));

    assertEquals("{}", ok(master().delete("/1.2/rtm/broadcasts/" + g2, null)).toString());
    assertRefused(master().delete("/1.2/rtm/broadcasts/" + g2, null), 404, 4404);
    assertEquals("{}", ok(master().delete("/1.1/rtm/broadcast?mid=" + g3, null)).toString());
    assertEquals(List.of(g1), valid(list));
    Thread.sleep(Math.max(0, soon - System.currentTimeMillis() + 300));
    assertEquals(List.of(), valid(list), "expired");
    String s1 =
        ok(master()
                .post(
                    BASE + "/" + cid + "/broadcasts",
                    "{\"from_client\":\"bot\",\"message\":\"" + text("still here") + "\"}"))
            .get("msg-id")
            .asText();
    assertEquals(1, unread(bea, cid), "only the subscriber broadcast is still for Bea");

    JsonNode received = js("offline-receive", CLUSTER.first(), bea, cid, 1);
    assertTrue(received.path("ok").asBoolean(), received::toString);
    JsonNode conversation = received.get("conversation");
    assertEquals(1, conversation.get("unreadMessagesCount").asInt(), received::toString);
    assertEquals(s1, conversation.get("lastMessage").get("id").asText(), received::toString);
    List<String> history = new ArrayList<>();
    received.get("history").forEach(message -> history.add(message.get("id").asText()));
    assertEquals(List.of(g1, s1), history, "deleted broadcasts leave the history; " + received);
  }

  /**
   * Runs JS SDK 5 scenario {@code scenario} of messages.js for {@code client} on {@code node}, in
   * service conversation {@code cid}, expecting {@code count} messages.
   */
  private static JsonNode js(String scenario, TestNode node, String client, String cid, int count) {
    return JsSdk.runScript(
        "messages.js",
        scenario,
        List.of(
            "--sdk",
            "5",
            "--app-id",
            RestClient.APP,
            "--app-key",
            RestClient.APP_KEY,
            "--timeout-ms",
            "60000",
            "--rtm",
            node.webSocketUri().toString(),
            "--client",
            client,
            "--cid",
            cid,
            "--count",
            Integer.toString(count)),
        WAIT.multipliedBy(4));
  }

  private static JsonNode event(JsonNode received, String name) {
    for (JsonNode event : received.path("events")) {
      if (name.equals(event.path("event").asText())) {
        return event;
      }
    }
    throw new AssertionError("no " + name + " in " + received);
  }

  /** Waits until {@code clientId} is online (REST check-online), or the JS run ended early. */
  private static void awaitOnline(String clientId, Supplier<Boolean> ended)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos() * 2;
    while (System.nanoTime() < deadline && !ended.get()) {
      JsonNode online =
          ok(
              master()
                  .post(
                      "/1.2/rtm/clients/check-online", "{\"client_ids\":[\"" + clientId + "\"]}"));
      if (online.path("results").toString().contains(clientId)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(clientId + " never came online");
  }

  /**
   * §3.7: subscriber broadcasts over their minute's budget (2) and global broadcasts over their
   * day's budget (2) get 429 with the JSON body naming the budget; the v1.1 forms share the
   * budgets; nothing is stored for a refused call; another app is not limited.
   */
  @Test
  void broadcasts_over_the_minute_or_the_day_budget_get_429_and_store_nothing() {
    RestClient limited =
        RestClient.with(CLUSTER.first(), Map.of("X-LC-Id", LIMITED, "X-LC-Key", "l-master,master"));
    String cid = create(limited, "limited-" + RUN);
    String subscriber = "{\"from_client\":\"bot\",\"message\":\"s\"}";
    ok(limited.post(BASE + "/" + cid + "/broadcasts", subscriber));
    ok(limited.post(BASE + "/" + cid + "/broadcasts", subscriber));
    RestClient.Response overMinute = limited.post(BASE + "/" + cid + "/broadcasts", subscriber);
    assertRefused(overMinute, 429, 429);
    assertTrue(overMinute.text().contains("per minute"), overMinute::toString);
    assertRefused(
        limited.post(
            "/1.1/rtm/broadcast/subscriber",
            "{\"from_peer\":\"bot\",\"conv_id\":\"" + cid + "\",\"message\":\"s\"}"),
        429,
        429);

    String global = "{\"from_client\":\"bot\",\"conv_id\":\"" + cid + "\",\"message\":\"g\"}";
    ok(limited.post("/1.2/rtm/broadcasts", global));
    ok(
        limited.post(
            "/1.1/rtm/broadcast",
            "{\"from_peer\":\"bot\",\"conv_id\":\"" + cid + "\",\"message\":\"g\"}"));
    RestClient.Response overDay = limited.post("/1.2/rtm/broadcasts", global);
    assertRefused(overDay, 429, 429);
    assertTrue(overDay.text().contains("per day"), overDay::toString);

    JsonNode history = ok(limited.get("/1.2/rtm/conversations/" + cid + "/messages?limit=100"));
    assertEquals(4, history.size(), "nothing stored for a refused broadcast: " + history);

    String other = create(master(), "unlimited-" + RUN);
    for (int n = 0; n < 4; n++) {
      ok(master().post(BASE + "/" + other + "/broadcasts", subscriber));
    }
  }

  private static RestClient statsApp(TestNode node) {
    return RestClient.with(node, Map.of("X-LC-Id", STATS, "X-LC-Key", "s-master,master"));
  }

  private static JsonNode stats() {
    JsonNode answer = ok(statsApp(CLUSTER.second()).get("/1.2/rtm/stats"));
    return answer.get("result");
  }

  private static void assertStats(int online, int today) {
    JsonNode result = stats();
    assertEquals(online, result.path("online_user_count").asInt(-1), result::toString);
    assertEquals(today, result.path("user_count_today").asInt(-1), result::toString);
  }

  /**
   * §3.5: online counts distinct clients on every node (one client on both nodes counts once);
   * today counts every client that logged in since 00:00 UTC, also after it left and after both
   * nodes restarted. Another app's clients do not count; the app key is refused.
   */
  @Test
  void stats_count_distinct_clients_online_on_every_node_and_those_seen_today() {
    assertStats(0, 0);
    List<ImClient> mine = new ArrayList<>();
    TestClients.login(CLUSTER.first(), STATS, "ann", mine, WAIT);
    TestClients.login(CLUSTER.second(), STATS, "ben", mine, WAIT);
    TestClients.login(CLUSTER.first(), STATS, "ben", mine, WAIT);
    TestClients.login(CLUSTER.first(), RestClient.APP, "ann", CLIENTS, WAIT);
    awaitStats(2, 2);
    assertRefused(
        RestClient.with(CLUSTER.first(), Map.of("X-LC-Id", STATS, "X-LC-Key", "s-key"))
            .get("/1.2/rtm/stats"),
        401,
        401);

    mine.remove(2).close();
    mine.remove(1).close();
    awaitStats(1, 2);
    TestClients.login(CLUSTER.second(), STATS, "cat", mine, WAIT);
    awaitStats(2, 3);
    mine.forEach(ImClient::close);
    CLUSTER.restartAll();
    awaitStats(0, 3);
  }

  /**
   * Sessions end asynchronously, and today's logins are written up to {@code
   * parley.daily-clients.flush-interval} late: the counts follow within the wait.
   */
  private static void awaitStats(int online, int today) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode result = stats();
      if (result.path("online_user_count").asInt() == online
          && result.path("user_count_today").asInt() == today) {
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        throw new AssertionError(interrupted);
      }
    }
    assertStats(online, today);
  }
}
