package io.parley.node.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.RawWebSocket;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Codecs;
import io.parley.protocol.JsonCodec;
import io.parley.protocol.ProtocolException;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The message path starts no threads and materializes nothing per message. Continuations of Pekko's
 * {@code CompletionStage}s used to run on the common ForkJoinPool, which on a 2-CPU machine starts
 * an OS thread for every stage: three or more per message (the failsafe configuration gives this
 * JVM that pool size on any machine). Two nodes, a group whose members are on both, hundreds of
 * acknowledged and delivered messages: the JVM's count of started threads must stay flat, and so
 * must the allocation per message on the nodes' Pekko threads (a sub-stream per inbound WebSocket
 * message, as Pekko's message API does, doubles it). Timing is the benchmark's business; this
 * counts.
 */
// It counts the threads and allocations of the whole test JVM: nothing runs beside it.
@Isolated
class HotPathIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int MESSAGES = 300;
  private static final int LOGINS = 100;

  /** Allowance for the JVM's and the client's own housekeeping threads during the run. */
  private static final int ALLOWED_THREAD_STARTS = 30;

  /**
   * Allocation on the nodes' Pekko threads per message (the send, its ack, two deliveries and their
   * acks): 50 KiB measured with our WebSocket stage, 102 KiB with Pekko's message API, which
   * materializes a sub-stream for every inbound message, and presence-entity fan-out.
   */
  private static final long ALLOWED_KIB_PER_MESSAGE = 80;

  // isolated: it counts the threads and allocations of the whole JVM
  @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.isolated(2, "");
  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  @Test
  void hundreds_of_messages_across_two_nodes_start_no_threads_and_allocate_within_budget() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    ImClient jerry = clients.login("Jerry", CLUSTER.second());
    ImClient spike = clients.login("Spike", CLUSTER.first());
    GenericCommand started =
        tom.call(
            Commands.convStart(
                clients.id("Tom"), List.of(clients.id("Jerry"), clients.id("Spike")), null),
            WAIT);
    String cid = started.getConvMessage().getCid();
    exchange(tom, jerry, spike, cid, 100);

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long before = threads.getTotalStartedThreadCount();
    long allocatedBefore = allocated();
    exchange(tom, jerry, spike, cid, MESSAGES);
    long started_ = threads.getTotalStartedThreadCount() - before;
    long perMessage = (allocated() - allocatedBefore) / MESSAGES;

    System.out.printf(
        "HotPathIT: %d messages (ack + 2 deliveries + 2 acks each), %d threads started, "
            + "%d KiB allocated per message on the nodes' Pekko threads%n",
        MESSAGES, started_, perMessage / 1024);
    assertTrue(
        started_ <= ALLOWED_THREAD_STARTS,
        started_
            + " threads started for "
            + MESSAGES
            + " messages: a continuation runs on the common pool again");
    assertTrue(
        perMessage / 1024 <= ALLOWED_KIB_PER_MESSAGE,
        perMessage / 1024
            + " KiB allocated per message (at most "
            + ALLOWED_KIB_PER_MESSAGE
            + "): a stream materialized per message, or a hop per member, is back");
  }

  /**
   * Every login reads the member index for its unread notice (the v1 offline push alike). That read
   * chained on the Cassandra connector's session, a converted Scala future, whose plain {@code
   * thenCompose} runs on the common pool: one OS thread started per login on 2 CPUs. Jerry, with an
   * unread message, logs in again and again on both nodes and gets his {@code unread} each time (so
   * each login's read has completed), and as many new clients log in once.
   */
  @Test
  void hundreds_of_logins_start_no_threads() {
    ImClient tom = clients.login("Tom", CLUSTER.first());
    GenericCommand started =
        tom.call(Commands.convStart(clients.id("Tom"), List.of(clients.id("Jerry")), null), WAIT);
    String cid = started.getConvMessage().getCid();
    tom.call(Commands.direct(clients.id("Tom"), cid, "unread"), WAIT);
    logins(cid, 20); // warm-up: the first logins on a node start its pools' threads

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long before = threads.getTotalStartedThreadCount();
    logins(cid, LOGINS);
    long started_ = threads.getTotalStartedThreadCount() - before;

    System.out.printf(
        "HotPathIT: %d logins with an unread notice and %d without, %d threads started%n",
        LOGINS, LOGINS, started_);
    assertTrue(
        started_ <= ALLOWED_THREAD_STARTS,
        started_
            + " threads started for "
            + 2 * LOGINS
            + " logins: a login's continuation runs on the common pool again");
  }

  /**
   * {@code count} logins of Jerry, each until his unread notice, and {@code count} new clients. On
   * raw sockets: the JDK's WebSocket client starts a thread of its own per handshake in this JVM.
   */
  private void logins(String cid, int count) {
    for (int n = 0; n < count; n++) {
      TestNode node = n % 2 == 0 ? CLUSTER.first() : CLUSTER.second();
      GenericCommand unread = loginUntil(node, clients.id("Jerry"), CommandType.unread);
      assertEquals(cid, unread.getUnreadMessage().getConvs(0).getCid(), unread::toString);
      loginUntil(node, clients.id("Newcomer" + count + "-" + n), CommandType.session);
    }
  }

  /**
   * Opens a session for {@code peerId} over {@code lc.json.3} and returns the first {@code cmd}.
   */
  private static GenericCommand loginUntil(TestNode node, String peerId, CommandType cmd) {
    JsonCodec json = Codecs.json();
    try (RawWebSocket socket =
        RawWebSocket.connect(
            node.webSocketUri().getPort(), Subprotocol.JSON_3.id().orElseThrow(), 1 << 16)) {
      socket.sendText(json.toJson(Commands.sessionOpen(APP, peerId).setI(1).build()));
      while (true) {
        RawWebSocket.Received frame = socket.read();
        assertTrue(frame != null && frame.opcode() == 1, () -> "connection ended for " + peerId);
        GenericCommand received = json.fromJson(frame.text());
        if (received.getCmd() == CommandType.session) {
          assertEquals(OpType.opened, received.getOp(), received::toString);
        }
        if (received.getCmd() == cmd) {
          return received;
        }
      }
    } catch (IOException | ProtocolException e) {
      throw new AssertionError("login of " + peerId + " failed", e);
    }
  }

  /**
   * Tom sends {@code count} messages; each is acked to him and delivered to Jerry (other node) and
   * Spike.
   */
  private void exchange(ImClient tom, ImClient jerry, ImClient spike, String cid, int count) {
    for (int n = 0; n < count; n++) {
      GenericCommand ack = tom.call(Commands.direct(clients.id("Tom"), cid, "m" + n), WAIT);
      assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
      receive(jerry, "Jerry", cid, "m" + n);
      receive(spike, "Spike", cid, "m" + n);
    }
  }

  private void receive(ImClient client, String name, String cid, String text) {
    GenericCommand push;
    do {
      push = client.nextPush(WAIT);
    } while (push.getCmd() != CommandType.direct);
    assertEquals(text, push.getDirectMessage().getMsg());
    client.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setPeerId(clients.id(name))
            .setAckMessage(
                AckCommand.newBuilder().setCid(cid).setMid(push.getDirectMessage().getId()))
            .build());
  }

  /** Bytes allocated so far by the JVM's live threads. */
  private static long allocated() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains("pekko")) {
        total += Math.max(0, threads.getThreadAllocatedBytes(info.getThreadId()));
      }
    }
    return total;
  }
}
