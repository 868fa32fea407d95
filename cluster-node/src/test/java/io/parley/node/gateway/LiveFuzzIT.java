package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Codecs;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Live fuzz (issue #10 point 8): sockets on both nodes of a running cluster, with the shipped
 * limits, send malformed frames and hostile command sequences for {@value #SECONDS} s, reconnecting
 * whenever a node closes them; two well-behaved clients, one on each node, keep sending and
 * receiving throughout. Afterwards both nodes still serve logins, and the heap is within {@value
 * #HEAP_BOUND_MB} MiB of what it was before (both printed). The nodes run in this JVM, so the heap
 * measured is theirs plus the test's. The seed is printed; rerun one with {@code
 * -Dparley.livefuzz.seed=N}.
 */
// It bounds the whole JVM's heap and a bystander's latency: nothing runs beside it.
@Isolated
class LiveFuzzIT {

  private static final int SECONDS = 20;
  private static final int SOCKETS_PER_NODE = 3;
  private static final long HEAP_BOUND_MB = 96;
  private static final Duration WAIT = Duration.ofSeconds(15);

  // isolated: it bounds the heap and the bystander's latency of the whole JVM
  @RegisterExtension
  static final NodeCluster cluster =
      NodeCluster.isolated(
          2,
          String.join(
              "\n",
              TestNode.SHIPPED_RATES,
              // every socket of this test comes from 127.0.0.1: one abusive address gets 120 logins
              // a minute
              "parley.limits.logins-per-address-per-minute = 120",
              "parley.session.login-timeout = 5s"));

  private final Map<String, AtomicInteger> closes = new ConcurrentHashMap<>();
  private final AtomicLong framesSent = new AtomicLong();

  @Test
  void hostile_sockets_on_both_nodes_leave_a_bystander_served_and_the_heap_bounded()
      throws Exception {
    long seed = Long.getLong("parley.livefuzz.seed", System.nanoTime());
    System.out.println("live fuzz seed " + seed);
    List<ImClient> open = new ArrayList<>();
    ImClient alice = TestClients.login(cluster.first(), "parley-dev", "fuzz-alice", open, WAIT);
    ImClient bob = TestClients.login(cluster.second(), "parley-dev", "fuzz-bob", open, WAIT);
    GenericCommand started =
        alice.call(Commands.convStart("fuzz-alice", List.of("fuzz-bob"), null), WAIT);
    for (int retry = 0; retry < 3 && started.getOp() != OpType.started; retry++) {
      started =
          alice.call(
              Commands.convStart("fuzz-alice", List.of("fuzz-bob"), null),
              WAIT); // a cold Cassandra
    }
    assertEquals(OpType.started, started.getOp(), started::toString);
    String cid = started.getConvMessage().getCid();
    long heapBefore = usedHeapAfterGc();

    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> fuzzers = new ArrayList<>();
    for (int n = 0; n < 2 * SOCKETS_PER_NODE; n++) {
      TestNode target = n % 2 == 0 ? cluster.first() : cluster.second();
      Random random = new Random(seed + n);
      boolean wellFormed =
          n >= SOCKETS_PER_NODE; // half send only decodable hostile commands, to meet the limits
      Thread fuzzer = new Thread(() -> fuzz(target, random, wellFormed, running), "fuzzer-" + n);
      fuzzer.setDaemon(true);
      fuzzers.add(fuzzer);
      fuzzer.start();
    }
    int roundTrips = 0;
    long slowestMillis = 0;
    List<String> bystanderProblems = new CopyOnWriteArrayList<>();
    long until = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
    while (System.nanoTime() < until) {
      // alternately each way, once a second: within 60 messages a minute for each
      boolean fromAlice = roundTrips % 2 == 0;
      ImClient sender = fromAlice ? alice : bob;
      ImClient receiver = fromAlice ? bob : alice;
      String text = "{\"_lctype\":-1,\"_lctext\":\"ping " + roundTrips + "\"}";
      long sentAt = System.nanoTime();
      try {
        GenericCommand ack =
            sender.call(Commands.direct(fromAlice ? "fuzz-alice" : "fuzz-bob", cid, text), WAIT);
        if (ack.getCmd() != CommandType.ack || ack.getAckMessage().hasCode()) {
          bystanderProblems.add("send " + roundTrips + ": " + ack);
        } else {
          GenericCommand push = receiver.nextPush(WAIT);
          while (push.getCmd() == CommandType.conv) {
            push = receiver.nextPush(WAIT); // Bob's `joined` from the start
          }
          if (push.getCmd() != CommandType.direct
              || !push.getDirectMessage().getMsg().equals(text)) {
            bystanderProblems.add("receive " + roundTrips + ": " + push);
          }
        }
      } catch (ImClient.TimedOut late) {
        bystanderProblems.add(
            "round trip "
                + roundTrips
                + " after "
                + (System.nanoTime() - sentAt) / 1_000_000
                + " ms: "
                + late.getMessage());
      }
      roundTrips++;
      slowestMillis = Math.max(slowestMillis, (System.nanoTime() - sentAt) / 1_000_000);
      Thread.sleep(1000);
    }
    running.set(false);
    for (Thread fuzzer : fuzzers) {
      fuzzer.join(WAIT.toMillis());
    }
    Thread.sleep(2000); // the address's login rate, spent by the fuzzers, refills
    for (TestNode node : List.of(cluster.first(), cluster.second())) {
      ImClient fresh =
          TestClients.login(node, "parley-dev", "after-fuzz-" + node.ports().http(), open, WAIT);
      assertEquals(
          CommandType.echo,
          fresh.call(Commands.echo(), WAIT).getCmd(),
          "node " + node.ports() + " serves");
    }
    long heapAfter = usedHeapAfterGc();
    open.forEach(ImClient::close);
    System.out.printf(
        "live fuzz: %d s, %d sockets, %d frames sent, closes by code %s; bystander %d round trips, slowest %d ms; "
            + "heap %d MiB before, %d MiB after (bound +%d MiB)%n",
        SECONDS,
        2 * SOCKETS_PER_NODE,
        framesSent.get(),
        closes,
        roundTrips,
        slowestMillis,
        heapBefore >> 20,
        heapAfter >> 20,
        HEAP_BOUND_MB);
    assertEquals(List.of(), bystanderProblems, "the bystander was served throughout");
    assertTrue(roundTrips >= SECONDS / 2, "round trips: " + roundTrips);
    assertTrue(framesSent.get() > 1000, "the fuzzers sent " + framesSent.get() + " frames");
    assertTrue(
        heapAfter - heapBefore < HEAP_BOUND_MB << 20,
        "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
  }

  /** One hostile socket after another until the run ends; every close is counted by its code. */
  private void fuzz(TestNode node, Random random, boolean wellFormed, AtomicBoolean running) {
    Subprotocol[] protocols = {
      Subprotocol.PROTOBUF_3, Subprotocol.JSON_3, Subprotocol.LEGACY, Subprotocol.JSON_1
    };
    while (running.get()) {
      Subprotocol protocol = protocols[random.nextInt(protocols.length)];
      ImClient client;
      try {
        client =
            ImClient.connect(
                node.webSocketUri(),
                protocol,
                protocol.id().isPresent() ? OfferMode.HEADER : OfferMode.NONE,
                WAIT);
      } catch (RuntimeException refused) {
        closes.computeIfAbsent("connect-failed", k -> new AtomicInteger()).incrementAndGet();
        continue;
      }
      try (client) {
        String peer = "fz" + random.nextInt(50);
        while (running.get() && client.isOpen()) {
          client.sendFrame(hostileFrame(random, protocol, peer, wellFormed));
          framesSent.incrementAndGet();
          drain(client);
          // ~100 frames/s a socket: the nodes, not this JVM's own senders, should be what the CPUs
          // run
          Thread.sleep(10);
        }
      } catch (RuntimeException sendFailed) {
        // the node closed us mid-send: that is one of the answers
      } catch (InterruptedException stop) {
        return;
      }
      if (!client.isOpen()) {
        try {
          ImClient.CloseStatus status = client.awaitClose(Duration.ofSeconds(2));
          closes
              .computeIfAbsent(Integer.toString(status.code()), k -> new AtomicInteger())
              .incrementAndGet();
        } catch (RuntimeException notYet) {
          closes.computeIfAbsent("unknown", k -> new AtomicInteger()).incrementAndGet();
        }
      }
    }
  }

  private static void drain(ImClient client) {
    try {
      while (client.pollPush(Duration.ZERO).isPresent()) {
        // replies and pushes to a fuzzer are not checked, only read
      }
    } catch (RuntimeException undecodable) {
      // the fuzzer's own codec may not decode what a legacy socket switched to
    }
  }

  private static final List<Function<Random, String>> HOSTILE =
      List.of(
          r ->
              "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"parley-dev\",\"peerId\":\""
                  + peer(r)
                  + "\",\"i\":"
                  + r.nextInt(100)
                  + "}",
          r ->
              "{\"cmd\":\"direct\",\"cid\":\""
                  + cid(r)
                  + "\",\"msg\":\""
                  + "x".repeat(r.nextInt(6000))
                  + "\",\"i\":1}",
          r ->
              "{\"cmd\":\"direct\",\"cid\":\""
                  + cid(r)
                  + "\",\"msg\":\"hi\",\"mentionPids\":"
                  + ids(r, 200)
                  + ",\"dt\":\""
                  + "d".repeat(r.nextInt(300))
                  + "\",\"i\":2}",
          r ->
              "{\"cmd\":\"conv\",\"op\":\"query\",\"where\":{\"m\":{\"$regex\":\"(a+)+$\"}},\"i\":3}",
          r ->
              "{\"cmd\":\"conv\",\"op\":\"query\",\"where\":{\"objectId\":{\"$in\":"
                  + ids(r, 300)
                  + "}},\"flag\":2,\"i\":4}",
          r -> {
            int depth = r.nextInt(40);
            return "{\"cmd\":\"conv\",\"op\":\"start\",\"m\":"
                + ids(r, 600)
                + ",\"attr\":{\"a\":"
                + "[".repeat(depth)
                + "]".repeat(depth)
                + "},\"i\":5}";
          },
          r ->
              "{\"cmd\":\"conv\",\"op\":\"start\",\"m\":[\""
                  + peer(r)
                  + "\"],\"unique\":true,\"i\":6}",
          r ->
              "{\"cmd\":\"conv\",\"op\":\"add\",\"cid\":\""
                  + cid(r)
                  + "\",\"m\":[\""
                  + peer(r)
                  + "\"],\"i\":7}",
          r -> "{\"cmd\":\"read\",\"cids\":" + ids(r, 400) + ",\"i\":8}",
          r -> "{\"cmd\":\"ack\",\"cid\":\"" + cid(r) + "\",\"mid\":\"" + peer(r) + "\"}",
          r -> "{\"cmd\":\"logs\",\"cid\":\"" + cid(r) + "\",\"limit\":100000,\"i\":9}",
          r ->
              "{\"cmd\":\"patch\",\"op\":\"modify\",\"patches\":[{\"cid\":\""
                  + cid(r)
                  + "\",\"mid\":\"m\",\"data\":\""
                  + "p".repeat(r.nextInt(8000))
                  + "\"}],\"i\":10}",
          r ->
              "{\"cmd\":\"blacklist\",\"op\":\"block\",\"srcCid\":\""
                  + cid(r)
                  + "\",\"toPids\":"
                  + ids(r, 50)
                  + ",\"i\":11}",
          r ->
              "{\"cmd\":\"session\",\"op\":\"query\",\"sessionPeerIds\":"
                  + ids(r, 100)
                  + ",\"i\":12}",
          r ->
              "{\"cmd\":\"conv\",\"op\":\"update\",\"cid\":\""
                  + cid(r)
                  + "\",\"attr\":{\"x\":{\"__op\":\"Add\",\"objects\":"
                  + ids(r, 500)
                  + "}},\"i\":13}",
          r -> "{\"cmd\":\"login\",\"appId\":\"parley-dev\"}",
          r -> "{\"cmd\":\"session\",\"op\":\"close\",\"peerId\":\"" + peer(r) + "\",\"i\":14}",
          r ->
              "{\"cmd\":\"conv\",\"op\":\"max_read\",\"cid\":\""
                  + cid(r)
                  + "\",\"queryAllMembers\":true,\"i\":15}");

  private static Frame hostileFrame(
      Random random, Subprotocol protocol, String peer, boolean wellFormed) {
    int kind = wellFormed ? 6 + random.nextInt(4) : random.nextInt(10);
    if (kind == 0) {
      byte[] bytes = new byte[1 + random.nextInt(2000)];
      random.nextBytes(bytes);
      return new Frame.Binary(bytes);
    }
    if (kind == 1) {
      byte[] bytes = new byte[1 + random.nextInt(500)];
      random.nextBytes(bytes);
      return new Frame.Text(new String(bytes, StandardCharsets.ISO_8859_1));
    }
    String json = HOSTILE.get(random.nextInt(HOSTILE.size())).apply(random);
    if (kind == 2) {
      json = json.substring(0, random.nextInt(json.length())); // truncated
    }
    if (protocol.encoding() == Subprotocol.Encoding.PROTOBUF) {
      if (kind >= 6) {
        try {
          // the same hostile command, well-formed in protobuf
          return Codecs.forSubprotocol(protocol).encode(Codecs.json().decode(new Frame.Text(json)));
        } catch (Exception undecodable) {
          // not a command the JSON codec takes: its bytes go as protobuf wire soup
        }
      }
      return new Frame.Binary(json.getBytes(StandardCharsets.UTF_8));
    }
    return new Frame.Text(json.replace("\"i\":", "\"peerId\":\"" + peer + "\",\"i\":"));
  }

  private static String peer(Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> "fz" + random.nextInt(50);
      case 1 -> "l".repeat(60 + random.nextInt(10));
      case 2 -> "ctl\\u0001" + random.nextInt(9);
      default -> "fz" + random.nextInt(1000);
    };
  }

  private static String cid(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> String.format("%024x", random.nextLong() & Long.MAX_VALUE);
      case 1 -> "_tmp:" + String.format("%024x", random.nextInt(1000));
      case 2 -> "not-a-cid-" + random.nextInt(100);
      default -> String.format("%024x", random.nextInt(20));
    };
  }

  private static String ids(Random random, int most) {
    StringBuilder ids = new StringBuilder("[");
    int count = random.nextInt(most + 1);
    for (int n = 0; n < count; n++) {
      ids.append(n == 0 ? "\"" : ",\"")
          .append(String.format("%024x", random.nextInt(5000)))
          .append('"');
    }
    return ids.append(']').toString();
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int n = 0; n < 3; n++) {
      System.gc();
      Thread.sleep(200);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
