package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestClients;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Expired temporary conversations leave Cassandra (review M11): the cluster's purge job deletes an
 * expired one's journal, snapshots, message history and index row, and leaves a temporary
 * conversation that has not expired untouched. The job runs every second here, five seconds after
 * expiry.
 */
class TemporaryPurgeIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          1,
          "parley.storage.temporary-purge { interval = 1s, grace = 5s, lookback = 1h }\n"
              + "parley.storage.snapshot-every = 2");

  @RegisterExtension static final Cql CQL = new Cql();
  private final List<ImClient> clients = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 6);

  @AfterEach
  void close() {
    clients.forEach(ImClient::close);
  }

  private String temporary(ImClient tom, String peer, int ttlSeconds) {
    GenericCommand started =
        tom.call(
            GenericCommand.newBuilder()
                .setCmd(CommandType.conv)
                .setOp(OpType.start)
                .setPeerId(peer)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .addM("jerry-" + run)
                        .setTempConv(true)
                        .setTempConvTTL(ttlSeconds)),
            WAIT);
    assertEquals(OpType.started, started.getOp(), started::toString);
    String cid = started.getConvMessage().getCid();
    assertTrue(cid.startsWith(ConversationIds.TEMPORARY_PREFIX), cid);
    GenericCommand ack = tom.call(Commands.direct(peer, cid, "hello " + cid), WAIT);
    assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
    return cid;
  }

  private static long count(String table, String where, Object... values) {
    return CQL.session()
        .execute(
            "SELECT count(*) FROM " + SharedCassandra.keyspace() + "." + table + " WHERE " + where,
            values)
        .one()
        .getLong(0);
  }

  private static String persistenceId(String cid) {
    return "Conversation|parley-dev:" + cid;
  }

  private static long journalRows(String cid) {
    return count("messages", "persistence_id = ? AND partition_nr = 0", persistenceId(cid));
  }

  private static long snapshotRows(String cid) {
    return count("snapshots", "persistence_id = ?", persistenceId(cid));
  }

  private static long historyRows(String cid) {
    java.time.YearMonth now = java.time.YearMonth.now(java.time.ZoneOffset.UTC);
    return count(
        "conversation_messages",
        "app_id = ? AND cid = ? AND month = ?",
        "parley-dev",
        cid,
        now.getYear() * 100 + now.getMonthValue());
  }

  @Test
  void an_expired_temporary_conversation_is_purged_and_a_live_one_is_not() throws Exception {
    String peer = "tom-" + run;
    ImClient tom = TestClients.login(CLUSTER.first(), "parley-dev", peer, clients, WAIT);
    String expiring = temporary(tom, peer, 2);
    String living = temporary(tom, peer, 3600);
    for (String cid : List.of(expiring, living)) {
      assertTrue(journalRows(cid) > 0, "journal of " + cid);
      assertEquals(1, historyRows(cid), "history of " + cid);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long started = System.nanoTime();
    while (journalRows(expiring) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
    assertEquals(0, journalRows(expiring), "the expired conversation's journal is gone");
    // Its other rows go right after the journal (index row last).
    while (count("temporary_conversations", "cid = ? ALLOW FILTERING", expiring) > 0
        && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    System.out.printf(
        "TemporaryPurgeIT: expired conversation purged %.1f s after it was made (TTL 2 s, grace 5 s)%n",
        (System.nanoTime() - started) / 1e9);
    assertEquals(0, snapshotRows(expiring), "its snapshots are gone");
    assertEquals(0, historyRows(expiring), "its history is gone");
    assertEquals(0, count("temporary_conversations", "cid = ? ALLOW FILTERING", expiring));

    assertTrue(journalRows(living) > 0, "the live conversation keeps its journal");
    assertEquals(1, historyRows(living), "and its history");
    assertEquals(1, count("temporary_conversations", "cid = ? ALLOW FILTERING", living));
  }
}
