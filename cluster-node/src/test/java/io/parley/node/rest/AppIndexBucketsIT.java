package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.testing.Cql;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import io.parley.node.testing.SharedCassandra;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An app's conversations are listed by creation month in several partitions per month (review M11:
 * {@code conversations_by_app_bucket}, a hash of the id picks the bucket): reads merge the buckets
 * newest first under the same limit, so the REST conversation list and the app-wide history are
 * what they were with one partition; rows of the unbucketed table of older releases are merged in
 * as well.
 */
class AppIndexBucketsIT {

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);
  @RegisterExtension static final Cql CQL = new Cql();
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final RestClient master = RestClient.master(CLUSTER.first());

  @Test
  void the_newest_conversations_come_first_across_buckets_and_the_legacy_table() throws Exception {
    List<String> created = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    for (int n = 0; n < 8; n++) {
      RestClient.Response made =
          master.post(
              "/1.2/rtm/conversations",
              "{\"name\":\"idx-" + run + "-" + n + "\",\"m\":[\"idx-" + run + "\"]}");
      assertEquals(200, made.status(), made::toString);
      created.add(made.body().path("objectId").asText());
      Thread.sleep(5); // distinct creation times
    }
    ConversationIndex.AppIndex buckets = ConversationIndex.AppIndex.DEFAULT;
    Set<Integer> used = new HashSet<>();
    created.forEach(cid -> used.add(buckets.of(cid)));
    assertTrue(used.size() > 1, "8 conversations spread over buckets: " + used);
    for (String cid : created) {
      long rows =
          CQL.session()
              .execute(
                  "SELECT count(*) FROM "
                      + SharedCassandra.keyspace()
                      + ".conversations_by_app_bucket WHERE app_id = ? AND month = ? AND bucket = ?",
                  RestClient.APP,
                  month(),
                  buckets.of(cid))
              .one()
              .getLong(0);
      assertTrue(rows >= 1, cid + " listed in its bucket");
    }

    // As an older release listed it: only in the unbucketed table.
    String legacy = created.get(5);
    Long createdAt =
        CQL.session()
            .execute(
                "SELECT created_at FROM "
                    + SharedCassandra.keyspace()
                    + ".conversations_by_app_bucket WHERE app_id = ? AND month = ? AND bucket = ? AND cid = ? "
                    + "ALLOW FILTERING",
                RestClient.APP,
                month(),
                buckets.of(legacy),
                legacy)
            .one()
            .getLong(0);
    CQL.session()
        .execute(
            "DELETE FROM "
                + SharedCassandra.keyspace()
                + ".conversations_by_app_bucket WHERE app_id = ? AND month = ? AND bucket = ? AND created_at = ? AND cid = ?",
            RestClient.APP,
            month(),
            buckets.of(legacy),
            createdAt,
            legacy);
    CQL.session()
        .execute(
            "INSERT INTO "
                + SharedCassandra.keyspace()
                + ".conversations_by_app (app_id, month, created_at, cid) VALUES (?, ?, ?, ?)",
            RestClient.APP,
            month(),
            createdAt,
            legacy);

    List<String> newestFirst = new ArrayList<>(created);
    java.util.Collections.reverse(newestFirst);
    ConversationIndex index =
        new ConversationIndex(CLUSTER.first().system(), SharedCassandra.keyspace());
    for (int limit : List.of(1, 3, 8)) {
      assertEquals(
          newestFirst.subList(0, limit),
          index
              .recentConversations(RestClient.APP, limit)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS),
          "the " + limit + " newest");
    }

    // A message in each, in creation order (so the newest conversation is also the most active).
    for (String cid : created) {
      RestClient.Response sent =
          master.post(
              "/1.2/rtm/conversations/" + cid + "/messages",
              "{\"from_client\":\"idx-" + run + "\",\"message\":\"in " + cid + "\"}");
      assertEquals(200, sent.status(), sent::toString);
      messages.add(sent.body().path("msg-id").asText());
    }
    // REST: an attribute-only query (its candidates are the app's newest conversations), which
    // also lists conversations with a last message (the app server sees it).
    RestClient.Response query =
        master.get(
            "/1.2/rtm/conversations?limit=4&where="
                + RestClient.encode("{\"name\":{\"$regex\":\"^idx-" + run + "-\"}}"));
    assertEquals(200, query.status(), query::toString);
    JsonNode found = query.body().path("results");
    List<String> listed = new ArrayList<>();
    found.forEach(conversation -> listed.add(conversation.path("objectId").asText()));
    assertEquals(newestFirst.subList(0, 4), listed);
    found.forEach(
        conversation ->
            assertTrue(conversation.has("lm"), "the app server sees lm: " + conversation));

    // The app-wide history still covers every conversation, the legacy-listed one included.
    JsonNode appWide = master.get("/1.2/rtm/messages?limit=1000").body();
    Set<String> exported = new HashSet<>();
    appWide.forEach(record -> exported.add(record.path("msg-id").asText()));
    assertTrue(exported.containsAll(messages), "every message in the app-wide history");
  }

  private static int month() {
    java.time.YearMonth now = java.time.YearMonth.now(java.time.ZoneOffset.UTC);
    return now.getYear() * 100 + now.getMonthValue();
  }
}
