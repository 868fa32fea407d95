package io.parley.node.conversation;

import io.parley.node.concurrent.Futures;
import com.datastax.oss.driver.api.core.cql.Row;
import io.parley.node.conversation.ConversationState.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Read-side indexes of conversations in Cassandra, kept by the conversation entities themselves:
 * <ul>
 *   <li>{@code conversations_by_member}: the conversations a client is in, so "conversations I am in" reads
 *       one partition instead of scanning;
 *   <li>{@code conversations_by_app}: an app's conversations by creation month, newest first, the bounded
 *       candidate set for queries on attributes alone.
 * </ul>
 * Writes are idempotent and happen after the entity's event is persisted; a write lost to a crash is
 * repaired when the conversation next changes or is next loaded (the entity re-asserts its rows on
 * recovery). Chatrooms and temporary conversations are not listed (as in LeanCloud's {@code _Conversation}).
 */
public final class ConversationIndex implements Conversation.MemberIndex {

  private static final int MONTHS_SCANNED = 36;

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final String keyspace;

  public ConversationIndex(ActorSystem<?> system, String keyspace) {
    this.system = system;
    // Its own session: sharing the journal plugin's config path would skip the plugin's table creation.
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.keyspace = keyspace;
  }

  /** Creates the tables (local runs and tests only; production uses deploy/cassandra/schema.cql). */
  public CompletionStage<Done> createTables(String replication) {
    return Futures.direct(session.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = " + replication))
        .thenCompose(done -> Futures.direct(session.executeDDL("CREATE TABLE IF NOT EXISTS " + keyspace + ".conversations_by_member ("
            + "app_id text, client_id text, cid text, PRIMARY KEY ((app_id, client_id), cid))")))
        .thenCompose(done -> Futures.direct(session.executeDDL("CREATE TABLE IF NOT EXISTS " + keyspace + ".conversations_by_app ("
            + "app_id text, month int, created_at bigint, cid text, PRIMARY KEY ((app_id, month), created_at, cid))"
            + " WITH CLUSTERING ORDER BY (created_at DESC, cid ASC)")));
  }

  @Override
  public CompletionStage<Done> record(String appId, Conversation.Snapshot conversation, List<String> removed) {
    // Chatrooms have no members to index and temporary conversations are read by id; a system conversation's
    // subscribers are indexed, so that a broadcast reaches an offline subscriber at login (unread, offline queue).
    if (conversation.kind() == Kind.TRANSIENT || conversation.kind() == Kind.TEMPORARY) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<CompletionStage<Done>> writes = new ArrayList<>();
    for (String member : conversation.members()) {
      writes.add(Futures.direct(session.executeWrite(
          "INSERT INTO " + keyspace + ".conversations_by_member (app_id, client_id, cid) VALUES (?, ?, ?)",
          appId, member, conversation.id())));
    }
    for (String member : removed) {
      writes.add(Futures.direct(session.executeWrite(
          "DELETE FROM " + keyspace + ".conversations_by_member WHERE app_id = ? AND client_id = ? AND cid = ?",
          appId, member, conversation.id())));
    }
    writes.add(Futures.direct(session.executeWrite(
        "INSERT INTO " + keyspace + ".conversations_by_app (app_id, month, created_at, cid) VALUES (?, ?, ?, ?)",
        appId, month(conversation.createdAt()), conversation.createdAt(), conversation.id())));
    CompletableFuture<Void> all =
        CompletableFuture.allOf(writes.stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new));
    all.whenComplete((done, failure) -> {
      if (failure != null) {
        system.log().warn("Index update for conversation {} failed, retrying: {}", conversation.id(), failure.toString());
        system.scheduler().scheduleOnce(Duration.ofSeconds(2),
            () -> record(appId, conversation, removed), system.executionContext());
      }
    });
    return all.thenApply(done -> Done.getInstance());
  }

  /** The ids of the conversations {@code clientId} is in, at most {@code limit}. */
  public CompletionStage<List<String>> conversationsOf(String appId, String clientId, int limit) {
    return Futures.direct(session.selectAll(
            "SELECT cid FROM " + keyspace + ".conversations_by_member WHERE app_id = ? AND client_id = ? LIMIT " + limit,
            appId, clientId))
        .thenApply(rows -> rows.stream().map(row -> row.getString("cid")).toList());
  }

  /** The app's newest conversation ids, at most {@code limit}, scanning back month by month. */
  public CompletionStage<List<String>> recentConversations(String appId, int limit) {
    return recent(appId, YearMonth.now(ZoneOffset.UTC), 0, limit, new ArrayList<>());
  }

  private CompletionStage<List<String>> recent(String appId, YearMonth month, int scanned, int limit, List<String> found) {
    if (found.size() >= limit || scanned >= MONTHS_SCANNED) {
      return CompletableFuture.completedFuture(found);
    }
    return Futures.direct(session.selectAll(
            "SELECT cid FROM " + keyspace + ".conversations_by_app WHERE app_id = ? AND month = ? LIMIT " + (limit - found.size()),
            appId, month.getYear() * 100 + month.getMonthValue()))
        .thenCompose(rows -> {
          for (Row row : rows) {
            found.add(row.getString("cid"));
          }
          return recent(appId, month.minusMonths(1), scanned + 1, limit, found);
        });
  }

  private static int month(long epochMillis) {
    YearMonth month = YearMonth.from(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    return month.getYear() * 100 + month.getMonthValue();
  }
}
