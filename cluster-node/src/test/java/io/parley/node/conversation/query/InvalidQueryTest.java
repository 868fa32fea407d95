package io.parley.node.conversation.query;

import static io.parley.node.conversation.query.Fixtures.ALL;
import static io.parley.node.conversation.query.Fixtures.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input is an {@link InvalidQueryException} with a useful message, never an unchecked
 * exception.
 */
class InvalidQueryTest {

  private static InvalidQueryException invalid(String where) {
    return invalid(where, null, null, null);
  }

  private static InvalidQueryException invalid(
      String where, String sort, Integer limit, Integer skip) {
    InvalidQueryException e =
        assertThrows(
            InvalidQueryException.class,
            () -> ConversationQuery.parse(where, sort, limit, skip, QueryLimits.DEFAULT),
            () -> "should be invalid: " + where + " sort=" + sort);
    assertNotNull(e.getMessage());
    return e;
  }

  static Stream<Arguments> badWheres() {
    return Stream.of(
        // where text, a fragment the message must contain
        Arguments.of("not json", "not valid JSON"),
        Arguments.of("{", "not valid JSON"),
        Arguments.of("{\"m\":\"Tom\"} trailing", "not valid JSON"),
        Arguments.of("{\"m\":\"Tom\",}", "not valid JSON"),
        Arguments.of("[1,2]", "must be a JSON object"),
        Arguments.of("\"m\"", "must be a JSON object"),
        Arguments.of("42", "must be a JSON object"),
        Arguments.of("true", "must be a JSON object"),
        Arguments.of("{\"$foo\":1}", "$foo"),
        Arguments.of("{\"$where\":\"this.a == 1\"}", "$where"),
        Arguments.of("{\"$nor\":[{\"a\":1}]}", "$nor"),
        Arguments.of("{\"name\":{\"$foo\":1}}", "$foo"),
        Arguments.of("{\"name\":{\"$not\":{\"$regex\":\"a\"}}}", "$not"),
        Arguments.of("{\"m\":{\"$elemMatch\":{\"$eq\":\"Tom\"}}}", "$elemMatch"),
        Arguments.of(
            "{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\",\"latitude\":1,\"longitude\":2}}}",
            "$nearSphere"),
        Arguments.of("{\"post\":{\"$inQuery\":{\"where\":{},\"className\":\"Post\"}}}", "$inQuery"),
        Arguments.of("{\"name\":{\"$regex\":\"a\",\"plain\":1}}", "mixes operators"),
        Arguments.of("{\"m\":{\"$in\":\"Tom\"}}", "$in on 'm' needs an array"),
        Arguments.of("{\"m\":{\"$nin\":{}}}", "$nin on 'm' needs an array"),
        Arguments.of("{\"m\":{\"$all\":\"Tom\"}}", "$all on 'm' needs an array"),
        Arguments.of("{\"m\":{\"$in\":[{\"$gt\":1}]}}", "cannot contain operators"),
        Arguments.of("{\"m\":{\"$size\":-1}}", "$size"),
        Arguments.of("{\"m\":{\"$size\":1.5}}", "$size"),
        Arguments.of("{\"m\":{\"$size\":\"2\"}}", "$size"),
        Arguments.of("{\"m\":{\"$size\":1e20}}", "$size"),
        Arguments.of("{\"lm\":{\"$exists\":\"yes\"}}", "$exists"),
        Arguments.of("{\"lm\":{\"$exists\":1}}", "$exists"),
        Arguments.of("{\"name\":{\"$regex\":5}}", "$regex on 'name' needs a string"),
        Arguments.of("{\"name\":{\"$regex\":\"(\"}}", "invalid $regex"),
        Arguments.of("{\"name\":{\"$regex\":\"[^]\"}}", "invalid $regex"),
        Arguments.of("{\"name\":{\"$regex\":\"a\",\"$options\":\"g\"}}", "unsupported flag 'g'"),
        Arguments.of("{\"name\":{\"$regex\":\"a\",\"$options\":1}}", "$options"),
        Arguments.of("{\"name\":{\"$options\":\"i\"}}", "only allowed together with $regex"),
        Arguments.of(
            "{\"lm\":{\"$gt\":{\"__type\":\"Date\",\"iso\":\"yesterday\"}}}", "invalid Date"),
        Arguments.of("{\"lm\":{\"$gt\":{\"__type\":\"Date\"}}}", "invalid Date"),
        Arguments.of("{\"lm\":{\"__type\":\"Date\",\"iso\":42}}", "invalid Date"),
        Arguments.of("{\"n\":{\"$lt\":true}}", "$lt on 'n' needs a number, a string or a Date"),
        Arguments.of("{\"n\":{\"$lte\":[1]}}", "$lte"),
        Arguments.of("{\"n\":{\"$gt\":null}}", "$gt"),
        Arguments.of("{\"n\":{\"$gte\":{\"a\":1}}}", "$gte"),
        Arguments.of("{\"$or\":[]}", "$or"),
        Arguments.of("{\"$or\":{}}", "$or"),
        Arguments.of("{\"$and\":\"x\"}", "$and"),
        Arguments.of("{\"$and\":[1]}", "$and[0] must be a JSON object"),
        Arguments.of("{\"$or\":[{\"m\":\"a\"},[]]}", "$or[1] must be a JSON object"),
        Arguments.of("{\"$or\":[{\"name\":{\"$bad\":1}}]}", "$bad"),
        Arguments.of("{\"\":1}", "empty query key"),
        Arguments.of("{\"a..b\":1}", "empty path segment"),
        Arguments.of("{\"a.\":1}", "empty path segment"),
        Arguments.of("{\"a.$b\":1}", "operator where a field name is expected"));
  }

