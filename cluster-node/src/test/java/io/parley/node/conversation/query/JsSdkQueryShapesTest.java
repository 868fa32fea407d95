package io.parley.node.conversation.query;

import static io.parley.node.conversation.query.Fixtures.ID_A;
import static io.parley.node.conversation.query.Fixtures.JSON;
import static io.parley.node.conversation.query.Fixtures.date;
import static io.parley.node.conversation.query.Fixtures.matching;
import static io.parley.node.conversation.query.Fixtures.ordered;
import static io.parley.node.conversation.query.Fixtures.query;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code where}/{@code sort}/{@code limit}/{@code skip} shapes the JS SDK's {@code
 * ConversationQuery} builder sends ({@code js-realtime-sdk src/conversation-query.js}), one test
 * per builder method, with the expectations of its {@code test/conversation-query.js} where it has
 * one. Fixture A plays the SDK test's {@code EXISTING_ROOM_ID} ("js-realtime-sdk-testconv", members
 * hjiang and leeyeh).
 */
class JsSdkQueryShapesTest {

  private static final String NOW = "2030-01-01T00:00:00.000Z";
  private static final String EPOCH = "1970-01-01T00:00:00.000Z";

  /**
   * {@code ConversationQuery._quote}: {@code \Q...\E}, with the first {@code \E} escaped as {@code
   * \E\\E\Q}.
   */
  static String quote(String s) {
    int at = s.indexOf("\\E");
    String escaped = at < 0 ? s : s.substring(0, at) + "\\E\\\\E\\Q" + s.substring(at + 2);
    return "\\Q" + escaped + "\\E";
  }

  /**
   * {@code {"objectId": A, key: {"$regex": pattern[, "$options": options]}}} as the SDK builds it.
   */
  static String roomWithRegex(String key, String pattern, String options) {
    ObjectNode where = JSON.createObjectNode().put("objectId", ID_A);
    ObjectNode condition = where.putObject(key).put("$regex", pattern);
    if (options != null) {
      condition.put("$options", options);
    }
    return where.toString();
  }

  private static String room(String condition) {
    return "{\"objectId\":\"" + ID_A + "\"," + condition + "}";
  }

  @Test
  void equal_to_finds_a_conversation_by_id_or_by_creator() {
    assertEquals("A", matching("{\"objectId\":\"" + ID_A + "\"}"));
    assertEquals("BC", matching("{\"c\":\"Tom\"}"));
  }

  @Test
  void contains_members_finds_the_room_only_with_those_members() {
    assertEquals("A", matching(room("\"m\":{\"$all\":[\"hjiang\"]}")));
    assertEquals("", matching(room("\"m\":{\"$all\":[\"nobody\"]}")));
  }

  @Test
  void with_members_finds_conversations_with_exactly_those_members() {
    // withMembers(['hjiang', 'leeyeh'], true) by client "me": sizeEqualTo first, then
    // containsMembers
    assertEquals("", matching(room("\"m\":{\"$size\":3,\"$all\":[\"hjiang\",\"leeyeh\",\"me\"]}")));
    assertEquals("A", matching(room("\"m\":{\"$size\":2,\"$all\":[\"hjiang\",\"leeyeh\"]}")));
    assertEquals("", matching(room("\"m\":{\"$size\":1,\"$all\":[\"hjiang\"]}")));
    // across all conversations: exactly Tom and Jerry
    assertEquals("B", matching("{\"m\":{\"$size\":2,\"$all\":[\"Jerry\",\"Tom\"]}}"));
  }

  @Test
  void not_equal_to_excludes_the_conversation_with_that_value() {
    assertEquals("A", matching(room("\"name\":{\"$ne\":\"not-this-name\"}")));
    assertEquals("", matching(room("\"name\":{\"$ne\":\"js-realtime-sdk-testconv\"}")));
  }

