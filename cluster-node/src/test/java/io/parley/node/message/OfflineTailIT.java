package io.parley.node.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.StoredMessages;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #7, W4: a protocol-version-1 client that was offline while a thousand messages arrived gets
 * all of them pushed at login, in order, with {@code offline} set and {@code hasMore} on the last
 * when more wait than {@code offline-messages-per-conversation} (here 1000). One node keeps the
 * queue in memory (the conversation's offline tail); the other has a tail budget too small for it,
 * so the same login is answered from Cassandra. Each prints its time from login to the last
 * message.
 */
@ExtendWith(SharedCassandra.class)
class OfflineTailIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int LIMIT = 1000;
  private static final String QUEUE_OF_1000 =
      "parley.conversation.offline-messages-per-conversation = " + LIMIT + "\n";

  @RegisterExtension static final NodeCluster MEMORY = new NodeCluster(1, QUEUE_OF_1000);

  /** A 4 KiB tail budget holds a handful of messages: the queue is read from Cassandra. */
  @RegisterExtension
  static final NodeCluster TINY_BUDGET =
      new NodeCluster(1, QUEUE_OF_1000 + "parley.storage.offline-tail-budget = 4KiB\n");

  @RegisterExtension final OpenClients clients = new OpenClients(MEMORY::first, APP, WAIT);

  /** A conversation and the ids of the messages sent to it, in order. */
  private record Sent(String cid, List<String> ids) {}

  /** Tom, online, sends {@code count} messages to Jerry, who never logged in. */
  private Sent sendWhileJerryIsOffline(TestNode node, String tomName, String jerry, int count) {
    ImClient sender = clients.login(tomName, node);
    String tom = clients.id(tomName);
    GenericCommand started =
        sender.call(Commands.convStart(tom, List.of(jerry), "{\"name\":\"w4\"}"), WAIT);
    String cid = started.getConvMessage().getCid();
    List<CompletableFuture<GenericCommand>> acks = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      acks.add(
          sender.request(Commands.direct(tom, cid, "{\"_lctype\":-1,\"_lctext\":\"m" + n + "\"}")));
    }
    List<String> ids = new ArrayList<>();
    for (CompletableFuture<GenericCommand> ack : acks) {
      GenericCommand reply = ack.join();
      assertEquals(CommandType.ack, reply.getCmd(), reply::toString);
      assertFalse(reply.getAckMessage().hasCode(), reply::toString);
      ids.add(reply.getAckMessage().getUid());
    }
    return new Sent(cid, ids);
  }

  /** The next {@code count} direct pushes. */
  private static List<DirectCommand> directs(ImClient client, int count) {
    List<DirectCommand> pushed = new ArrayList<>();
    while (pushed.size() < count) {
      pushed.add(TestClients.nextPush(client, CommandType.direct, null, WAIT).getDirectMessage());
    }
    return pushed;
  }

  /**
   * Sends {@code count} messages to an offline Jerry, logs Jerry in with protocol 1 and checks the
   * push: the newest {@value #LIMIT} in order, offline, {@code hasMore} on the last exactly when
   * older ones wait; with {@code archiveDeleted} the stored rows are deleted first, so the queue
   * must come from memory.
   */
  private void offlineQueueArrivesWhole(
      TestNode node, String label, int count, boolean archiveDeleted) {
    String jerryName = "Jerry" + count;
    String jerry = clients.id(jerryName);
    Sent sent = sendWhileJerryIsOffline(node, "Tom" + count, jerry, count);
    if (archiveDeleted) {
      // The rows leave Cassandra behind the node's back: only a queue held in memory still arrives.
      StoredMessages.deleteAll(APP, sent.cid());
    }
    long start = System.nanoTime();
    ImClient client = clients.login(jerryName, node, Subprotocol.PROTOBUF_1);
    int expected = Math.min(count, LIMIT);
    List<DirectCommand> pushed = directs(client, expected);
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "OfflineTailIT: %s: %d of %d offline messages pushed at a v1 login in %d ms%n",
        label, expected, count, millis);

    assertEquals(
        sent.ids().subList(count - expected, count),
        pushed.stream().map(DirectCommand::getId).toList(),
        "the newest " + expected + " in order");
    pushed.forEach(direct -> assertTrue(direct.getOffline(), direct::toString));
    pushed.subList(0, expected - 1).forEach(d -> assertFalse(d.getHasMore(), d::toString));
    assertEquals(count > LIMIT, pushed.get(expected - 1).getHasMore(), "hasMore on the last");

    // Acked up to the last: nothing is pushed again at the next login.
    client.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setPeerId(jerry)
            .setAckMessage(
                AckCommand.newBuilder().setCid(sent.cid()).setMid(pushed.get(expected - 1).getId()))
            .build());
    client.call(Commands.sessionClose(jerry), WAIT);
    ImClient again = awaitAckedThenLogin(node, jerryName);
    assertTrue(
        TestClients.pollPush(again, CommandType.direct, Duration.ofMillis(1500)).isEmpty(),
        "acked messages are not pushed again");
  }

  /** Logs in again once the ack had time to reach the conversation. */
  private ImClient awaitAckedThenLogin(TestNode node, String name) {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return clients.login(name, node, Subprotocol.PROTOBUF_1);
  }

  @Test
  void a_thousand_offline_messages_are_pushed_from_memory_in_order() {
    offlineQueueArrivesWhole(MEMORY.first(), "memory (rows deleted)", LIMIT, true);
  }

  @Test
  void beyond_the_limit_the_newest_thousand_come_and_the_last_says_has_more() {
    offlineQueueArrivesWhole(MEMORY.first(), "memory, over the limit", LIMIT + 10, true);
  }

  /**
   * Two full queues at one login: 2,000 pushes, more than a connection's outbound buffer (1,024).
   */
  @Test
  void two_full_queues_reach_one_login() {
    TestNode node = MEMORY.first();
    String jerry = clients.id("JerryTwice");
    Sent first = sendWhileJerryIsOffline(node, "TomA", jerry, LIMIT);
    Sent second = sendWhileJerryIsOffline(node, "TomB", jerry, LIMIT);
    ImClient client = clients.login("JerryTwice", node, Subprotocol.PROTOBUF_1);
    List<DirectCommand> pushed = directs(client, 2 * LIMIT);
    assertEquals(
        java.util.Set.of(first.cid(), second.cid()),
        pushed.stream().map(DirectCommand::getCid).collect(java.util.stream.Collectors.toSet()));
    assertTrue(client.isOpen(), "the connection survived the burst");
  }

  @Test
  void over_the_tail_budget_the_same_queue_is_read_from_cassandra() {
    offlineQueueArrivesWhole(TINY_BUDGET.first(), "cassandra (4 KiB budget)", LIMIT, false);
    offlineQueueArrivesWhole(TINY_BUDGET.first(), "cassandra, over the limit", LIMIT + 10, false);
  }
}