  @ParameterizedTest
  @MethodSource("badWheres")
  void a_malformed_or_unsupported_where_is_rejected_with_a_message_naming_the_problem(
      String where, String messageFragment) {
    InvalidQueryException e = invalid(where);
    assertTrue(e.getMessage().contains(messageFragment), () -> where + " -> " + e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a,,b", ",a", "a,", "-", "a,-", "$natural", "a..b", "attr.$x", "a, ,b"})
  void a_malformed_sort_is_rejected_with_a_message_about_sort(String sort) {
    InvalidQueryException e = invalid("{}", sort, null, null);
    assertTrue(e.getMessage().contains("sort"), e.getMessage());
  }

  @Test
  void more_sort_keys_than_the_maximum_are_rejected() {
    String sort =
        String.join(",", java.util.Collections.nCopies(ConversationQuery.MAX_SORT_KEYS + 1, "a"));
    assertTrue(invalid("{}", sort, null, null).getMessage().contains("more than"));
  }

  @Test
  void a_negative_limit_is_rejected() {
    assertTrue(invalid("{}", null, -1, null).getMessage().contains("limit"));
  }

  @Test
  void a_negative_skip_is_rejected() {
    assertTrue(invalid("{}", null, null, -1).getMessage().contains("skip"));
  }

  @Test
  void and_or_nested_deeper_than_the_limit_are_rejected() {
    int max = QueryLimits.DEFAULT_MAX_LOGICAL_DEPTH;
    String tooDeep = ConversationQueryTest.nest(max + 1, "{\"m\":\"Spike\"}");
    assertTrue(invalid(tooDeep).getMessage().contains("nested deeper than " + max));
    QueryLimits shallow = new QueryLimits(10, 1000, 1, 1024, 1000);
    assertThrows(
        InvalidQueryException.class,
        () ->
            ConversationQuery.parse(
                ConversationQueryTest.nest(2, "{}"), null, null, null, shallow));
  }

  @Test
  void huge_json_nesting_is_rejected_without_blowing_the_stack() {
    String deepArray = "{\"m\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    assertTrue(invalid(deepArray).getMessage().contains("not valid JSON"));
    String deepLogic = ConversationQueryTest.nest(5_000, "{}");
    assertThrows(
        InvalidQueryException.class,
        () -> ConversationQuery.parse(deepLogic, null, null, null, null));
  }

  @Test
  void deeply_nested_values_in_a_json_tree_where_are_rejected() {
    ObjectNode where = JSON.createObjectNode();
    ObjectNode value = where.putObject("attr");
    for (int i = 0; i < 5_000; i++) {
      value = value.putObject("x");
    }
    InvalidQueryException e =
        assertThrows(
            InvalidQueryException.class,
            () -> ConversationQuery.parse(where, null, null, null, null));
    assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
  }

  @Test
  void a_regex_longer_than_the_limit_is_rejected() throws Exception {
    int max = QueryLimits.DEFAULT_MAX_REGEX_LENGTH;
    String ok =
        JSON.createObjectNode()
            .set("name", JSON.createObjectNode().put("$regex", "a".repeat(max)))
            .toString();
    ConversationQuery.parse(ok, null, null, null, null);
    String tooLong =
        JSON.createObjectNode()
            .set("name", JSON.createObjectNode().put("$regex", "a".repeat(max + 1)))
            .toString();
    assertTrue(invalid(tooLong).getMessage().contains("longer than " + max));
  }

  @Test
  void inconsistent_query_limits_are_refused() {
    assertThrows(IllegalArgumentException.class, () -> new QueryLimits(11, 10));
    assertThrows(IllegalArgumentException.class, () -> new QueryLimits(-1, 10));
    assertThrows(IllegalArgumentException.class, () -> new QueryLimits(1, 10, 32, 1024, 0));
    assertEquals(10, QueryLimits.DEFAULT.defaultLimit());
    assertEquals(1000, QueryLimits.DEFAULT.maxLimit());
  }

  /**
   * Mangles valid queries at random (fixed seed): every result must be either a query that runs
   * over the fixtures, or an InvalidQueryException.
   */
  @Test
  void mangled_queries_either_run_or_are_rejected_never_crash() {
    List<String> seeds =
        List.of(
            "{\"objectId\":\"5a5ecde6c3422b738c8779a1\",\"m\":{\"$size\":2,\"$all\":[\"hjiang\",\"leeyeh\"]}}",
            "{\"$or\":[{\"tr\":true},{\"$and\":[{\"m\":\"Tom\"},{\"attr.level\":{\"$gte\":3}}]}]}",
            "{\"createdAt\":{\"$lt\":{\"__type\":\"Date\",\"iso\":\"2030-01-01T00:00:00.000Z\"}},\"name\":{\"$regex\":"
                + "\"^\\\\Qjs\\\\E\",\"$options\":\"im\"}}",
            "{\"m\":{\"$in\":[\"a\",\"b\"],\"$nin\":[\"c\"]},\"lm\":{\"$exists\":true},\"level\":{\"$ne\":null}}");
    String alphabet = "{}[]\":,$.-0123456789aeimnrstxQE\\ ";
    Random random = new Random(42);
    int valid = 0;
    int rejected = 0;
    for (int round = 0; round < 5_000; round++) {
      StringBuilder text = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
      int edits = 1 + random.nextInt(4);
      for (int e = 0; e < edits && text.length() > 0; e++) {
        int at = random.nextInt(text.length());
        switch (random.nextInt(3)) {
          case 0 -> text.deleteCharAt(at);
          case 1 -> text.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
          default -> text.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String sort =
          random.nextBoolean()
              ? null
              : List.of("-lm", "name,-m", "attr.level", "-", "a,,b").get(random.nextInt(5));
      try {
        ConversationQuery q = ConversationQuery.parse(text.toString(), sort, 1000, 0, null);
        q.apply(new ArrayList<>(ALL));
        q.objectIds();
        q.requiredMember();
        valid++;
      } catch (InvalidQueryException expected) {
        rejected++;
      } catch (RuntimeException | Error unexpected) {
        fail("unchecked " + unexpected + " for where=" + text + " sort=" + sort, unexpected);
      }
    }
    assertTrue(valid > 100 && rejected > 100, "valid=" + valid + " rejected=" + rejected);
  }
}