  @Test
  void matches_finds_names_by_regex_with_its_flags() {
    // matches('name', /REALTIME-SDK/i) sends the regex source and $options "i"
    assertEquals("A", matching(roomWithRegex("name", "REALTIME-SDK", "i")));
    assertEquals("", matching(roomWithRegex("name", "REALTIME-SDK", null)));
    // /realtime/im
    assertEquals("AE", matching("{\"name\":{\"$regex\":\"realtime\",\"$options\":\"im\"}}"));
  }

  @Test
  void contains_finds_names_containing_the_literal_text_case_sensitively() {
    assertEquals("A", matching(roomWithRegex("name", quote("realtime-sdk"), null)));
    assertEquals("", matching(roomWithRegex("name", quote("REALTIME-SDK"), null)));
    assertEquals(
        "B",
        matching(
            JSON.createObjectNode()
                .set("name", JSON.createObjectNode().put("$regex", quote(" & ")))
                .toString()));
  }

  @Test
  void starts_with_finds_names_starting_with_the_literal_text() {
    assertEquals("A", matching(roomWithRegex("name", "^" + quote("js-realtime"), null)));
    assertEquals("", matching(roomWithRegex("name", "^" + quote("JS-REALTIME"), null)));
    assertEquals("BD", matching("{\"name\":{\"$regex\":\"^\\\\QT\\\\E\"}}"));
  }

  @Test
  void ends_with_finds_names_ending_with_the_literal_text() {
    assertEquals("A", matching(roomWithRegex("name", quote("testconv") + "$", null)));
    assertEquals("", matching(roomWithRegex("name", quote("TESTCONV") + "$", null)));
  }

  @Test
  void the_sdks_quoted_text_keeps_regex_metacharacters_literal() throws Exception {
    ObjectNode literal = Fixtures.doc("{\"objectId\":\"x1\",\"name\":\"a+b (c)\"}");
    ObjectNode lookalike = Fixtures.doc("{\"objectId\":\"x2\",\"name\":\"aab c\"}");
    ObjectNode withQuoteEnd = Fixtures.doc("{\"objectId\":\"x3\",\"name\":\"x\\\\Ey\"}");
    List<ObjectNode> docs = List.of(literal, lookalike, withQuoteEnd);

    String quoted =
        JSON.createObjectNode()
            .set("name", JSON.createObjectNode().put("$regex", quote("a+b (c)")))
            .toString();
    assertEquals(
        List.of(literal), ConversationQuery.parse(quoted, null, null, null, null).apply(docs));
    // the same text unquoted is a regex that matches the look-alike instead
    String raw = "{\"name\":{\"$regex\":\"a+b (c)\"}}";
    assertEquals(
        List.of(lookalike), ConversationQuery.parse(raw, null, null, null, null).apply(docs));
    // a literal \E inside the quoted text (the SDK escapes it as \E\\E\Q)
    assertEquals("\\Qx\\E\\\\E\\Qy\\E", quote("x\\Ey"));
    String withE =
        JSON.createObjectNode()
            .set("name", JSON.createObjectNode().put("$regex", quote("x\\Ey")))
            .toString();
    assertEquals(
        List.of(withQuoteEnd), ConversationQuery.parse(withE, null, null, null, null).apply(docs));
  }

