package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.SharedCassandra;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The member index ({@code conversations_by_member}) and what clients get through it (review H5,
 * M2): a removed or blocked member gets nothing of the conversation at login even when its index
 * row survived (the row is then deleted); a late retry of an old write cannot bring a removed row
 * back; a write Cassandra refuses is not retried, and retries of writes that can pass are bounded;
 * a client in more conversations than a query examines keeps its most recently active ones (review
 * M1; the node examines 10 here, and refreshes activity on every message).
 */
class MemberIndexIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration QUIET = Duration.ofMillis(2000);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CANDIDATES = 10;

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          1,
          String.join(
              "\n",
              "parley.conversation.max-query-candidates = " + CANDIDATES,
              "parley.storage.index-activity-interval = 0s"));

  @RegisterExtension static final Cql CQL = new Cql();
  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  private static boolean indexed(String clientId, String cid) {
    return CQL.session()
            .execute(
                "SELECT cid FROM "
                    + SharedCassandra.keyspace()
                    + ".conversations_by_member "
                    + "WHERE app_id = ? AND client_id = ? AND cid = ?",
                APP,
                clientId,
                cid)
            .one()
        != null;
  }

  /** A client's index row, written as a delete lost in a crash would have left it. */
  private static void restoreRow(String clientId, String cid) {
    CQL.session()
        .execute(
            "INSERT INTO "
                + SharedCassandra.keyspace()
                + ".conversations_by_member (app_id, client_id, cid) "
                + "VALUES (?, ?, ?)",
            APP,
            clientId,
            cid);
  }

  private List<String> myConversations(ImClient client, String name) throws Exception {
    GenericCommand results =
        client.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.query)
                .setPeerId(clients.id(name))
                .setConvMessage(ConvCommand.newBuilder().setLimit(100)),
            WAIT);
    assertEquals(OpType.results, results.getOp(), results::toString);
    List<String> cids = new ArrayList<>();
    for (JsonNode conversation : JSON.readTree(results.getConvMessage().getResults().getData())) {
      cids.add(conversation.get("objectId").asText());
    }
    return cids;
  }

  /**
   * Pushes about {@code cid} within a quiet period: unread tuples, offline messages, conv notices.
   */
  private static List<GenericCommand> pushesAbout(ImClient client, String cid) {
    List<GenericCommand> about = new ArrayList<>();
    for (Optional<GenericCommand> push = client.pollPush(QUIET);
        push.isPresent();
        push = client.pollPush(QUIET)) {
      GenericCommand p = push.get();
      boolean names =
          p.getUnreadMessage().getConvsList().stream().anyMatch(tuple -> tuple.getCid().equals(cid))
              || p.getDirectMessage().getCid().equals(cid)
              || p.getConvMessage().getCid().equals(cid);
      if (names) {
        about.add(p);
      }
    }
    return about;
  }

  private static void awaitGone(String clientId, String cid) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (indexed(clientId, cid)) {
      assertTrue(
          System.nanoTime() < deadline, "stale index row of " + clientId + " was not deleted");
      Thread.sleep(100);
    }
  }

  @Test
  void
      a_kicked_or_blocked_member_whose_index_row_survived_gets_nothing_of_the_conversation_at_login()
          throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first(), Subprotocol.PROTOBUF_3);
    GenericCommand started =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.start)
                .setPeerId(clients.id("Tom"))
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .addM(clients.id("Jerry"))
                        .addM(clients.id("Bob"))
                        .addM(clients.id("Ann"))
                        .setAttr(JsonObjectMessage.newBuilder().setData("{\"name\":\"group\"}"))),
            WAIT);
    String cid = started.getConvMessage().getCid();
    GenericCommand kicked =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.remove)
                .setPeerId(clients.id("Tom"))
                .setConvMessage(ConvCommand.newBuilder().setCid(cid).addM(clients.id("Jerry"))),
            WAIT);
    assertEquals(OpType.removed, kicked.getOp(), kicked::toString);
    GenericCommand blocked =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.blacklist)
                .setOp(OpType.block)
                .setPeerId(clients.id("Tom"))
                .setBlacklistMessage(
                    BlacklistCommand.newBuilder().setSrcCid(cid).addToPids(clients.id("Bob"))),
            WAIT);
    assertEquals(CommandType.blacklist, blocked.getCmd(), blocked::toString);
    GenericCommand ack =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.direct)
                .setPeerId(clients.id("Tom"))
                .setDirectMessage(DirectCommand.newBuilder().setCid(cid).setMsg("after the kick")),
            WAIT);
    assertFalse(ack.getAckMessage().hasCode(), ack::toString);
    assertFalse(indexed(clients.id("Jerry"), cid), "the kick deleted Jerry's row");
    assertFalse(indexed(clients.id("Bob"), cid), "the block deleted Bob's row");
    // As if both deletes had been lost in a crash.
    restoreRow(clients.id("Jerry"), cid);
    restoreRow(clients.id("Bob"), cid);

    ImClient jerry = clients.login("Jerry", CLUSTER.first(), Subprotocol.PROTOBUF_3);
    ImClient bob = clients.login("Bob", CLUSTER.first(), Subprotocol.PROTOBUF_1);
    ImClient ann = clients.login("Ann", CLUSTER.first(), Subprotocol.PROTOBUF_3);
    assertEquals(
        List.of(), pushesAbout(jerry, cid), "the kicked member (unread counts, v3) gets nothing");
    assertEquals(
        List.of(), pushesAbout(bob, cid), "the blocked member (offline messages, v1) gets nothing");
    assertEquals(1, pushesAbout(ann, cid).size(), "a member still gets its unread count");
    awaitGone(clients.id("Jerry"), cid);
    awaitGone(clients.id("Bob"), cid);
    assertTrue(indexed(clients.id("Ann"), cid));

    restoreRow(clients.id("Jerry"), cid);
    assertFalse(
        myConversations(jerry, "Jerry").contains(cid),
        "nor is it among the kicked member's conversations");
    assertTrue(myConversations(ann, "Ann").contains(cid));
  }

  private static Conversation.Snapshot snapshot(String cid, List<String> members) {
    return new Conversation.Snapshot(
        cid,
        Kind.NORMAL,
        members.get(0),
        members,
        List.of(),
        "{}",
        false,
        null,
        System.currentTimeMillis(),
        System.currentTimeMillis(),
        0,
        null);
  }

  /**
   * A burst of logins reads its clients' conversations in a few grouped requests ({@code
   * member-index-reads}), and each login still gets exactly its own: 120 clients, each in a
   * conversation of its own (some also in a shared one), read at once with one request out at a
   * time and 16 clients per request; two apps' clients never share a request.
   */
  @Test
  void concurrent_reads_of_many_clients_conversations_go_together_and_each_gets_its_own()
      throws Exception {
    ConversationIndex index =
        new ConversationIndex(
            CLUSTER.first().system(),
            SharedCassandra.keyspace(),
            ConversationIndex.Retries.DEFAULT,
            10_000,
            ConversationIndex.AppIndex.DEFAULT,
            new io.parley.node.settings.Storage.MemberReads(16, 1));
    int clientsPerApp = 60;
    List<String> apps = List.of(APP, "other-app");
    java.util.Map<String, List<String>> expected = new java.util.HashMap<>();
    String shared = ConversationIds.newId(java.time.Instant.now());
    List<String> sharing = new ArrayList<>();
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (String app : apps) {
      for (int n = 0; n < clientsPerApp; n++) {
        String client = clients.id("Burst" + n);
        String own = ConversationIds.newId(java.time.Instant.now());
        writes.add(
            index.record(app, snapshot(own, List.of(client)), List.of()).toCompletableFuture());
        List<String> cids = new ArrayList<>(List.of(own));
        if (n % 3 == 0 && app.equals(APP)) {
          sharing.add(client);
          cids.add(shared);
        }
        expected.put(app + "/" + client, cids);
      }
    }
    writes.add(index.record(APP, snapshot(shared, sharing), List.of()).toCompletableFuture());
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

    long before = index.memberReads();
    java.util.Map<String, CompletableFuture<List<String>>> reads = new java.util.HashMap<>();
    for (String key : expected.keySet()) {
      String[] appAndClient = key.split("/", 2);
      reads.put(
          key,
          index
              .conversationsOf(appAndClient[0], appAndClient[1], CANDIDATES)
              .toCompletableFuture());
    }
    for (var read : reads.entrySet()) {
      assertEquals(
          expected.get(read.getKey()).stream().sorted().toList(),
          read.getValue().get(30, TimeUnit.SECONDS).stream().sorted().toList(),
          "the conversations of " + read.getKey());
    }
    long requests = index.memberReads() - before;
    System.out.printf(
        "MemberIndexIT: %d concurrent reads of %d apps took %d requests%n",
        reads.size(), apps.size(), requests);
    assertTrue(
        requests >= 2 * clientsPerApp / 16 && requests <= 2 * clientsPerApp / 4,
        requests + " requests for " + reads.size() + " reads: not grouped 16 by 16 per app");
  }

  private static ConversationIndex index(ConversationIndex.Retries retries) {
    return new ConversationIndex(
        CLUSTER.first().system(), SharedCassandra.keyspace(), retries, 10_000);
  }

  @Test
  void an_old_index_write_arriving_after_a_newer_removal_cannot_bring_the_row_back()
      throws Exception {
    ConversationIndex index = index(ConversationIndex.Retries.DEFAULT);
    String cid = ConversationIds.newId(java.time.Instant.now());
    long added = System.currentTimeMillis() * 1000;
    // The removal is written first; the add it followed arrives late (a retry of an older
    // snapshot).
    index
        .record(
            APP,
            snapshot(cid, List.of(clients.id("Tom"))),
            List.of(clients.id("Jerry")),
            added + 1000)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    index
        .record(
            APP, snapshot(cid, List.of(clients.id("Tom"), clients.id("Jerry"))), List.of(), added)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertTrue(indexed(clients.id("Tom"), cid));
    assertFalse(indexed(clients.id("Jerry"), cid), "the older add lost against the newer removal");
  }

  @Test
  void an_index_write_cassandra_refuses_is_not_retried() throws Exception {
    ConversationIndex index =
        index(
            new ConversationIndex.Retries(6, Duration.ofMillis(200), Duration.ofMillis(400), 100));
    String cid = ConversationIds.newId(java.time.Instant.now());
    String tooLong = "x".repeat(70_000);
    ExecutionException refused =
        assertThrows(
            ExecutionException.class,
            () ->
                index
                    .record(APP, snapshot(cid, List.of(clients.id("Tom"), tooLong)), List.of())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS));
    System.out.println("refused index write: " + refused.getCause());
    assertFalse(ConversationIndex.transientFailure(refused.getCause()));
    Thread.sleep(1000);
    assertEquals(0, index.pendingRetries(), "nothing waits for a retry");
    assertTrue(indexed(clients.id("Tom"), cid), "the other rows were written");
  }

  @Test
  void retries_of_index_writes_that_fail_for_a_passing_reason_end_after_their_attempts()
      throws Exception {
    // A node whose Cassandra does not answer: every write times out after 100 ms.
    org.apache.pekko.actor.typed.ActorSystem<Void> offline =
        org.apache.pekko.actor.typed.ActorSystem.create(
            org.apache.pekko.actor.typed.javadsl.Behaviors.empty(),
            "offline",
            com.typesafe.config.ConfigFactory.parseString(
                    "pekko.actor.provider = local\n"
                        + "datastax-java-driver.basic.contact-points = [\"127.0.0.1:"
                        + io.parley.deploy.cassandra.LocalCassandra.freePort()
                        + "\"]\n"
                        + "datastax-java-driver.advanced.reconnect-on-init = false\n"
                        + "datastax-java-driver.basic.request.timeout = 100ms")
                .withFallback(com.typesafe.config.ConfigFactory.load()));
    try {
      ConversationIndex index =
          new ConversationIndex(
              offline,
              SharedCassandra.keyspace(),
              new ConversationIndex.Retries(3, Duration.ofMillis(100), Duration.ofMillis(200), 100),
              10_000);
      String cid = ConversationIds.newId(java.time.Instant.now());
      CompletableFutureAssert.fails(
          index.record(APP, snapshot(cid, List.of(clients.id("Tom"))), List.of()));
      int most = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < deadline) {
        most = Math.max(most, index.pendingRetries());
        Thread.sleep(20);
      }
      System.out.printf(
          "unreachable Cassandra: at most %d index retries pending, %d after 3 attempts%n",
          most, index.pendingRetries());
      assertTrue(most > 0, "the failed writes were retried");
      assertEquals(0, index.pendingRetries(), "and the retries ended");
    } finally {
      offline.terminate();
    }
  }

  /** Waits for a stage that must fail. */
  private static final class CompletableFutureAssert {
    static void fails(java.util.concurrent.CompletionStage<?> stage) {
      assertThrows(
          ExecutionException.class, () -> stage.toCompletableFuture().get(20, TimeUnit.SECONDS));
    }
  }

  @Test
  void a_client_in_more_conversations_than_a_query_examines_keeps_its_most_recently_active_ones()
      throws Exception {
    ImClient tom = clients.login("Tom", CLUSTER.first(), Subprotocol.PROTOBUF_3);
    List<String> cids = new ArrayList<>();
    for (int n = 0; n < CANDIDATES + 5; n++) {
      GenericCommand started =
          tom.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.start)
                  .setPeerId(clients.id("Tom"))
                  .setConvMessage(
                      ConvCommand.newBuilder()
                          .addM(clients.id("Heavy"))
                          .addM(clients.id("Other" + n))
                          .setAttr(JsonObjectMessage.newBuilder().setData("{\"n\":" + n + "}"))),
              WAIT);
      cids.add(started.getConvMessage().getCid());
    }
    // The three with the greatest ids get the newest messages: in id order they would be cut.
    List<String> byId = cids.stream().sorted().toList();
    List<String> active = byId.subList(byId.size() - 3, byId.size());
    for (String cid : active) {
      GenericCommand ack =
          tom.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.direct)
                  .setPeerId(clients.id("Tom"))
                  .setDirectMessage(DirectCommand.newBuilder().setCid(cid).setMsg("news")),
              WAIT);
      assertFalse(ack.getAckMessage().hasCode(), ack::toString);
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> candidates;
    do {
      candidates =
          new ConversationIndex(CLUSTER.first().system(), SharedCassandra.keyspace())
              .conversationsOf(APP, clients.id("Heavy"), CANDIDATES)
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      // The index learns of a message after its ack: wait until the order shows all three (the
      // active ones may rank within the limit by creation time alone, before their messages land).
    } while (!(candidates.size() >= 3
            && new java.util.HashSet<>(candidates.subList(0, 3)).containsAll(active))
        && System.nanoTime() < deadline);
    assertEquals(CANDIDATES, candidates.size());
    assertEquals(
        active.stream().sorted().toList(),
        candidates.subList(0, 3).stream().sorted().toList(),
        "the most recently active first");

    ImClient heavy = clients.login("Heavy", CLUSTER.first(), Subprotocol.PROTOBUF_3);
    List<String> unread = new ArrayList<>();
    for (Optional<GenericCommand> push = heavy.pollPush(QUIET);
        push.isPresent();
        push = heavy.pollPush(QUIET)) {
      push.get().getUnreadMessage().getConvsList().forEach(tuple -> unread.add(tuple.getCid()));
    }
    assertEquals(
        active.stream().sorted().toList(),
        unread.stream().sorted().toList(),
        "login tells of the active conversations' unread messages");
    List<String> mine = myConversations(heavy, "Heavy");
    System.out.printf(
        "%d conversations, %d examined: my conversations %s%n",
        cids.size(), CANDIDATES, mine.size());
    assertTrue(mine.containsAll(active), "my conversations list the active ones: " + mine);
  }
}
