package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.testing.NodeCluster;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seed's conversation scenarios (private chat, group with a custom attribute, the invite / kick
 * / leave tables, chatroom) driven through the unmodified official JS SDKs (leancloud-realtime
 * 4.3.1 and 5.0.0-rc.8) by {@code src/test/js/conversations.js}, clients spread over a two-node
 * cluster. Every assertion names who gets which SDK event with which payload, and who gets nothing
 * (docs/protocol.md §6.1–§6.4, §11), both as the SDK reports it and as the pushes on each client's
 * WebSocket.
 *
 * <p>Each scenario runs once per variant; the test methods assert different facts of that one run
 * (cached). The runs mostly wait for quiet after each step, so they start together before the first
 * test, three at a time.
 */
// Its own two nodes, clients with run-unique ids and no app-wide counts; its Node.js clients mostly
// wait for quiet: it runs beside the module's other integration tests (failsafe's JUnit
// configuration).
@Execution(ExecutionMode.CONCURRENT)
class JsConversationsIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR =
      Path.of(System.getProperty("parley.js.dir", "src/test/js")).toAbsolutePath();
  private static final Map<String, CompletableFuture<JsonNode>> RUNS = new ConcurrentHashMap<>();

  /** Three runs at a time: each is a Node.js process with up to five SDK clients. */
  private static final ExecutorService RUNNERS =
      Executors.newFixedThreadPool(
          3,
          task -> {
            Thread thread = new Thread(task, "conversations.js");
            thread.setDaemon(true);
            return thread;
          });

  @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.own(2, "");

  // ------------------------------------------------------------------------------------------------------------
  // running conversations.js

  /**
   * Starts every run the tests below read (a run not listed here starts when a test first reads
   * it).
   */
  @BeforeAll
  static void startEveryRun() {
    for (String scenario :
        List.of("private-chat", "group-query", "roles", "chatroom", "self-join")) {
      start(scenario, 4, true, false);
      start(scenario, 5, true, false);
    }
    start("seed-tables", 4, true, false);
    start("seed-tables", 5, true, false);
    start("seed-tables", 5, false, true);
    start("reliable-notifications", 5, true, false);
  }

  @AfterAll
  static void stopRunners() {
    RUNNERS.shutdownNow();
  }

  /**
   * The scenario's result for this variant: run once, then shared by every test that asserts on it.
   */
  private static JsonNode scenario(String scenario, int sdk, boolean binary, boolean shared) {
    JsonNode result;
    try {
      result = start(scenario, sdk, binary, shared).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
    assertTrue(
        result.path("ok").asBoolean(), () -> scenario + " (sdk " + sdk + ") failed: " + result);
    return result;
  }

  /** The run of this variant, started now unless it already was. */
  private static CompletableFuture<JsonNode> start(
      String scenario, int sdk, boolean binary, boolean shared) {
    String key = scenario + "/" + sdk + "/" + binary + "/" + shared;
    return RUNS.computeIfAbsent(
        key,
        k ->
            CompletableFuture.supplyAsync(
                () -> {
                  List<String> args =
                      new ArrayList<>(
                          List.of(
                              "--sdk",
                              Integer.toString(sdk),
                              "--rtm",
                              CLUSTER.first().webSocketUri()
                                  + ","
                                  + CLUSTER.second().webSocketUri(),
                              "--run",
                              UUID.randomUUID().toString().substring(0, 6)));
                  if (!binary) {
                    args.add("--no-binary");
                  }
                  if (shared) {
                    args.add("--share-connection");
                  }
                  return run(scenario, args);
                },
                RUNNERS));
  }

  private static JsonNode scenario(String scenario, int sdk) {
    return scenario(scenario, sdk, true, false);
  }

  /** Runs {@code node conversations.js <scenario> <args>}; the result is its last stdout line. */
  static JsonNode run(String scenario, List<String> arguments) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--app-id",
                "parley-dev",
                "--app-key",
                "parley-dev-key",
                "--timeout-ms",
                Long.toString(TIMEOUT.toMillis())));
    all.addAll(arguments);
    return JsSdk.runScript("conversations.js", scenario, all, TIMEOUT);
  }

  // ------------------------------------------------------------------------------------------------------------
  // expectations

  private static String event(String name, String cid, String by, String... members) {
    StringBuilder s =
        new StringBuilder("{\"event\":\"")
            .append(name)
            .append("\",\"cid\":\"")
            .append(cid)
            .append('"');
    String byKey =
        switch (name) {
          case "INVITED", "MEMBERS_JOINED" -> "invitedBy";
          default -> "kickedBy";
        };
    s.append(",\"").append(byKey).append("\":\"").append(by).append('"');
    if (members.length > 0) {
      s.append(",\"members\":").append(strings(members));
    }
    return s.append('}').toString();
  }

  private static String strings(String... values) {
    try {
      return JSON.writeValueAsString(values);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The SDK events one client got in one step, without the INVITED event's conversation snapshot.
   */
  private static List<String> events(JsonNode perClient, String client) {
    JsonNode list = perClient.get(client);
    assertTrue(
        list != null && list.isArray(), () -> "no event list for " + client + " in " + perClient);
    List<String> out = new ArrayList<>();
    for (JsonNode e : list) {
      ObjectNode copy = e.deepCopy();
      copy.remove("conversation");
      out.add(copy.toString());
    }
    return out;
  }

  /** The conv pushes (op:initBy:m) one client's WebSocket carried in one step, addressed to it. */
  private static List<String> pushes(JsonNode perClient, String client, String cid) {
    List<String> out = new ArrayList<>();
    for (JsonNode p : perClient.get(client)) {
      assertEquals(
          client, p.path("peerId").asText(), () -> "push not addressed to its recipient: " + p);
      assertEquals(cid, p.path("cid").asText(), p::toString);
      out.add(
          p.get("op").asText()
              + ":"
              + p.path("initBy").asText()
              + ":"
              + (p.has("m") ? p.get("m").toString() : "-"));
    }
    return out;
  }

  private static void assertGets(
      JsonNode step,
      String cid,
      String client,
      List<String> expectedEvents,
      List<String> expectedPushes) {
    assertEquals(
        expectedEvents,
        events(step.get("events"), client),
        () -> client + " SDK events in " + step);
    if (step.has("pushes")) {
      assertEquals(
          expectedPushes,
          pushes(step.get("pushes"), client, cid),
          () -> client + " pushes in " + step);
    }
  }

  private static void assertGetsNothing(JsonNode step, String cid, String client) {
    assertGets(step, cid, client, List.of(), List.of());
  }

  private static List<String> texts(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  // ------------------------------------------------------------------------------------------------------------
  // 1. private chat

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void creation_invites_the_other_member_and_not_the_creator(int sdk) {
    JsonNode r = scenario("private-chat", sdk);
    String cid = r.get("cid").asText();
    ObjectNode create = JSON.createObjectNode();
    create.set("events", r.get("events"));
    create.set("pushes", r.get("pushes"));
    assertGets(
        create, cid, "Jerry", List.of(event("INVITED", cid, "Tom")), List.of("joined:Tom:-"));
    assertGetsNothing(create, cid, "Tom");
    assertEquals(
        List.of("Jerry", "Tom"),
        texts(r.get("startSent").get("m")),
        "JS adds the creator and sorts");
    assertEquals(CLUSTER.first().webSocketUri().toString(), r.get("nodes").get("Tom").asText());
    assertEquals(
        CLUSTER.second().webSocketUri().toString(),
        r.get("nodes").get("Jerry").asText(),
        "Tom and Jerry on different nodes");
    assertEquals(0, r.get("unhandledRejections").size(), r::toString);
  }

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void the_invited_sdk_reads_the_name_back_with_a_query_by_id(int sdk) {
    JsonNode jerry = scenario("private-chat", sdk).get("jerry");
    assertEquals("Tom", jerry.get("invitedBy").asText());
    assertEquals("Tom & Jerry", jerry.get("name").asText(), jerry::toString);
    assertEquals(List.of("Jerry", "Tom"), texts(jerry.get("members")));
    assertTrue(
        jerry.get("queriedById").asBoolean(),
        "the SDK resolved the unknown conversation with conv/query");
  }

  /**
   * 5.x creates with {@code unique: true} by default, so Jerry's second start of the same member
   * set gets Tom's conversation back and nobody hears of it (§6.1 step 5). 4.3.1 defaults to {@code
   * unique: false}: its first conversation is not unique, the second (explicitly unique) start
   * creates a new one and invites Tom.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_unique_start_of_the_same_members_returns_the_unique_conversation_silently(int sdk) {
    JsonNode r = scenario("private-chat", sdk);
    JsonNode again = r.get("again");
    String cid = r.get("cid").asText();
    assertTrue(again.get("startSent").get("unique").asBoolean());
    if (sdk == 5) {
      assertTrue(r.get("uniqueSent").asBoolean(), "5.x default");
      assertTrue(r.get("uniqueStored").asBoolean());
      assertEquals(cid, again.get("cid").asText(), "the existing unique conversation");
      assertEquals(List.of(), events(again.get("events"), "Tom"));
      assertEquals(List.of(), events(again.get("events"), "Jerry"));
    } else {
      assertFalse(r.get("uniqueSent").asBoolean(), "4.3.1 default: unique false, not sent");
      assertFalse(r.get("uniqueStored").asBoolean());
      String second = again.get("cid").asText();
      assertNotEquals(cid, second, "a non-unique conversation is never matched");
      assertEquals(List.of(event("INVITED", second, "Jerry")), events(again.get("events"), "Tom"));
      assertEquals(List.of(), events(again.get("events"), "Jerry"));
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // 2. group and query

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void jerry_finds_the_group_by_its_type_and_his_membership(int sdk) {
    JsonNode r = scenario("group-query", sdk);
    String cid = r.get("cid").asText();
    assertEquals(List.of(cid), texts(r.get("query").get("ids")));
    JsonNode found = r.get("query").get("found").get(0);
    assertEquals("group", found.get("name").asText());
    assertEquals("group", found.get("type").asText());
    assertEquals(List.of("Bob", "Harry", "Jerry", "Tom"), texts(found.get("members")));
    assertEquals("Tom", found.get("creator").asText());
    assertTrue(
        r.get("plainQuery").get("includesCid").asBoolean(),
        () -> "equalTo('type','group') alone: " + r.get("plainQuery"));
    assertEquals(List.of("group"), texts(r.get("plainQuery").get("types")));
    JsonNode byId = r.get("byId").get(0);
    assertEquals(cid, byId.get("id").asText());
    assertEquals("group", byId.get("type").asText());
    for (String invitee : List.of("Jerry", "Bob", "Harry")) {
      assertEquals(List.of(event("INVITED", cid, "Tom")), events(r.get("events"), invitee));
    }
    assertEquals(List.of(), events(r.get("events"), "Tom"));
  }

  /** DECISION §6.1: custom attributes are stored key by key as sent; JS sends them top level. */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void custom_attributes_are_stored_as_sent_top_level(int sdk) {
    JsonNode r = scenario("group-query", sdk);
    assertEquals(
        "{\"type\":\"group\",\"name\":\"group\"}", r.get("startSent").get("attr").asText());
    JsonNode found = r.get("query").get("found").get(0);
    assertTrue(found.get("attr").isNull(), () -> "not nested under attr: " + found);
    assertEquals("group", found.get("attributes").get("type").asText());
  }

  // ------------------------------------------------------------------------------------------------------------
  // 3. the seed's tables

  private static JsonNode tables(int sdk, boolean binary, boolean shared) {
    JsonNode r = scenario("seed-tables", sdk, binary, shared);
    assertEquals(
        binary ? "[\"lc.protobuf2.3\"]" : "[\"lc.proto2base64.3\"]",
        r.get("subprotocols").toString());
    assertEquals(
        shared ? 2 : 5,
        r.get("connections").asInt(),
        "one WebSocket per " + (shared ? "node" : "client"));
    assertEquals(0, r.get("unhandledRejections").size(), r::toString);
    return r;
  }

  @ParameterizedTest(name = "sdk {0}, binary {1}, one WebSocket per node {2}")
  @CsvSource({"4,true,false", "5,true,false", "5,false,true"})
  void creating_the_group_invites_every_other_member(int sdk, boolean binary, boolean shared) {
    JsonNode r = tables(sdk, binary, shared);
    String cid = r.get("cid").asText();
    JsonNode create = r.get("steps").get("create");
    for (String invitee : List.of("Jerry", "Bob", "Harry")) {
      assertGets(
          create, cid, invitee, List.of(event("INVITED", cid, "Tom")), List.of("joined:Tom:-"));
    }
    assertGetsNothing(create, cid, "Tom");
    assertGetsNothing(create, cid, "William");
  }

  /**
   * Seed table "A 邀请 D": A, B, C OnMembersJoined; D OnInvited (§11 DECISION: the inviter included).
   */
  @ParameterizedTest(name = "sdk {0}, binary {1}, one WebSocket per node {2}")
  @CsvSource({"4,true,false", "5,true,false", "5,false,true"})
  void invitee_gets_invited_and_everyone_else_incl_the_inviter_gets_members_joined(
      int sdk, boolean binary, boolean shared) {
    JsonNode r = tables(sdk, binary, shared);
    String cid = r.get("cid").asText();
    JsonNode invite = r.get("steps").get("invite");
    assertEquals(
        List.of(r.get("ids").get("William").asText()),
        texts(invite.get("result").get("successfulClientIds")));
    assertEquals(0, invite.get("result").get("failures").size());
    assertGets(
        invite, cid, "William", List.of(event("INVITED", cid, "Tom")), List.of("joined:Tom:-"));
    for (String member : List.of("Tom", "Jerry", "Bob", "Harry")) {
      assertGets(
          invite,
          cid,
          member,
          List.of(event("MEMBERS_JOINED", cid, "Tom", "William")),
          List.of("members_joined:Tom:[\"William\"]"));
    }
    assertEquals(
        List.of("Bob", "Harry", "Jerry", "Tom", "William"), texts(invite.get("tomMembers")));
  }

  /**
   * Seed table "A 将 B 踢出": B OnKicked, A and C OnMembersLeft; the kicked one hears nothing more.
   */
  @ParameterizedTest(name = "sdk {0}, binary {1}, one WebSocket per node {2}")
  @CsvSource({"4,true,false", "5,true,false", "5,false,true"})
  void kicked_member_gets_kicked_and_nothing_more_as_the_seed_table_says(
      int sdk, boolean binary, boolean shared) {
    JsonNode r = tables(sdk, binary, shared);
    String cid = r.get("cid").asText();
    JsonNode kick = r.get("steps").get("kick");
    assertEquals(
        List.of(r.get("ids").get("Harry").asText()),
        texts(kick.get("result").get("successfulClientIds")));
    assertGets(kick, cid, "Harry", List.of(event("KICKED", cid, "Tom")), List.of("left:Tom:-"));
    for (String member : List.of("Tom", "Jerry", "Bob", "William")) {
      assertGets(
          kick,
          cid,
          member,
          List.of(event("MEMBERS_LEFT", cid, "Tom", "Harry")),
          List.of("members_left:Tom:[\"Harry\"]"));
    }
    assertGetsNothing(r.get("steps").get("quit"), cid, "Harry");
    assertEquals(List.of("Bob", "Jerry", "Tom", "William"), texts(kick.get("tomMembers")));
  }

  /**
   * Seed table "A 退出对话", played by a member (Jerry): the quitter gets nothing, the others
   * OnMembersLeft (§6.3 DECISION against the docs' tables). Tom, the owner, cannot quit under the
   * default configuration.
   */
  @ParameterizedTest(name = "sdk {0}, binary {1}, one WebSocket per node {2}")
  @CsvSource({"4,true,false", "5,true,false", "5,false,true"})
  void quitter_gets_nothing_as_the_seed_table_says(int sdk, boolean binary, boolean shared) {
    JsonNode r = tables(sdk, binary, shared);
    String cid = r.get("cid").asText();
    JsonNode ownerQuit = r.get("steps").get("ownerQuit");
    assertEquals(
        "CONVERSATION_NEED_OWNER",
        ownerQuit.path("error").path("message").asText(),
        ownerQuit::toString);
    JsonNode quit = r.get("steps").get("quit");
    assertGetsNothing(quit, cid, "Jerry");
    for (String member : List.of("Tom", "Bob", "William")) {
      assertGets(
          quit,
          cid,
          member,
          List.of(event("MEMBERS_LEFT", cid, "Jerry", "Jerry")),
          List.of("members_left:Jerry:[\"Jerry\"]"));
    }
    assertEquals(
        List.of("Bob", "Tom", "William"),
        texts(r.get("steps").get("after").get("members")),
        "the member list a remaining member reads back");
  }

  /**
   * The SDK suite's {@code owner can not quit} and {@code member can not promote itself}, default
   * configuration.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void by_default_the_owner_can_not_quit_and_a_member_can_not_promote_itself(int sdk) {
    JsonNode r = scenario("roles", sdk);
    assertEquals(
        "CONVERSATION_OPERATION_UNAUTHORIZED",
        r.get("promoteSelf").path("error").path("message").asText(),
        () -> "member can not promote itself: " + r.get("promoteSelf"));
    assertEquals(4320, r.get("promoteSelf").path("error").path("code").asInt());
    assertEquals(
        "CONVERSATION_NEED_OWNER",
        r.get("ownerQuit").path("error").path("message").asText(),
        () -> "owner can not quit: " + r.get("ownerQuit"));
    assertEquals(4324, r.get("ownerQuit").path("error").path("code").asInt());
    JsonNode kick = r.get("kickOwner").get("result");
    assertEquals(
        0,
        kick.get("successfulClientIds").size(),
        () -> "no member ejects the owner: " + r.get("kickOwner"));
    assertEquals("CONVERSATION_NEED_OWNER", kick.get("failures").get(0).get("message").asText());
    assertTrue(
        r.get("makeOwner").has("error"), () -> "nobody is made Owner: " + r.get("makeOwner"));
    assertTrue(
        r.get("promote").path("ok").asBoolean(),
        () -> "the owner makes a manager: " + r.get("promote"));
    assertEquals(List.of("Bob", "Jerry", "Tom"), texts(r.get("membersAfter")));
    assertEquals(
        0,
        r.path("unhandledRejections").size(),
        () -> "SDK errors: " + r.path("unhandledRejections"));
  }

  // ------------------------------------------------------------------------------------------------------------
  // 4. chatroom

  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void chatroom_counts_who_joined_and_forgets_a_closed_client_without_member_events(int sdk) {
    JsonNode r = scenario("chatroom", sdk);
    assertEquals("ChatRoom", r.get("tomView").get("className").asText());
    assertTrue(r.get("startSent").get("transient").asBoolean());
    for (String joiner : List.of("Jerry", "Bob")) {
      JsonNode view = r.get("joinedView").get(joiner);
      assertEquals("ChatRoom", view.get("className").asText(), view::toString);
      assertEquals("room", view.get("name").asText());
      assertEquals(0, view.get("members").size(), "no persisted member list");
    }
    assertEquals(3, r.get("countAfterJoins").asInt());
    assertEquals(2, r.get("countAfterClose").asInt(), () -> "polls " + r.get("countPolls"));
    for (String step : List.of("create", "join", "close", "seed-room")) {
      for (String client : List.of("Tom", "Jerry")) {
        assertEquals(
            List.of(),
            events(r.get("events").get(step), client),
            () -> "chatrooms have no member events: " + step);
      }
    }
  }

  /**
   * The seed creates its chatroom with members (isTransient: true); they are ignored, nobody is
   * invited.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_chatroom_created_with_members_invites_nobody_and_holds_only_its_creator(int sdk) {
    JsonNode room = scenario("chatroom", sdk).get("seedRoom");
    assertEquals(3, room.get("startSent").get("m").size(), "the SDK sent the members");
    assertEquals(1, room.get("count").asInt(), room::toString);
    assertEquals("ChatRoom", room.get("reread").get("className").asText());
    assertEquals(0, room.get("reread").get("members").size(), "m is not stored for chatrooms");
    JsonNode events = scenario("chatroom", sdk).get("events").get("seed-room");
    assertEquals(List.of(), events(events, "Jerry"), "a chatroom's listed member is not invited");
  }

  // ------------------------------------------------------------------------------------------------------------
  // "William 加入": a non-member joins by id

  /**
   * §11 "I joins": the joiner and every member get members_joined{m:[I]}, nobody gets
   * joined/INVITED.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_self_joiner_and_every_member_get_members_joined(int sdk) {
    JsonNode r = scenario("self-join", sdk);
    String cid = r.get("cid").asText();
    JsonNode join = r.get("steps").get("join");
    for (String client : List.of("Tom", "Jerry", "William")) {
      assertGets(
          join,
          cid,
          client,
          List.of(event("MEMBERS_JOINED", cid, "William", "William")),
          List.of("members_joined:William:[\"William\"]"));
    }
    assertEquals(List.of("Jerry", "Tom", "William"), texts(r.get("williamAfter").get("members")));
  }

  // ------------------------------------------------------------------------------------------------------------
  // JS 5 over REST: member roles and reliable notifications (REST-AND-HOOKS §2.2, §2.3;
  // docs/protocol.md §15)

  /** The HTTP requests the SDK made in one step to a path, as "METHOD status". */
  private static List<String> http(JsonNode r, String step, String path) {
    return StreamSupport.stream(r.get("http").spliterator(), false)
        .filter(
            request ->
                request.get("step").asText().equals(step)
                    && request.get("url").asText().contains(path))
        .map(request -> request.get("method").asText() + " " + request.get("status").asText())
        .toList();
  }

  /**
   * Roles set with conv/member_info_update come back from _ConversationMemberInfo as the SDK reads
   * them.
   */
  @org.junit.jupiter.api.Test
  void get_all_member_info_returns_the_roles_set_through_the_protocol() {
    JsonNode r = scenario("reliable-notifications", 5);
    assertEquals(
        "[{\"member\":\"Bob\",\"role\":\"Member\"},{\"member\":\"Jerry\",\"role\":\"Manager\"},"
            + "{\"member\":\"Tom\",\"role\":\"Owner\"}]",
        r.get("memberInfo").toString());
    // Every member's SDK also re-reads the roles when member_info_changed arrives; all of them are
    // answered.
    List<String> reads =
        http(
            r,
            "roles",
            "/1.1/classes/_ConversationMemberInfo?client_id=" + r.get("ids").get("Jerry").asText());
    assertFalse(reads.isEmpty(), r.get("http")::toString);
    assertEquals(
        List.of("GET 200"),
        http(r, "roles", "/1.1/classes/_ConversationMemberInfo").stream().distinct().toList(),
        r.get("http")::toString);
  }

  /**
   * Conversation events are pushed with {@code notificationType: 1} and a {@code serverTs}, which
   * JS 5 remembers; what Jerry missed while his connection was down he fetches from {@code
   * /1.1/rtm/notifications} after the reconnect, and his SDK emits it as if pushed, in order,
   * without a warning.
   */
  @org.junit.jupiter.api.Test
  void after_a_reconnect_js5_fetches_the_member_changes_it_missed() {
    JsonNode r = scenario("reliable-notifications", 5);
    String cid = r.get("cid").asText();
    String second = r.get("secondCid").asText();
    JsonNode pushed = r.get("steps").get("roles").get("pushes").get("Jerry").get(0);
    assertEquals("member_info_changed", pushed.get("op").asText(), pushed::toString);
    assertEquals(1, pushed.get("notificationType").asInt(), pushed::toString);
    assertTrue(pushed.get("serverTs").asLong() > 0, pushed::toString);

    JsonNode offline = r.get("steps").get("offline");
    assertEquals(List.of(), events(offline.get("events"), "Jerry"), "Jerry is away");
    assertEquals(0, offline.get("pushes").get("Jerry").size(), offline::toString);

    JsonNode reconnect = r.get("steps").get("reconnect");
    List<String> jerry = events(reconnect.get("events"), "Jerry");
    assertEquals(3, jerry.size(), jerry::toString);
    assertEquals(event("MEMBERS_JOINED", cid, "Tom", "Harry"), jerry.get(0));
    assertEquals(event("MEMBERS_LEFT", cid, "Tom", "Bob"), jerry.get(1));
    assertEquals(event("INVITED", second, "Tom"), jerry.get(2));
    assertEquals(
        0, reconnect.get("pushes").get("Jerry").size(), "none of it came as a push: " + reconnect);
    assertEquals(List.of("Harry", "Jerry", "Tom"), texts(r.get("jerryMembersAfter")));

    assertEquals(
        List.of("GET 200"),
        http(r, "reconnect", "/1.1/rtm/notifications"),
        r.get("http")::toString);
    String url =
        StreamSupport.stream(r.get("http").spliterator(), false)
            .map(request -> request.get("url").asText())
            .filter(u -> u.contains("/rtm/notifications"))
            .findFirst()
            .orElseThrow();
    assertTrue(
        url.contains("start_ts=" + pushed.get("serverTs").asLong()),
        "from the last notification Jerry saw: " + url);
    assertTrue(url.contains("notification_type=permanent"), url);
    assertEquals(List.of(), texts(r.get("warnings")), "the SDK warned");
  }

  // ------------------------------------------------------------------------------------------------------------
  // 5. a conversation created in the Java SDK's shape, read by JS

  /**
   * The Java SDK nests custom attributes under {@code attr} itself ({@code {name, attr:{type,
   * pinned}}}, §6.1); created here with that exact wire shape through our protocol client, then
   * read by the JS SDK.
   */
  @ParameterizedTest(name = "sdk {0}")
  @ValueSource(ints = {4, 5})
  void a_conversation_created_in_the_java_sdk_shape_reads_back_in_js(int sdk) {
    String run = UUID.randomUUID().toString().substring(0, 6);
    String creator = "JavaTom-" + run;
    String reader = "JsJerry-" + run;
    String cid;
    try (ImClient java =
        ImClient.connect(
            CLUSTER.first().webSocketUri(),
            Subprotocol.PROTOBUF_3,
            OfferMode.HEADER,
            Duration.ofSeconds(15))) {
      assertEquals(
          OpType.opened,
          java.call(Commands.sessionOpen("parley-dev", creator), Duration.ofSeconds(15)).getOp());
      GenericCommand started =
          java.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.start)
                  .setPeerId(creator)
                  .setConvMessage(
                      ConvCommand.newBuilder()
                          .addM(reader)
                          .addM(creator)
                          .setUnique(true)
                          .setAttr(
                              JsonObjectMessage.newBuilder()
                                  .setData(
                                      "{\"name\":\"Java & JS\",\"attr\":{\"type\":\"private\",\"pinned\":true}}"))),
              Duration.ofSeconds(15));
      assertEquals(OpType.started, started.getOp(), started::toString);
      cid = started.getConvMessage().getCid();
    }
    JsonNode r =
        run(
            "read-conversation",
            List.of(
                "--sdk",
                Integer.toString(sdk),
                "--rtm",
                CLUSTER.second().webSocketUri().toString(),
                "--client",
                reader,
                "--cid",
                cid));
    assertTrue(r.path("ok").asBoolean(), r::toString);
    JsonNode conversation = r.get("conversation");
    assertEquals(cid, conversation.get("id").asText());
    assertEquals("Java & JS", conversation.get("name").asText());
    assertEquals(
        List.of(creator, reader).stream().sorted().toList(),
        texts(conversation.get("members")).stream().sorted().toList());
    assertEquals(creator, conversation.get("creator").asText());
    assertEquals(
        "{\"type\":\"private\",\"pinned\":true}",
        conversation.get("attr").toString(),
        "conversation.get('attr')");
    assertTrue(
        conversation.get("type").isNull(),
        "no top-level type: it is nested, as the Java SDK sent it");
  }
}
