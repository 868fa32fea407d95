package io.parley.node.conversation.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.ConversationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Query cost (review H9): one budget for the whole query, shared by every candidate, condition and
 * regex read, instead of one per evaluated string; and a candidate that does not answer is left out
 * instead of failing the query.
 */
class QueryBudgetTest {

  private static final ActorTestKit TEST_KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    TEST_KIT.shutdownTestKit();
  }

  /**
   * {@code count} conversations of {@code members} members each, with ids made of {@code
   * memberLength} characters.
   */
  private static List<ObjectNode> conversations(int count, int members, int memberLength) {
    List<ObjectNode> docs = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      ObjectNode doc = Fixtures.JSON.createObjectNode();
      doc.put("objectId", String.format("%024x", n));
      var m = doc.putArray("m");
      for (int k = 0; k < members; k++) {
        m.add(String.format("%0" + memberLength + "d", k));
      }
      docs.add(doc);
    }
    return docs;
  }

  @Test
  void a_regex_over_every_member_of_every_candidate_is_bounded_by_one_budget_for_the_query()
      throws Exception {
    // 1000 candidates × 500 members × 64 characters: 32 million reads, each string far inside the
    // per-string budget.
    List<ObjectNode> docs = conversations(1000, 500, 64);
    ConversationQuery query =
        ConversationQuery.parse("{\"m\":{\"$regex\":\"zz\"}}", null, null, null, null);
    QueryBudget budget = new QueryBudget(2_000_000);
    long start = System.nanoTime();
    QueryBudget.Exceeded exceeded =
        assertThrows(QueryBudget.Exceeded.class, () -> query.evaluate(docs, budget));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf(
        "query budget: refused after %d of 2,000,000 steps in %d ms (unbounded: ~32,000,000 reads)%n",
        budget.spent(), millis);
    assertTrue(exceeded.getMessage().contains("2000000"), exceeded.getMessage());
    assertEquals(2_000_000, budget.spent(), "it stopped where the budget ended");
  }

  @Test
  void catastrophic_patterns_on_many_candidates_share_the_budget() throws Exception {
    // Each evaluation stops at its own 100,000 reads and counts as "no match"; 200 of them used to
    // cost 20 million.
    List<ObjectNode> docs = new ArrayList<>();
    for (int n = 0; n < 200; n++) {
      docs.add(
          Fixtures.JSON
              .createObjectNode()
              .put("objectId", "x" + n)
              .put("name", "a".repeat(40) + "!"));
    }
    ConversationQuery query =
        ConversationQuery.parse("{\"name\":{\"$regex\":\"(.*a){25}$\"}}", null, null, null, null);
    assertThrows(
        QueryBudget.Exceeded.class, () -> query.evaluate(docs, new QueryBudget(1_000_000)));
    assertEquals(
        0,
        query.apply(docs.subList(0, 3)).size(),
        "a few of them, without a query budget: no match");
  }

  @Test
  void a_query_within_its_budget_answers_and_counts_in_one_pass() throws Exception {
    List<ObjectNode> docs = conversations(300, 10, 8);
    ConversationQuery query =
        ConversationQuery.parse("{\"m\":{\"$regex\":\"^0000000[0-4]$\"}}", null, 5, 10, null);
    QueryBudget budget = new QueryBudget(2_000_000);
    ConversationQuery.Evaluated evaluated = query.evaluate(docs, budget);
    assertEquals(300, evaluated.matching());
    assertEquals(5, evaluated.page().size());
    assertEquals(
        String.format("%024x", 10),
        evaluated.page().get(0).get("objectId").asText(),
        "skip 10 in id order");
    assertTrue(budget.spent() > 300 && budget.spent() < 100_000, "spent " + budget.spent());
  }

  @Test
  void a_candidate_that_does_not_answer_is_skipped_not_fatal() {
    String silent = "00000000000000000000aaaa";
    var answering =
        TEST_KIT.spawn(
            Behaviors.<Conversation.Command>receiveMessage(
                command -> {
                  if (command instanceof Conversation.Get get) {
                    get.replyTo()
                        .tell(new Conversation.Accepted(snapshot("00000000000000000000bbbb")));
                  }
                  return Behaviors.same();
                }));
    var mute = TEST_KIT.createTestProbe(Conversation.Command.class);
    ConversationFinder finder =
        new ConversationFinder(
            id ->
                TestEntityRef.of(
                    Conversation.ENTITY_KEY, id, id.endsWith(silent) ? mute.getRef() : answering),
            null,
            ConversationSettings.DEFAULT,
            Duration.ofMillis(500));
    List<Conversation.Snapshot> found =
        finder
            .byIds("app", List.of(silent, "00000000000000000000bbbb", "not-an-id"))
            .toCompletableFuture()
            .join();
    assertEquals(
        List.of("00000000000000000000bbbb"),
        found.stream().map(Conversation.Snapshot::id).toList(),
        "the silent candidate timed out and was left out; the malformed id was never asked");
  }

  private static Conversation.Snapshot snapshot(String id) {
    return new Conversation.Snapshot(
        id, Kind.NORMAL, "Tom", List.of("Tom"), List.of(), "{}", false, null, 1, 1, 0, null);
  }
}
