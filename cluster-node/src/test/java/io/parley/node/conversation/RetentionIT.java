package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.OpenClients;
import io.parley.node.testing.SharedCassandra;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.ReadCommand;
import io.parley.protocol.wire.ReadTuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a conversation keeps and for how long (review H7, M10), on a node configured small:
 * snapshots every 5 events with older events deleted, positions persisted only every 10 minutes (so
 * only a clean stop can have saved them), at most 5 resident conversations (in 5 shards).
 */
class RetentionIT {

  private static final String APP = "parley-dev";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final int RESIDENT = 5;

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          1,
          String.join(
              "\n",
              "parley.storage.snapshot-every = 5",
              "parley.storage.position-flush-interval = 10m",
              "parley.storage.max-resident-conversations = " + RESIDENT,
              // The limit is split evenly among a node's active shards: as many shards as resident
              // entities here.
              "pekko.cluster.sharding.number-of-shards = " + RESIDENT));

  @RegisterExtension static final Cql CQL = new Cql();
  @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);

  private GenericCommand conv(ImClient client, String name, OpType op, ConvCommand.Builder body) {
    return client.call(
        GenericCommand.newBuilder()
            .setCmd(CommandType.conv)
            .setOp(op)
            .setPeerId(clients.id(name))
            .setConvMessage(body),
        WAIT);
  }

  private String start(ImClient client, String name, String... members) {
    ConvCommand.Builder body =
        ConvCommand.newBuilder().setAttr(JsonObjectMessage.newBuilder().setData("{\"n\":1}"));
    for (String member : members) {
      body.addM(clients.id(member));
    }
    GenericCommand started = conv(client, name, OpType.start, body);
    assertEquals(OpType.started, started.getOp(), started::toString);
    return started.getConvMessage().getCid();
  }

  private static String persistenceId(String cid) {
    return "Conversation|" + APP + ":" + cid;
  }

  @Test
  void snapshots_bound_the_journal_and_the_conversation_recovers_from_them() {
    ImClient tom = clients.login("Tom");
    String cid = start(tom, "Tom", "Jerry");
    // 1 + 19 events: ten members join, nine leave again, one by one.
    for (int n = 0; n < 10; n++) {
      assertEquals(
          OpType.added,
          conv(
                  tom,
                  "Tom",
                  OpType.add,
                  ConvCommand.newBuilder().setCid(cid).addM(clients.id("Guest" + n)))
              .getOp());
      if (n < 9) {
        assertEquals(
            OpType.removed,
            conv(
                    tom,
                    "Tom",
                    OpType.remove,
                    ConvCommand.newBuilder().setCid(cid).addM(clients.id("Guest" + n)))
                .getOp());
      }
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<Long> snapshots;
    List<Long> events;
    do {
      snapshots = sequenceNumbers("snapshots", "", cid);
      events = sequenceNumbers("messages", " AND partition_nr = 0", cid);
    } while ((events.get(0) <= 10 || snapshots.size() > 3) && System.nanoTime() < deadline);
    System.out.printf(
        "journal after 20 events with snapshots every 5: events %s, snapshots %s%n",
        events, snapshots);
    assertEquals(List.of(20L, 15L), snapshots.subList(0, 2), "a snapshot every 5 events");
    assertTrue(
        snapshots.size() <= 3,
        "older snapshots are deleted (the 2 kept and the one their events start at)");
    assertEquals(11L, events.get(0), "events older than 2 x 5 events are deleted");
    assertEquals(20L, events.get(events.size() - 1));

    CLUSTER.restartAll();
    ImClient again = clients.login("Tom");
    GenericCommand found =
        conv(
            again,
            "Tom",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(
                    JsonObjectMessage.newBuilder().setData("{\"objectId\":\"" + cid + "\"}")));
    String result = found.getConvMessage().getResults().getData();
    assertTrue(
        result.contains(clients.id("Guest9")) && result.contains(clients.id("Jerry")), result);
    assertFalse(result.contains(clients.id("Guest8")), result);
  }

  private static List<Long> sequenceNumbers(String table, String condition, String cid) {
    List<Long> found = new ArrayList<>();
    for (Row row :
        CQL.session()
            .execute(
                "SELECT sequence_nr FROM "
                    + SharedCassandra.keyspace()
                    + "."
                    + table
                    + " WHERE persistence_id = ?"
                    + condition,
                persistenceId(cid))) {
      found.add(row.getLong("sequence_nr"));
    }
    return found;
  }

  private Optional<Integer> unreadOf(ImClient client, String cid) {
    for (Optional<GenericCommand> push = client.pollPush(Duration.ofSeconds(2));
        push.isPresent();
        push = client.pollPush(Duration.ofSeconds(2))) {
      if (push.get().getCmd() == CommandType.unread) {
        return push.get().getUnreadMessage().getConvsList().stream()
            .filter(tuple -> tuple.getCid().equals(cid))
            .map(tuple -> tuple.getUnread())
            .findFirst();
      }
    }
    return Optional.empty();
  }

  @Test
  void positions_moved_since_the_last_flush_are_persisted_when_the_node_stops() throws Exception {
    ImClient tom = clients.login("Tom");
    String cid = start(tom, "Tom", "Jerry");
    for (int n = 0; n < 3; n++) {
      GenericCommand ack =
          tom.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.direct)
                  .setPeerId(clients.id("Tom"))
                  .setDirectMessage(DirectCommand.newBuilder().setCid(cid).setMsg("hello " + n)),
              WAIT);
      assertFalse(ack.getAckMessage().hasCode(), ack::toString);
    }
    ImClient jerry = clients.login("Jerry");
    assertEquals(Optional.of(3), unreadOf(jerry, cid));
    jerry.send(
        GenericCommand.newBuilder()
            .setCmd(CommandType.read)
            .setPeerId(clients.id("Jerry"))
            .setReadMessage(ReadCommand.newBuilder().addConvs(ReadTuple.newBuilder().setCid(cid)))
            .build());
    Thread.sleep(1000);
    clients.closeAll();
    // Within the 10 minute flush interval: only the stop (handoff at shutdown) can have persisted
    // the read.
    CLUSTER.restartAll();
    ImClient jerryAgain = clients.login("Jerry");
    assertEquals(Optional.empty(), unreadOf(jerryAgain, cid), "Jerry's read survived the restart");
  }

  @Test
  void resident_conversations_per_node_stay_within_the_limit_and_stopped_ones_come_back()
      throws Exception {
    ImClient tom = clients.login("Tom");
    List<String> cids = new ArrayList<>();
    for (int n = 0; n < 4 * RESIDENT; n++) {
      cids.add(start(tom, "Tom", "Member" + n));
    }
    ShardRegion.CurrentShardRegionState state =
        org.apache.pekko.actor.typed.javadsl.AskPattern
            .<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                ShardRegion.CurrentShardRegionState>
                ask(
                    ClusterSharding.get(CLUSTER.first().system()).shardState(),
                    replyTo -> new GetShardRegionState(Conversation.ENTITY_KEY, replyTo),
                    WAIT,
                    CLUSTER.first().system().scheduler())
            .toCompletableFuture()
            .get(20, TimeUnit.SECONDS);
    int resident = state.getShards().stream().mapToInt(shard -> shard.getEntityIds().size()).sum();
    System.out.printf(
        "%d conversations started, %d resident (limit %d)%n", cids.size(), resident, RESIDENT);
    assertTrue(resident <= RESIDENT, resident + " resident conversations");
    GenericCommand first =
        conv(
            tom,
            "Tom",
            OpType.query,
            ConvCommand.newBuilder()
                .setWhere(
                    JsonObjectMessage.newBuilder()
                        .setData("{\"objectId\":\"" + cids.get(0) + "\"}")));
    assertTrue(
        first.getConvMessage().getResults().getData().contains(clients.id("Member0")),
        first::toString);
  }
}