  @Test
  void less_than_a_date_finds_conversations_created_before_it() {
    assertEquals("A", matching(room("\"createdAt\":{\"$lt\":" + date(NOW) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$lt\":" + date(EPOCH) + "}")));
    assertEquals(
        "DE", matching("{\"createdAt\":{\"$lt\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void less_than_or_equal_to_a_date_includes_conversations_created_at_it() {
    assertEquals("A", matching(room("\"createdAt\":{\"$lte\":" + date(NOW) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$lte\":" + date(EPOCH) + "}")));
    assertEquals(
        "ADE", matching("{\"createdAt\":{\"$lte\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void greater_than_a_date_finds_conversations_created_after_it() {
    assertEquals("A", matching(room("\"createdAt\":{\"$gt\":" + date(EPOCH) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$gt\":" + date(NOW) + "}")));
    assertEquals(
        "BC", matching("{\"createdAt\":{\"$gt\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void greater_than_or_equal_to_a_date_includes_conversations_created_at_it() {
    assertEquals("A", matching(room("\"createdAt\":{\"$gte\":" + date(EPOCH) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$gte\":" + date(NOW) + "}")));
    assertEquals(
        "ABC", matching("{\"createdAt\":{\"$gte\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void exists_finds_conversations_that_have_the_field() {
    assertEquals("ABD", matching("{\"lm\":{\"$exists\":true}}"));
    assertEquals("ABDE", matching("{\"attr\":{\"$exists\":true}}"));
  }

  @Test
  void does_not_exist_finds_conversations_without_the_field() {
    assertEquals("CE", matching("{\"lm\":{\"$exists\":false}}"));
    assertEquals("E", matching("{\"m\":{\"$exists\":false}}"));
  }

  @Test
  void contained_in_finds_conversations_whose_value_is_in_the_list() {
    assertEquals("ABC", matching("{\"c\":{\"$in\":[\"Tom\",\"hjiang\"]}}"));
  }

  @Test
  void not_contains_in_finds_conversations_whose_value_is_not_in_the_list() {
    assertEquals("DE", matching("{\"c\":{\"$nin\":[\"Tom\",\"hjiang\"]}}"));
  }

  @Test
  void contains_all_finds_conversations_with_every_listed_member() {
    assertEquals("D", matching("{\"m\":{\"$all\":[\"Spike\",\"Tom\"]}}"));
  }

  @Test
  void size_equal_to_finds_conversations_with_that_many_members() {
    assertEquals("D", matching("{\"m\":{\"$size\":3}}"));
    assertEquals("C", matching("{\"m\":{\"$size\":0}}"));
  }

  @Test
  void or_of_two_queries_finds_conversations_matching_either() {
    // Query.or(q1, q2) => {"$or": [q1.where, q2.where]}
    assertEquals("CE", matching("{\"$or\":[{\"tr\":true},{\"sys\":true}]}"));
  }

  @Test
  void and_of_two_queries_finds_conversations_matching_both() {
    // Query.and(q1, q2) => {"$and": [q1.where, q2.where]}
    assertEquals("D", matching("{\"$and\":[{\"m\":\"Tom\"},{\"attr.type\":\"group\"}]}"));
  }

  @Test
  void limit_caps_the_number_of_conversations_returned() {
    String room = "{\"objectId\":\"" + ID_A + "\"}";
    assertEquals("", ordered(room, null, 0, null));
    assertEquals("", ordered("{}", null, 0, null));
    assertEquals("A", ordered(room, null, 1, null));
  }

  @Test
  void skip_drops_the_first_conversations() {
    assertEquals("", ordered("{\"objectId\":\"" + ID_A + "\"}", null, null, 1));
    assertEquals("A", ordered("{\"objectId\":\"" + ID_A + "\"}", null, null, 0));
  }

  @Test
  void ascending_sorts_by_created_at_oldest_first() {
    // client.getQuery().limit(2).notEqualTo('objectId', '0').ascending('createdAt')
    assertEquals("ED", ordered("{\"objectId\":{\"$ne\":\"0\"}}", "createdAt", 2, null));
  }

  @Test
  void descending_sorts_by_created_at_newest_first() {
    assertEquals("CB", ordered("{\"objectId\":{\"$ne\":\"0\"}}", "-createdAt", 2, null));
  }

  @Test
  void add_ascending_and_add_descending_chain_sort_keys_in_order() {
    assertEquals(
        List.of(
            new SortKey("a", false),
            new SortKey("b", false),
            new SortKey("c", true),
            new SortKey("d", true),
            ConversationQuery.TIE_BREAKER),
        query("{}", "a,b,-c,-d", null, null).sortKeys());
    // addAscending('attr.type').addDescending('attr.level'): group (10, 3), private, then no
    // attr.type
    assertEquals("DABCE", ordered("{}", "attr.type,-attr.level", null, null));
  }
}
