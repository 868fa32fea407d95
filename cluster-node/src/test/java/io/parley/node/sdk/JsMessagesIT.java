package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Messaging through the unmodified official JS SDKs (leancloud-realtime 4.3.1 and 5.0.0-rc.8),
 * driven by {@code src/test/js/messages.js} on a two-node cluster: the sender on one node, the
 * receivers on the other (docs/protocol.md §6.12–§6.16, §7, §8.1–§8.4, §9, §10). Every scenario
 * runs once per SDK version, all of them at the same time when the class starts (each one is a Node
 * process of its own); the test methods assert on the facts of those runs. The offline scenarios
 * also run across a restart of every node between the send and the login: that test first waits for
 * every other run, then stops both nodes and starts them again on the same ports.
 *
 * <p>{@code -Dparley.it.nodeConfig="..."} adds HOCON to both nodes' configuration (diagnosis only;
 * empty by default).
 */
// One at a time with the other shared-lane classes: one of its tests restarts its nodes under the
// others (methods of a concurrent class run concurrently too).
class JsMessagesIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR =
      Path.of(System.getProperty("parley.js.dir", "src/test/js")).toAbsolutePath();
  private static final String NODE_CONFIG = System.getProperty("parley.it.nodeConfig", "");
  private static final List<String> SCENARIOS =
      List.of(
          "text",
          "typed",
          "history",
          "receipt",
          "read-receipts",
          "temporary",
          "chatroom",
          "will",
          "patch");

  /** offline variants: sdk/mode, mode "push" (4.x pushOfflineMessages) or "unread" (default). */
  private static final List<String> OFFLINE = List.of("4/push", "4/unread", "5/unread");

  private static final Map<String, CompletableFuture<JsonNode>> RUNS = new LinkedHashMap<>();
  private static final Map<String, CompletableFuture<JsonNode>> SENT_BEFORE_RESTART =
      new LinkedHashMap<>();
  private static final Map<String, JsonNode> RECEIVED_AFTER_RESTART = new LinkedHashMap<>();
  private static ExecutorService pool;
  @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.own(2, NODE_CONFIG);

  @BeforeAll
  static void runEveryScenario() {
    JsSdk.ensureInstalled();
    pool = Executors.newFixedThreadPool(4);
    for (int sdk : new int[] {4, 5}) {
      for (String scenario : SCENARIOS) {
        RUNS.put(
            scenario + "/" + sdk,
            CompletableFuture.supplyAsync(() -> run(scenario, sdk, both()), pool));
      }
      List<String> base64 = new ArrayList<>(both());
      base64.add("--no-binary");
      RUNS.put(
          "text-base64/" + sdk,
          CompletableFuture.supplyAsync(() -> run("text", sdk, base64), pool));
    }
    for (String variant : OFFLINE) {
      RUNS.put(
          "offline/" + variant,
          CompletableFuture.supplyAsync(
              () -> {
                JsonNode sent = offlineSend(variant);
                return offlineReceive(variant, sent);
              },
              pool));
      SENT_BEFORE_RESTART.put(
          variant, CompletableFuture.supplyAsync(() -> offlineSend(variant), pool));
    }
  }

  @AfterAll
  static void stopScenarios() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // running messages.js

  private static List<String> both() {
    return List.of("--rtm", CLUSTER.first().webSocketUri() + "," + CLUSTER.second().webSocketUri());
  }

  private static JsonNode result(String key) {
    JsonNode r = RUNS.get(key).join();
    assertTrue(r.path("ok").asBoolean(), () -> key + " failed: " + r);
    return r;
  }

  private static JsonNode offlineSend(String variant) {
    int sdk = Integer.parseInt(variant.substring(0, 1));
    List<String> args = new ArrayList<>(both());
    if (variant.endsWith("push")) {
      args.add("--push-offline");
    }
    JsonNode sent = run("offline-send", sdk, args);
    assertTrue(sent.path("ok").asBoolean(), () -> "offline-send " + variant + " failed: " + sent);
    return sent;
  }

  /** The receiver logs in on the second node (Tom sent from the first). */
  private static JsonNode offlineReceive(String variant, JsonNode sent) {
    int sdk = Integer.parseInt(variant.substring(0, 1));
    List<String> args =
        new ArrayList<>(
            List.of(
                "--rtm",
                CLUSTER.second().webSocketUri().toString(),
                "--client",
                sent.get("receiver").asText(),
                "--cid",
                sent.get("cid").asText(),
                "--count",
                "3"));
    if (variant.endsWith("push")) {
      args.add("--push-offline");
    }
    JsonNode received = run("offline-receive", sdk, args);
    ((com.fasterxml.jackson.databind.node.ObjectNode) received).set("sentFacts", sent);
    return received;
  }

  /**
   * Runs {@code node messages.js <scenario> --sdk N <args>}; the result is its last stdout line.
   */
  static JsonNode run(String scenario, int sdk, List<String> arguments) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--sdk",
                Integer.toString(sdk),
                "--app-id",
                "parley-dev",
                "--app-key",
                "parley-dev-key",
                "--timeout-ms",
                Long.toString(TIMEOUT.toMillis()),
                "--run",
                UUID.randomUUID().toString().substring(0, 6)));
    all.addAll(arguments);
    return JsSdk.runScript("messages.js", scenario, all, TIMEOUT);
  }

  /**
   * The offline receive after every node restarted: waits for every other run first (they use the
   * nodes), stops both nodes, starts them again on the same ports, then lets each receiver log in.
   */
  private static JsonNode afterRestart(String variant) {
    synchronized (RECEIVED_AFTER_RESTART) {
      restartOnce();
    }
    JsonNode r = RECEIVED_AFTER_RESTART.get(variant);
    assertTrue(
        r.path("ok").asBoolean(),
        () -> "offline-receive " + variant + " after the restart failed: " + r);
    return r;
  }

  private static void restartOnce() {
    if (RECEIVED_AFTER_RESTART.isEmpty()) {
      Map<String, JsonNode> sent = new LinkedHashMap<>();
      SENT_BEFORE_RESTART.forEach((k, f) -> sent.put(k, f.join()));
      RUNS.values().forEach(f -> f.handle((r, e) -> r).join());
      CLUSTER.restartAll();
      Map<String, CompletableFuture<JsonNode>> received = new LinkedHashMap<>();
      sent.forEach(
          (k, s) ->
              received.put(k, CompletableFuture.supplyAsync(() -> offlineReceive(k, s), pool)));
      received.forEach((k, f) -> RECEIVED_AFTER_RESTART.put(k, f.join()));
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // helpers

  private static List<JsonNode> list(JsonNode array) {
    return array == null ? List.of() : StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static List<String> texts(JsonNode messages) {
    return list(messages).stream()
        .map(m -> m.has("text") ? m.path("text").asText() : m.path("content").asText())
        .toList();
  }

  private static List<String> ids(JsonNode messages) {
    return list(messages).stream().map(m -> m.path("id").asText()).toList();
  }

  /** The messages of the MESSAGE events in a client's event list. */
  private static List<JsonNode> messageEvents(JsonNode events) {
    return list(events).stream()
        .filter(e -> e.path("event").asText().equals("MESSAGE"))
        .map(e -> e.get("message"))
        .toList();
  }

  /**
   * Events other than the SDK's own local unread bookkeeping (it emits UNREAD_MESSAGES_COUNT_UPDATE
   * per message).
   */
  private static List<String> eventNames(JsonNode events) {
    return list(events).stream()
        .map(e -> e.path("event").asText())
        .filter(name -> !name.equals("UNREAD_MESSAGES_COUNT_UPDATE"))
        .toList();
  }

  private static void assertSameMessage(JsonNode sent, JsonNode received, String from) {
    String where = "sent " + sent + " received " + received;
    assertEquals(sent.get("id").asText(), received.get("id").asText(), where);
    assertEquals(sent.get("cid").asText(), received.get("cid").asText(), where);
    assertEquals(from, received.get("from").asText(), where);
    assertEquals(sent.get("timestamp").asLong(), received.get("timestamp").asLong(), where);
    assertEquals(sent.path("class").asText(), received.path("class").asText(), where);
    assertEquals(sent.path("text"), received.path("text"), where);
    assertEquals(sent.path("attributes"), received.path("attributes"), where);
  }

  private static void assertOnDifferentNodes(JsonNode r, String sender, String... receivers) {
    for (String receiver : receivers) {
      assertNotEquals(
          r.get("nodes").get(sender).asText(),
          r.get("nodes").get(receiver).asText(),
          () -> sender + " and " + receiver + " on different nodes: " + r.get("nodes"));
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // 1. text

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_text_reaches_the_other_member_with_the_same_id_sender_conversation_and_timestamp(int sdk) {
    JsonNode r = result("text/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry");
    JsonNode p = r.get("private");
    JsonNode sent = p.get("sent");
    assertEquals(r.get("privateCid").asText(), sent.get("cid").asText());
    assertEquals("SENT", sent.get("status").asText());
    assertFalse(sent.get("id").asText().isEmpty(), "acked with an id (uid)");
    assertTrue(
        Math.abs(sent.get("timestamp").asLong() - System.currentTimeMillis()) < 300_000,
        "t is a ms timestamp");
    List<JsonNode> received = messageEvents(p.get("events").get("Jerry"));
    assertEquals(1, received.size(), () -> "Jerry's events: " + p.get("events").get("Jerry"));
    assertSameMessage(sent, received.get(0), "Tom");
    assertEquals("hello Jerry", received.get(0).get("text").asText());
    assertEquals(List.of(), eventNames(p.get("events").get("Tom")), "no echo to the sender");
    assertEquals(
        0,
        p.get("pushes").get("Tom").size(),
        () -> "no direct push to the sending session: " + p.get("pushes"));
    JsonNode push = p.get("pushes").get("Jerry").get(0);
    assertFalse(push.has("offline"), () -> "an online delivery carries no offline flag: " + push);
    assertEquals(1, push.get("convType").asInt(), push::toString);
    assertEquals(0, r.get("unhandledRejections").size(), r::toString);
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void
      a_group_text_reaches_both_other_members_and_the_senders_other_device_but_not_the_sending_session(
          int sdk) {
    JsonNode r = result("text/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry", "Bob", "Tom@2");
    JsonNode g = r.get("group");
    JsonNode sent = g.get("sent");
    assertEquals(r.get("groupCid").asText(), sent.get("cid").asText());
    for (String receiver : List.of("Jerry", "Bob", "Tom@2")) {
      List<JsonNode> received = messageEvents(g.get("events").get(receiver));
      assertEquals(
          1, received.size(), () -> receiver + " events: " + g.get("events").get(receiver));
      assertSameMessage(sent, received.get(0), "Tom");
      assertEquals(
          1, g.get("pushes").get(receiver).size(), () -> receiver + " pushes: " + g.get("pushes"));
    }
    assertEquals(
        List.of(), eventNames(g.get("events").get("Tom")), "no echo to the sending session");
    assertEquals(
        0,
        g.get("pushes").get("Tom").size(),
        () -> "no echo to the sending session: " + g.get("pushes"));
  }

  /** The same over {@code lc.proto2base64.3} (text frames, {@code noBinary: true}). */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void texts_over_base64_frames_arrive_alike(int sdk) {
    JsonNode r = result("text-base64/" + sdk);
    assertEquals("[\"lc.proto2base64.3\"]", r.get("subprotocols").toString());
    assertSameMessage(
        r.get("private").get("sent"),
        messageEvents(r.get("private").get("events").get("Jerry")).get(0),
        "Tom");
    for (String receiver : List.of("Jerry", "Bob", "Tom@2")) {
      List<JsonNode> received = messageEvents(r.get("group").get("events").get(receiver));
      assertEquals(1, received.size(), () -> receiver + ": " + r.get("group"));
      assertSameMessage(r.get("group").get("sent"), received.get(0), "Tom");
    }
    assertEquals(List.of(), eventNames(r.get("group").get("events").get("Tom")));
  }

  // ------------------------------------------------------------------------------------------------------------
  // 2. typed messages

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_custom_typed_message_and_a_text_with_unicode_attributes_round_trip_live(int sdk) {
    JsonNode r = result("typed/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry");
    JsonNode sent = r.get("sent");
    JsonNode received = r.get("received");
    assertEquals(2, received.size(), received::toString);
    for (int n = 0; n < 2; n++) {
      assertSameMessage(sent.get(n), received.get(n), "Tom");
    }
    JsonNode emoji = received.get(0);
    assertEquals("Emoji", emoji.get("class").asText(), "the registered type 2 class");
    assertEquals(2, emoji.get("type").asInt());
    assertEquals("#e001-😀", emoji.get("ecode").asText(), "the custom field");
    assertEquals("人民的名义挺好看的", emoji.get("text").asText());
    assertEquals("人民的名义挺好看的", emoji.get("attributes").get("review").asText());
    assertEquals("😀", emoji.get("attributes").get("nested").get("emoji").asText());
    JsonNode text = received.get(1);
    assertEquals("TextMessage", text.get("class").asText());
    assertEquals("人民的名义挺好看的", text.get("text").asText());
    assertEquals("好看", text.get("attributes").get("note").asText());
    assertEquals(
        r.get("sentPayloads"), r.get("receivedPayloads"), "the payload is delivered byte for byte");
    assertEquals(List.of(), eventNames(r.get("tomEvents")));
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_custom_typed_message_and_a_text_with_unicode_attributes_round_trip_through_history(
      int sdk) {
    JsonNode r = result("typed/" + sdk);
    for (String reader : List.of("Jerry", "Tom")) {
      JsonNode history = r.get("history").get(reader);
      assertEquals(2, history.size(), () -> reader + " history: " + history);
      for (int n = 0; n < 2; n++) {
        assertSameMessage(r.get("sent").get(n), history.get(n), "Tom");
      }
      assertEquals("#e001-😀", history.get(0).get("ecode").asText(), history::toString);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // 3. offline

  private static JsonNode offline(String variant, boolean restart) {
    return restart ? afterRestart(variant) : result("offline/" + variant);
  }

  /**
   * §8.3: a protocol-version-1 client (4.x {@code pushOfflineMessages}) gets the queued messages at
   * login.
   */
  @ParameterizedTest(name = "sdk 4, nodes restarted {0}")
  @ValueSource(booleans = {false, true})
  void offline_messages_are_pushed_in_order_at_the_next_login_of_a_push_offline_client(
      boolean restart) {
    JsonNode r = offline("4/push", restart);
    JsonNode sent = r.get("sentFacts").get("sent");
    String tom = r.get("sentFacts").get("ids").get("Tom").asText();
    assertEquals(
        "[\"lc.protobuf2.1\"]", r.get("subprotocols").toString(), "4.x with pushOfflineMessages");
    List<JsonNode> received = messageEvents(r.get("login").get("events"));
    assertEquals(
        ids(sent),
        received.stream().map(m -> m.get("id").asText()).toList(),
        () -> "in order: " + r.get("login"));
    for (int n = 0; n < 3; n++) {
      assertSameMessage(sent.get(n), received.get(n), tom);
    }
    for (JsonNode push : list(r.get("login").get("pushes"))) {
      assertTrue(
          push.path("offline").asBoolean(), () -> "offline: true on a queued message: " + push);
    }
    assertEquals(
        0, r.get("login").get("unreadPushes").size(), "version 1 gets no unread notification");
    assertEquals(List.of("offline 1 离线", "offline 2 离线", "offline 3 离线"), texts(r.get("history")));
    assertEquals(
        List.of(),
        eventNames(r.get("relogin").get("events")),
        () -> "acked: not pushed again " + r.get("relogin"));
    assertEquals(0, r.get("relogin").get("pushes").size(), () -> r.get("relogin").toString());
  }

  /**
   * §8.4: a default (v3) client gets one unread notification (count 3, the third as last message),
   * then history.
   */
  @ParameterizedTest(name = "sdk {0}, nodes restarted {1}")
  @CsvSource({"4,false", "5,false", "4,true", "5,true"})
  void a_default_client_gets_one_unread_count_of_three_at_login_and_the_three_through_history(
      int sdk, boolean restart) {
    JsonNode r = offline(sdk + "/unread", restart);
    JsonNode sent = r.get("sentFacts").get("sent");
    String tom = r.get("sentFacts").get("ids").get("Tom").asText();
    String cid = r.get("sentFacts").get("cid").asText();
    assertEquals("[\"lc.protobuf2.3\"]", r.get("subprotocols").toString());
    JsonNode login = r.get("login");
    assertEquals(
        List.of("UNREAD_MESSAGES_COUNT_UPDATE"),
        list(login.get("events")).stream().map(e -> e.get("event").asText()).toList(),
        () -> "one unread event, no message: " + login);
    assertEquals(0, login.get("pushes").size(), "no direct push to a v3 session at login");
    assertEquals(
        1,
        login.get("unreadPushes").size(),
        () -> "exactly one unread push: " + login.get("unreadPushes"));
    JsonNode conv = login.get("events").get(0).get("conversations").get(0);
    assertEquals(cid, conv.get("cid").asText());
    assertEquals(3, conv.get("unread").asInt(), conv::toString);
    assertFalse(conv.get("mentioned").asBoolean());
    assertSameMessage(sent.get(2), conv.get("lastMessage"), tom);
    assertEquals(sent.get(2).get("timestamp").asLong(), conv.get("lastMessageAt").asLong());
    assertEquals(3, r.get("conversation").get("unreadMessagesCount").asInt());
    JsonNode history = r.get("history");
    assertEquals(ids(sent), ids(history), () -> "the three in order: " + history);
    for (int n = 0; n < 3; n++) {
      assertSameMessage(sent.get(n), history.get(n), tom);
    }
    assertEquals(
        List.of(),
        eventNames(r.get("relogin").get("events")),
        () -> "read: nothing at the next login " + r.get("relogin"));
    assertEquals(
        0,
        r.get("relogin").get("unreadPushes").size(),
        () -> "read clears the count: " + r.get("relogin"));
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void the_offline_sender_and_receiver_are_on_different_nodes(int sdk) {
    JsonNode r = result("offline/" + sdk + "/unread");
    assertOnDifferentNodes(r.get("sentFacts"), "Tom", "Jerry");
    assertEquals(
        CLUSTER.second().webSocketUri().toString(),
        r.get("nodes").get(r.get("receiver").asText()).asText());
    assertEquals(
        CLUSTER.first().webSocketUri().toString(),
        r.get("sentFacts").get("nodes").get("Tom").asText());
  }

  // ------------------------------------------------------------------------------------------------------------
  // 4. history

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void history_pages_backwards_and_forwards_alike_for_both_members(int sdk) {
    JsonNode r = result("history/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry");
    assertEquals(List.of("h1", "h2", "h3", "h4", "h5"), texts(r.get("sent")));
    for (String reader : List.of("Tom", "Jerry")) {
      JsonNode p = r.get("pages").get(reader);
      String who = reader + ": " + p;
      assertEquals(
          List.of(List.of("h4", "h5"), List.of("h2", "h3"), List.of("h1")),
          pages(p.get("back")),
          "limit 2 from the newest backwards, each page in ascending order; " + who);
      assertEquals(
          List.of(List.of("h1", "h2"), List.of("h3", "h4"), List.of("h5")),
          pages(p.get("forward")),
          "direction NEW from the oldest; " + who);
      assertEquals(
          List.of("h2", "h3", "h4"),
          texts(p.get("between")),
          "between h5 and h1, both open; " + who);
      assertEquals(
          List.of("h1", "h2", "h3", "h4", "h5"),
          texts(p.get("betweenClosed")),
          "both closed; " + who);
      assertEquals(
          List.of("h3", "h4"),
          texts(p.get("upward")),
          "start older than end: oldest first after h2; " + who);
      assertEquals(
          List.of("h1", "h2", "h3", "h4", "h5"), texts(p.get("all")), "default limit; " + who);
      assertEquals(
          "[{\"texts\":[\"h4\",\"h5\"],\"done\":false},{\"texts\":[\"h2\",\"h3\"],\"done\":false},"
              + "{\"texts\":[\"h1\"],\"done\":true}]",
          p.get("iterator").toString(),
          "createMessagesIterator; " + who);
      for (JsonNode m : list(p.get("all"))) {
        assertEquals("Tom", m.get("from").asText());
      }
      assertEquals(ids(r.get("sent")), ids(p.get("all")));
    }
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void messages_sent_at_once_page_one_by_one_in_timestamp_then_id_order(int sdk) {
    JsonNode b = result("history/" + sdk).get("burst");
    List<JsonNode> sent = new ArrayList<>(list(b.get("sent")));
    sent.sort(
        Comparator.<JsonNode>comparingLong(m -> m.get("timestamp").asLong())
            .thenComparing(m -> m.get("id").asText()));
    List<String> order = sent.stream().map(m -> m.get("id").asText()).toList();
    assertEquals(
        order,
        list(b.get("all")).stream().map(JsonNode::asText).toList(),
        () -> "history ascending by (timestamp, id): " + b);
    List<String> back =
        new ArrayList<>(list(b.get("back")).stream().map(JsonNode::asText).toList());
    java.util.Collections.reverse(back);
    assertEquals(order, back, () -> "limit 1 backwards visits each once: " + b);
    assertEquals(
        order,
        list(b.get("forward")).stream().map(JsonNode::asText).toList(),
        () -> "limit 1 forwards: " + b);
    assertEquals(
        order,
        list(b.get("received")).stream().map(JsonNode::asText).toList(),
        () -> "pushed in timestamp order (§8.1): " + b);
  }

  /**
   * The SDK's own `Message Query > with limit`: {@code queryMessages({limit: 0})} finds nothing on
   * LeanCloud.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_history_query_with_limit_zero_returns_no_messages(int sdk) {
    JsonNode r = result("history/" + sdk);
    assertTrue(
        list(r.get("logsRequests")).stream()
            .anyMatch(l -> l.path("l").isNumber() && l.get("l").asInt() == 0),
        () -> "the SDK sends l: 0 as given: " + r.get("logsRequests"));
    for (String reader : List.of("Tom", "Jerry")) {
      JsonNode none = r.get("pages").get(reader).get("none");
      assertEquals(0, none.size(), () -> reader + " asked for 0 messages: " + none);
    }
  }

  private static List<List<String>> pages(JsonNode pages) {
    return list(pages).stream().map(JsMessagesIT::texts).toList();
  }

  // ------------------------------------------------------------------------------------------------------------
  // 5. receipts

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_receipt_message_gives_the_sender_a_delivered_at_update_when_the_receiver_acks(int sdk) {
    JsonNode r = result("receipt/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry");
    JsonNode d = r.get("delivered");
    JsonNode sent = r.get("sent");
    assertSameMessage(sent, messageEvents(d.get("events").get("Jerry")).get(0), "Tom");
    List<JsonNode> updates =
        list(d.get("events").get("Tom")).stream()
            .filter(e -> e.get("event").asText().equals("LAST_DELIVERED_AT_UPDATE"))
            .toList();
    assertFalse(updates.isEmpty(), () -> "LAST_DELIVERED_AT_UPDATE: " + d);
    assertEquals(r.get("cid").asText(), updates.get(0).get("cid").asText());
    JsonNode rcp = d.get("rcp").get(0);
    assertEquals(sent.get("id").asText(), rcp.get("id").asText(), rcp::toString);
    assertEquals(r.get("cid").asText(), rcp.get("cid").asText());
    assertEquals("Jerry", rcp.get("from").asText());
    assertFalse(rcp.has("read"), () -> "a delivery receipt has no read field: " + rcp);
    long t = rcp.get("t").asLong();
    assertTrue(t >= sent.get("timestamp").asLong(), () -> "delivered after it was sent: " + rcp);
    // Jerry has two devices: each ack may bring a receipt; the SDK keeps the latest time, the
    // message the first
    long latest =
        list(d.get("rcp")).stream().mapToLong(x -> x.get("t").asLong()).max().orElseThrow();
    assertEquals(latest, d.get("lastDeliveredAt").asLong(), "conversation.lastDeliveredAt");
    assertEquals("DELIVERED", d.get("messageAfter").get("status").asText(), d::toString);
    assertEquals(t, d.get("messageAfter").get("deliveredAt").asLong());
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void reading_gives_the_sender_a_read_at_update_and_clears_the_readers_other_device(int sdk) {
    JsonNode r = result("receipt/" + sdk);
    JsonNode read = r.get("read");
    assertEquals(1, r.get("jerryUnreadBeforeRead").asInt());
    List<JsonNode> updates =
        list(read.get("events").get("Tom")).stream()
            .filter(e -> e.get("event").asText().equals("LAST_READ_AT_UPDATE"))
            .toList();
    assertFalse(updates.isEmpty(), () -> "LAST_READ_AT_UPDATE: " + read);
    JsonNode rcp = read.get("rcp").get(0);
    assertTrue(rcp.get("read").asBoolean(), rcp::toString);
    assertEquals("Jerry", rcp.get("from").asText());
    assertEquals(r.get("cid").asText(), rcp.get("cid").asText());
    assertEquals(
        r.get("sent").get("timestamp").asLong(),
        rcp.get("t").asLong(),
        "read up to the message's timestamp");
    assertEquals(rcp.get("t").asLong(), read.get("lastReadAt").asLong(), "conversation.lastReadAt");
    // §6.14: the reader's other device (on the other node) gets unread 0
    JsonNode other = read.get("otherDeviceUnread");
    assertEquals(1, other.size(), other::toString);
    assertEquals(0, other.get(0).get("convs").get(0).path("unread").asInt(-1), other::toString);
    List<JsonNode> otherEvents = list(read.get("events").get("Jerry@2"));
    assertEquals(
        0,
        otherEvents.get(otherEvents.size() - 1).get("conversations").get(0).get("unread").asInt(),
        otherEvents::toString);
    assertOnDifferentNodes(r, "Jerry", "Jerry@2");
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void max_read_answers_the_delivered_and_read_positions(int sdk) {
    JsonNode r = result("receipt/" + sdk);
    JsonNode m = r.get("maxRead");
    long ts = r.get("sent").get("timestamp").asLong();
    JsonNode reply = m.get("reply").get(0);
    assertEquals(ts, reply.get("maxAckTimestamp").asLong(), reply::toString);
    assertEquals(ts, reply.get("maxReadTimestamp").asLong(), reply::toString);
    assertEquals(ts, m.get("lastDeliveredAt").asLong());
    assertEquals(ts, m.get("lastReadAt").asLong());
  }

  /**
   * The SDK's own `Messages > read`: conv/max_read with queryAllMembers answers the other members
   * only, and the first tuple (the other member of a private chat) has both times. The requester's
   * own tuple, delivered but never read, sorted first (Jerry is first among the members) and the
   * SDK's check failed with a TypeError.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void max_read_of_all_members_answers_the_other_members_with_both_times(int sdk) {
    JsonNode r = result("read-receipts/" + sdk);
    assertEquals(
        "Jerry",
        r.get("members").get(0).asText(),
        () -> "the requester is first: " + r.get("members"));
    long ts = r.get("sent").get("timestamp").asLong();
    JsonNode first = r.get("firstTuple");
    assertFalse(
        first.has("error"),
        () -> "the SDK's check of the first tuple: " + first + "; reply " + r.get("reply"));
    assertEquals("Tom", first.get("pid").asText(), first::toString);
    assertEquals(1, r.get("all").size(), () -> "only the other member: " + r.get("all"));
    assertEquals(ts, r.get("all").get(0).get("lastReadAt").asLong(), () -> r.get("all").toString());
    assertTrue(
        r.get("all").get(0).get("lastDeliveredAt").asLong() >= ts, () -> r.get("all").toString());
    for (JsonNode tuple : list(r.get("reply").get(0).get("maxReadTuples"))) {
      assertNotEquals(
          "Jerry", tuple.get("pid").asText(), () -> "no tuple of the requester: " + r.get("reply"));
    }
    assertEquals(ts, r.get("own").get("lastReadAt").asLong(), () -> r.get("own").toString());
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void no_delivery_receipt_without_the_receipt_flag(int sdk) {
    JsonNode n = result("receipt/" + sdk).get("noReceipt");
    assertEquals(0, n.get("rcp").size(), n::toString);
    assertEquals(List.of(), eventNames(n.get("events")));
    assertEquals("SENT", n.get("status").asText());
  }

  /**
   * §6.15: LogItem {@code ackAt}/{@code readAt} tell when the other member of a 2-member
   * conversation received / read the message (§9.3 keeps them); the JS SDK turns {@code ackAt} into
   * the DELIVERED status of history.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void history_of_a_two_member_conversation_carries_ack_at_and_read_at(int sdk) {
    JsonNode r = result("receipt/" + sdk);
    JsonNode logs = r.get("historyLogs").get(0).get("logs");
    JsonNode first = logs.get(0);
    assertEquals(r.get("sent").get("id").asText(), first.get("msgId").asText());
    assertTrue(first.has("ackAt"), () -> "ackAt of a message Jerry acked: " + logs);
    assertTrue(first.has("readAt"), () -> "readAt of a message Jerry read: " + logs);
    assertEquals(
        "DELIVERED",
        r.get("history").get(0).get("status").asText(),
        () -> r.get("history").toString());
  }

  // ------------------------------------------------------------------------------------------------------------
  // 5c. temporary conversations

  /**
   * The SDK's own `TemporaryConversation > create, send and recieve`: 5.x starts temporary
   * conversations with unique: true, so Jerry's start with Tom gets Tom's conversation (the very
   * object the SDK cached when the message came); 4.3.1 sends unique: false and gets a new one.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_unique_temporary_start_of_the_same_members_returns_the_unexpired_one(int sdk) {
    JsonNode r = result("temporary/" + sdk);
    String cid = r.get("cid").asText();
    assertTrue(cid.startsWith("_tmp:"), cid);
    assertOnDifferentNodes(r, "Tom", "Jerry");
    assertSameMessage(r.get("sent"), r.get("received").get("message"), "Tom");
    assertEquals(cid, r.get("received").get("cid").asText());
    assertFalse(r.get("received").get("expired").asBoolean());
    JsonNode again = r.get("again");
    JsonNode start =
        list(r.get("starts")).stream()
            .filter(s -> s.get("step").asText().equals("again"))
            .findFirst()
            .orElseThrow();
    assertTrue(start.get("tempConv").asBoolean(), start::toString);
    if (sdk == 5) {
      assertTrue(start.get("unique").asBoolean(), start::toString);
      assertEquals(cid, again.get("cid").asText(), () -> "the existing one: " + again);
      assertTrue(again.get("sameObject").asBoolean(), again::toString);
      assertFalse(again.get("expired").asBoolean());
    } else {
      assertFalse(start.path("unique").asBoolean(), start::toString);
      assertNotEquals(cid, again.get("cid").asText(), () -> "4.3.1 asks for a new one: " + again);
    }
  }

  /**
   * The SDK's own `TemporaryConversation > expiration`: an expired temporary conversation is
   * answered 4303 CONVERSATION_NOT_FOUND, which the SDK turns into its
   * TEMPORARY_CONVERSATION_EXPIRED error with its own message (a 4323 from the server reached the
   * app as "TEMPORARY_CONVERSATION_EXPIRED"; docs/protocol-notes.md).
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void an_expired_temporary_conversation_is_refused_as_the_sdk_expects(int sdk) {
    JsonNode e = result("temporary/" + sdk).get("expire");
    assertTrue(e.get("expiredLocally").asBoolean(), e::toString);
    assertFalse(e.get("expiredAfterMove").asBoolean(), e::toString);
    for (String check : List.of("local", "server")) {
      JsonNode error = e.get(check);
      assertEquals(4323, error.path("code").asInt(), () -> check + ": " + e);
      assertEquals(
          "TEMPORARY_CONVERSATION_EXPIRED", error.path("name").asText(), () -> check + ": " + e);
      assertEquals(
          "Temporary conversation expired or does not exist.",
          error.path("message").asText(),
          () -> check + ": " + e);
    }
    JsonNode ack = e.get("acks").get(0);
    assertEquals(4303, ack.get("code").asInt(), ack::toString);
    assertEquals("CONVERSATION_NOT_FOUND", ack.get("reason").asText(), ack::toString);
  }

  /**
   * After expiry a temporary start never returns the expired conversation: a new, live one (unique
   * in 5.x).
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void after_expiry_a_temporary_start_gets_a_new_live_conversation(int sdk) {
    JsonNode r = result("temporary/" + sdk);
    JsonNode renew = r.get("renew");
    String expired = r.get("expire").get("cid").asText();
    String cid = renew.get("cid").asText();
    assertTrue(cid.startsWith("_tmp:") && !cid.equals(expired), () -> renew + " after " + expired);
    assertFalse(renew.get("expired").asBoolean(), renew::toString);
    assertTrue(
        renew.get("expiredAt").asLong() > renew.get("createdAt").asLong() + 50_000,
        renew::toString);
    assertEquals(cid, renew.get("sent").get("cid").asText(), renew::toString);
    if (sdk == 5) {
      assertEquals(
          cid, renew.get("again").asText(), () -> "the live one is the unique one now: " + renew);
    } else {
      assertNotEquals(cid, renew.get("again").asText(), renew::toString);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // 6. chatroom

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_chatroom_message_reaches_who_is_in_the_room_only(int sdk) {
    JsonNode r = result("chatroom/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry", "Bob", "William");
    assertEquals(3, r.get("countAfterJoins").asInt());
    JsonNode send = r.get("send");
    JsonNode sent = r.get("sent");
    List<JsonNode> jerry = messageEvents(send.get("events").get("Jerry"));
    assertEquals(1, jerry.size(), () -> send.toString());
    assertSameMessage(sent, jerry.get(0), "Tom");
    assertEquals(
        2, send.get("pushes").get("Jerry").get(0).get("convType").asInt(), "convType 2 = chatroom");
    for (String nobody : List.of("Tom", "Bob", "William")) {
      assertEquals(
          List.of(), eventNames(send.get("events").get(nobody)), () -> nobody + ": " + send);
      assertEquals(
          0, send.get("pushes").get(nobody).size(), () -> nobody + ": " + send.get("pushes"));
    }
    assertEquals(
        List.of("room message 房间"), texts(r.get("history")), "chatroom messages are stored");
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void who_left_the_chatroom_gets_neither_the_message_nor_an_unread_count_at_the_next_login(
      int sdk) {
    JsonNode relogin = result("chatroom/" + sdk).get("relogin");
    assertEquals(List.of(), list(relogin.get("events").get("Bob@again")), relogin::toString);
    assertEquals(0, relogin.get("pushes").size(), relogin::toString);
    assertEquals(0, relogin.get("unreadPushes").size(), relogin::toString);
  }

  // ------------------------------------------------------------------------------------------------------------
  // 7. will messages

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_will_message_reaches_the_other_members_when_the_senders_socket_dies(int sdk) {
    JsonNode r = result("will/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry", "Bob");
    assertTrue(r.get("willSent").get(0).get("will").asBoolean(), "sent with will: true");
    assertFalse(r.get("willAck").get("id").asText().isEmpty(), "acked at once");
    JsonNode register = r.get("register").get("events");
    for (String member : List.of("Jerry", "Bob")) {
      assertEquals(
          List.of(),
          eventNames(register.get(member)),
          () -> "not delivered while Tom is online: " + register);
    }
    JsonNode kill = r.get("kill");
    for (String member : List.of("Jerry", "Bob")) {
      List<JsonNode> got = messageEvents(kill.get("events").get(member));
      assertEquals(1, got.size(), () -> member + ": " + kill);
      assertEquals("Tom 掉线了", got.get(0).get("text").asText());
      assertEquals("Tom", got.get(0).get("from").asText());
      assertEquals(r.get("cid").asText(), got.get(0).get("cid").asText());
    }
    assertEquals(
        messageEvents(kill.get("events").get("Jerry")).get(0).get("id"),
        messageEvents(kill.get("events").get("Bob")).get(0).get("id"));
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_will_message_is_discarded_on_a_clean_close_and_never_stored(int sdk) {
    JsonNode r = result("will/" + sdk);
    JsonNode clean = r.get("clean").get("events");
    for (String member : List.of("Tom", "Jerry")) {
      assertEquals(
          List.of(),
          eventNames(clean.get(member)),
          () -> member + " after Bob's clean close: " + clean);
    }
    assertEquals(
        List.of(),
        texts(r.get("history")),
        () -> "will messages are not in history: " + r.get("history"));
  }

  // ------------------------------------------------------------------------------------------------------------
  // 8. recall and edit

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_recall_reaches_the_other_members_and_shows_in_history(int sdk) {
    JsonNode r = result("patch/" + sdk);
    assertOnDifferentNodes(r, "Tom", "Jerry", "Bob");
    JsonNode original = r.get("sent").get(0);
    JsonNode recall = r.get("recall");
    assertEquals("modified", recall.get("reply").get(0).get("op").asText(), recall::toString);
    long patchTime = recall.get("reply").get(0).get("body").get("lastPatchTime").asLong();
    for (String member : List.of("Jerry", "Bob")) {
      List<JsonNode> events = list(recall.get("events").get(member));
      assertEquals(
          List.of("MESSAGE_RECALL"),
          eventNames(recall.get("events").get(member)),
          () -> member + ": " + recall);
      JsonNode m = events.get(0).get("message");
      assertEquals("RecalledMessage", m.get("class").asText());
      assertEquals(-127, m.get("type").asInt());
      assertEquals(original.get("id").asText(), m.get("id").asText());
      assertEquals(original.get("timestamp").asLong(), m.get("timestamp").asLong());
      assertEquals("Tom", m.get("from").asText());
      assertEquals(patchTime, m.get("updatedAt").asLong());
      JsonNode patch = recall.get("pushes").get(member).get(0).get("patches").get(0);
      assertTrue(patch.get("recall").asBoolean());
      assertEquals("{\"_lctype\":-127}", patch.get("data").asText());
    }
    assertEquals(List.of(), eventNames(recall.get("events").get("Tom")));
    for (String reader : List.of("Jerry", "Tom")) {
      JsonNode h = r.get("history").get(reader).get(0);
      assertEquals(original.get("id").asText(), h.get("id").asText());
      assertEquals("RecalledMessage", h.get("class").asText(), () -> reader + " history: " + h);
      assertEquals(patchTime, h.get("updatedAt").asLong());
    }
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void an_edit_reaches_the_other_members_and_shows_in_history(int sdk) {
    JsonNode r = result("patch/" + sdk);
    JsonNode original = r.get("sent").get(1);
    JsonNode update = r.get("update");
    assertEquals("modified", update.get("reply").get(0).get("op").asText(), update::toString);
    long patchTime = update.get("reply").get(0).get("body").get("lastPatchTime").asLong();
    for (String member : List.of("Jerry", "Bob")) {
      assertEquals(
          List.of("MESSAGE_UPDATE"),
          eventNames(update.get("events").get(member)),
          () -> member + ": " + update);
      JsonNode m = list(update.get("events").get(member)).get(0).get("message");
      assertEquals("TextMessage", m.get("class").asText());
      assertEquals("edited 已修改", m.get("text").asText());
      assertEquals(original.get("id").asText(), m.get("id").asText());
      assertEquals(original.get("timestamp").asLong(), m.get("timestamp").asLong());
      assertEquals("Tom", m.get("from").asText());
      assertEquals(patchTime, m.get("updatedAt").asLong());
    }
    assertEquals(List.of(), eventNames(update.get("events").get("Tom")));
    for (String reader : List.of("Jerry", "Tom")) {
      JsonNode h = r.get("history").get(reader).get(1);
      assertEquals(original.get("id").asText(), h.get("id").asText());
      assertEquals("edited 已修改", h.get("text").asText(), () -> reader + " history: " + h);
      assertEquals(patchTime, h.get("updatedAt").asLong());
      assertEquals(original.get("timestamp").asLong(), h.get("timestamp").asLong());
    }
  }
}
