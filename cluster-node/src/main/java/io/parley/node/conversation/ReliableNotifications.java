package io.parley.node.conversation;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.settings.NotificationSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Reliable ("permanent") notifications (docs/protocol.md §15): every conversation event a client is
 * told ({@link Notice.Reliable}) is also kept for it in {@code notifications ((app_id, client_id),
 * server_ts, id)} for {@code ttl}, as the JSON the JS SDK reads from {@code /1.1/rtm/notifications}
 * after a reconnect. The conversation entity writes (through {@link #recording}); the REST edge
 * reads {@link #since}.
 */
public final class ReliableNotifications {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WRITE_ATTEMPTS = 3;

  /**
   * One page, oldest first: each element is a notification's JSON object; {@code hasMore} if more
   * follow.
   */
  public record Page(List<String> notifications, boolean hasMore) {}

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final String keyspace;
  private final NotificationSettings settings;

  public ReliableNotifications(
      ActorSystem<?> system, String keyspace, NotificationSettings settings) {
    this.system = system;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    this.keyspace = keyspace;
    this.settings = settings;
  }

  public NotificationSettings settings() {
    return settings;
  }

  /** Creates the table (local runs and tests only; production uses deploy/cassandra/schema.cql). */
  public CompletionStage<Done> createTable() {
    return Futures.direct(
        session.executeDDL(
            "CREATE TABLE IF NOT EXISTS "
                + keyspace
                + ".notifications ("
                + "app_id text, client_id text, server_ts bigint, id timeuuid, payload text, "
                + "PRIMARY KEY ((app_id, client_id), server_ts, id)) WITH CLUSTERING ORDER BY (server_ts ASC, id ASC) "
                + "AND default_time_to_live = "
                + settings.ttl().toSeconds()));
  }

  /** {@code delivery} that also keeps every reliable notice for its recipients. */
  public Notices recording(Notices delivery) {
    return new Notices() {
      @Override
      public void send(String appId, List<String> clientIds, Notice notice) {
        if (notice instanceof Notice.Reliable reliable && !clientIds.isEmpty()) {
          record(appId, clientIds, reliable, 1);
        }
        delivery.send(appId, clientIds, notice);
      }

      @Override
      public void sendRoom(String appId, String cid, Notice notice) {
        delivery.sendRoom(appId, cid, notice);
      }

      @Override
      public void roomStarted(
          String appId,
          String cid,
          org.apache.pekko.actor.typed.ActorRef<Conversation.Command> room) {
        delivery.roomStarted(appId, cid, room);
      }

      @Override
      public java.util.concurrent.CompletionStage<java.util.Set<String>> online(
          String appId, List<String> clientIds) {
        // The hooks ask who is online (_receiversOffline, _messageSent): the delivery knows.
        return delivery.online(appId, clientIds);
      }
    };
  }

  /** Writes one row per recipient; a failed write is retried a few times, then logged. */
  CompletionStage<Done> record(
      String appId, List<String> clientIds, Notice.Reliable notice, int attempt) {
    String payload = payload(notice);
    List<CompletableFuture<Done>> writes = new ArrayList<>();
    for (String clientId : clientIds) {
      writes.add(
          Futures.direct(
                  session.executeWrite(
                      "INSERT INTO "
                          + keyspace
                          + ".notifications "
                          + "(app_id, client_id, server_ts, id, payload) VALUES (?, ?, ?, ?, ?) USING TTL "
                          + settings.ttl().toSeconds(),
                      appId,
                      clientId,
                      notice.serverTs(),
                      Uuids.timeBased(),
                      payload))
              .toCompletableFuture());
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    all.whenComplete(
        (done, failure) -> {
          if (failure == null) {
            return;
          }
          if (attempt < WRITE_ATTEMPTS) {
            system
                .scheduler()
                .scheduleOnce(
                    Duration.ofSeconds(attempt),
                    () -> record(appId, clientIds, notice, attempt + 1),
                    system.executionContext());
          } else {
            system
                .log()
                .warn(
                    "Reliable notification of conversation {} not kept for {} client(s): {}",
                    notice.cid(),
                    clientIds.size(),
                    failure.toString());
          }
        });
    return all.thenApply(done -> Done.getInstance());
  }

  /**
   * The notifications of {@code clientId} after {@code startTs}, oldest first, one page. A full
   * page never ends inside a run of equal {@code serverTs} (unless the run fills it), so asking
   * again from its last {@code serverTs} skips nothing.
   */
  public CompletionStage<Page> since(String appId, String clientId, long startTs) {
    int pageSize = settings.pageSize();
    return Futures.direct(
            session.selectAll(
                "SELECT server_ts, payload FROM "
                    + keyspace
                    + ".notifications "
                    + "WHERE app_id = ? AND client_id = ? AND server_ts > ? LIMIT "
                    + (pageSize + 1),
                appId,
                clientId,
                startTs))
        .thenApply(
            rows -> {
              boolean hasMore = rows.size() > pageSize;
              List<com.datastax.oss.driver.api.core.cql.Row> page =
                  hasMore ? rows.subList(0, pageSize) : rows;
              if (hasMore) {
                long boundary = rows.get(pageSize).getLong("server_ts");
                int end = page.size();
                while (end > 0 && page.get(end - 1).getLong("server_ts") == boundary) {
                  end--;
                }
                page = end == 0 ? page : page.subList(0, end);
              }
              return new Page(page.stream().map(row -> row.getString("payload")).toList(), hasMore);
            });
  }

  /**
   * The push as {@code /1.1/rtm/notifications} returns it: the command's {@code cmd}/{@code op}
   * names, then the fields of its {@code convMessage} flattened, in protobuf-JSON form (so {@code
   * attr} is {@code {"data": …}}).
   */
  static String payload(Notice.Reliable notice) {
    ObjectNode json = JSON.createObjectNode();
    json.put("cmd", "conv")
        .put("op", op(notice))
        .put("serverTs", notice.serverTs())
        .put("notificationType", 1)
        .put("cid", notice.cid());
    if (notice instanceof Notice.Joined joined) {
      json.put("initBy", joined.initBy());
    } else if (notice instanceof Notice.Left left) {
      json.put("initBy", left.initBy());
    } else if (notice instanceof Notice.MembersJoined joined) {
      members(json, joined.members()).put("initBy", joined.initBy());
    } else if (notice instanceof Notice.MembersLeft left) {
      members(json, left.members()).put("initBy", left.initBy());
    } else if (notice instanceof Notice.Moderated moderated) {
      members(json, moderated.members()).put("initBy", moderated.initBy());
    } else if (notice instanceof Notice.MemberInfoChanged changed) {
      json.put("initBy", changed.initBy());
      json.putObject("info").put("pid", changed.pid()).put("role", changed.role());
    } else if (notice instanceof Notice.Updated updated) {
      json.put("initBy", updated.initBy())
          .put("udate", Instant.ofEpochMilli(updated.updatedAt()).toString());
      json.putObject("attr").put("data", updated.attributesJson());
      json.putObject("attrModified").put("data", updated.modifiedJson());
    }
    return json.toString();
  }

  private static ObjectNode members(ObjectNode json, List<String> members) {
    if (!members.isEmpty()) {
      ArrayNode m = json.putArray("m");
      members.forEach(m::add);
    }
    return json;
  }

  private static String op(Notice.Reliable notice) {
    if (notice instanceof Notice.Moderated moderated) {
      return moderated.action();
    }
    if (notice instanceof Notice.Joined) {
      return "joined";
    }
    if (notice instanceof Notice.MembersJoined) {
      return "members_joined";
    }
    if (notice instanceof Notice.Left) {
      return "left";
    }
    if (notice instanceof Notice.MembersLeft) {
      return "members_left";
    }
    return notice instanceof Notice.Updated ? "updated" : "member_info_changed";
  }
}
