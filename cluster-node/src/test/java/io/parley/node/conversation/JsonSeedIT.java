package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RawWebSocket;
import io.parley.node.testing.TestNode;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The seed's own SDK (.NET AVRealtime) speaks flat JSON: this test sends the frames it sends
 * (lc.json.3 passed as {@code ?subprotocol=} like the Unity client, lc.json.1 in the header; {@code
 * m} without the creator, {@code attr} as an object, negative {@code i}) and checks the raw text of
 * what comes back: the seed's create / invite / kick / leave events with the hyphenated op names of
 * docs/protocol.md §2.3.
 */
class JsonSeedIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration QUIET = Duration.ofMillis(1500);

  /** How long a client looked at after the step's quiet moment is still read. */
  private static final Duration LAST_LOOK = Duration.ofMillis(100);

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final Map<String, RawWebSocket> sockets = new LinkedHashMap<>();

  /** Pushes read while waiting for a reply: they are still to be looked at. */
  private final Map<String, java.util.ArrayDeque<JsonNode>> backlog = new java.util.HashMap<>();

  private int nextI = -65535;

  /** When the current step's pushes have had {@link #QUIET} to arrive; 0 until it is looked at. */
  private long stepQuietAt;

  @AfterEach
  void closeSockets() throws IOException {
    for (RawWebSocket socket : sockets.values()) {
      socket.close();
    }
  }

  private String id(String name) {
    return name + "-" + run;
  }

  /**
   * Logs in like AVRealtime: even clients on lc.json.3 via the query, odd ones on lc.json.1 in the
   * header.
   */
  private void login(String name, int index) throws Exception {
    TestNode node = index % 2 == 0 ? CLUSTER.first() : CLUSTER.second();
    RawWebSocket socket =
        index % 2 == 0
            ? RawWebSocket.connect(node.ports().http(), "/?subprotocol=lc.json.3", null, 1 << 16)
            : RawWebSocket.connect(node.ports().http(), "/", "lc.json.1", 1 << 16);
    sockets.put(name, socket);
    JsonNode opened =
        request(
            name,
            "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"parley-dev\",\"peerId\":\""
                + id(name)
                + "\",\"ua\":\"net-portable/1.0.0.0\",\"configBitmap\":1}");
    assertEquals("opened", opened.get("op").asText(), opened::toString);
    assertTrue(opened.has("st") && opened.has("stTtl"), "flat JSON: st at the top level");
  }

  /**
   * Sends a frame with the next .NET-style negative {@code i}; returns the reply with that {@code
   * i}.
   */
  private JsonNode request(String name, String frame) throws Exception {
    int i = nextI++;
    stepQuietAt = 0;
    sockets.get(name).sendText(frame.substring(0, frame.length() - 1) + ",\"i\":" + i + "}");
    while (true) {
      JsonNode reply = read(name, Duration.ofSeconds(15));
      if (reply.has("i") && reply.get("i").asInt() == i) {
        assertFalse(
            reply.has("code"), () -> ".NET treats any reply with a code as an error: " + reply);
        return reply;
      }
      backlog.computeIfAbsent(name, key -> new java.util.ArrayDeque<>()).add(reply);
    }
  }

  private JsonNode next(String name, Duration timeout) throws Exception {
    java.util.ArrayDeque<JsonNode> waiting = backlog.get(name);
    if (waiting != null && !waiting.isEmpty()) {
      return waiting.poll();
    }
    return read(name, timeout);
  }

  private JsonNode read(String name, Duration timeout) throws Exception {
    RawWebSocket socket = sockets.get(name);
    socket.readTimeout(timeout);
    RawWebSocket.Received frame = socket.read();
    assertEquals(0x1, frame.opcode(), "a text frame");
    return JSON.readTree(frame.text());
  }

  /**
   * The conv events {@code name} has received since the last request, as raw JSON. Every client of
   * a step is read until the same moment, {@link #QUIET} after the step's first look: a push the
   * step causes has that long to arrive, and the clients looked at later do not wait again.
   */
  private List<JsonNode> events(String name) throws Exception {
    if (stepQuietAt == 0) {
      stepQuietAt = System.nanoTime() + QUIET.toNanos();
    }
    List<JsonNode> events = new ArrayList<>();
    while (true) {
      long left = Math.max(stepQuietAt - System.nanoTime(), LAST_LOOK.toNanos());
      try {
        events.add(next(name, Duration.ofNanos(left)));
      } catch (SocketTimeoutException quiet) {
        return events;
      }
    }
  }

  private void assertOnly(String name, String op, String initBy, List<String> members)
      throws Exception {
    List<JsonNode> received = events(name);
    assertEquals(
        1, received.size(), () -> name + " should get exactly one " + op + ", got " + received);
    JsonNode event = received.get(0);
    assertEquals("conv", event.get("cmd").asText());
    assertEquals(op, event.get("op").asText(), () -> name + ": " + event);
    assertEquals(id(name), event.get("peerId").asText());
    assertEquals(id(initBy), event.get("initBy").asText());
    assertFalse(event.has("i"), "pushes carry no i");
    if (members != null) {
      List<String> m = new ArrayList<>();
      event.get("m").forEach(node -> m.add(node.asText()));
      assertEquals(members.stream().map(this::id).toList(), m);
    }
  }

  private void assertNothing(String name) throws Exception {
    List<JsonNode> received = events(name);
    assertTrue(received.isEmpty(), () -> name + " should get nothing, got " + received);
  }

  @Test
  void the_seed_scenario_over_json_gets_the_seed_events_with_hyphenated_ops() throws Exception {
    String[] names = {"Tom", "Jerry", "Bob", "Harry", "William"};
    for (int n = 0; n < names.length; n++) {
      login(names[n], n);
    }
    // .NET CreateConversationAsync: m without the creator, attr as a plain object, cid null.
    JsonNode started =
        request(
            "Tom",
            "{\"cmd\":\"conv\",\"op\":\"start\",\"appId\":\"parley-dev\",\"peerId\":\""
                + id("Tom")
                + "\",\"cid\":null,\"m\":[\""
                + id("Jerry")
                + "\",\""
                + id("Bob")
                + "\",\""
                + id("Harry")
                + "\"],\"unique\":false,\"attr\":{\"name\":\"\",\"type\":\"group\"}}");
    assertEquals("started", started.get("op").asText());
    String cid = started.get("cid").asText();
    assertTrue(started.get("cdate").asText().endsWith("Z"));
    for (String invitee : List.of("Jerry", "Bob", "Harry")) {
      assertOnly(invitee, "joined", "Tom", null);
    }
    assertNothing("Tom");

    JsonNode found =
        request(
            "Jerry",
            "{\"cmd\":\"conv\",\"op\":\"query\",\"appId\":\"parley-dev\",\"peerId\":\""
                + id("Jerry")
                + "\",\"where\":{\"objectId\":\""
                + cid
                + "\"},\"limit\":1}");
    assertEquals("results", found.get("op").asText());
    assertTrue(found.get("results").isArray(), "JSON results are a plain array");
    assertEquals("group", found.get("results").get(0).get("type").asText());

    // Invite: A, B, C get members-joined; D gets joined.
    JsonNode added =
        request(
            "Tom",
            "{\"cmd\":\"conv\",\"op\":\"add\",\"appId\":\"parley-dev\",\"peerId\":\""
                + id("Tom")
                + "\",\"cid\":\""
                + cid
                + "\",\"m\":[\""
                + id("William")
                + "\"]}");
    assertEquals("added", added.get("op").asText());
    assertTrue(
        backlog.getOrDefault("Tom", new java.util.ArrayDeque<>()).stream()
            .noneMatch(frame -> "members-joined".equals(frame.path("op").asText())),
        "§3.2: the reply comes before the pushes it causes to the same session");
    assertOnly("William", "joined", "Tom", null);
    for (String member : List.of("Tom", "Jerry", "Bob", "Harry")) {
      assertOnly(member, "members-joined", "Tom", List.of("William"));
    }

    // Kick: A, C get members-left; B gets left.
    request(
        "Tom",
        "{\"cmd\":\"conv\",\"op\":\"remove\",\"appId\":\"parley-dev\",\"peerId\":\""
            + id("Tom")
            + "\",\"cid\":\""
            + cid
            + "\",\"m\":[\""
            + id("Harry")
            + "\"]}");
    assertOnly("Harry", "left", "Tom", null);
    for (String member : List.of("Tom", "Jerry", "Bob", "William")) {
      assertOnly(member, "members-left", "Tom", List.of("Harry"));
    }

    // Leave (a member: the owner cannot quit while member roles are on, the default): the others
    // get
    // members-left; the leaver gets nothing.
    request(
        "Jerry",
        "{\"cmd\":\"conv\",\"op\":\"remove\",\"appId\":\"parley-dev\",\"peerId\":\""
            + id("Jerry")
            + "\",\"cid\":\""
            + cid
            + "\",\"m\":[\""
            + id("Jerry")
            + "\"]}");
    for (String member : List.of("Tom", "Bob", "William")) {
      assertOnly(member, "members-left", "Jerry", List.of("Jerry"));
    }
    assertNothing("Jerry");
    assertNothing("Harry");
  }

  @Test
  void the_dotnet_heartbeat_and_reconnect_flag_are_understood() throws Exception {
    login("Net", 0);
    sockets.get("Net").sendText("{}");
    assertEquals("{}", JSON.writeValueAsString(next("Net", Duration.ofSeconds(5))));
    JsonNode again =
        request(
            "Net",
            "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"parley-dev\",\"peerId\":\""
                + id("Net")
                + "\",\"r\":1}");
    assertEquals("opened", again.get("op").asText(), "r: 1 is accepted as true");
  }
}
