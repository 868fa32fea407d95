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
  void equalTo() {
    assertEquals("A", matching("{\"objectId\":\"" + ID_A + "\"}"));
    assertEquals("BC", matching("{\"c\":\"Tom\"}"));
  }

  @Test
  void containsMembers() {
    assertEquals("A", matching(room("\"m\":{\"$all\":[\"hjiang\"]}")));
    assertEquals("", matching(room("\"m\":{\"$all\":[\"nobody\"]}")));
  }

  @Test
  void withMembers() {
    // withMembers(['hjiang', 'leeyeh'], true) by client "me": sizeEqualTo first, then
    // containsMembers
    assertEquals("", matching(room("\"m\":{\"$size\":3,\"$all\":[\"hjiang\",\"leeyeh\",\"me\"]}")));
    assertEquals("A", matching(room("\"m\":{\"$size\":2,\"$all\":[\"hjiang\",\"leeyeh\"]}")));
    assertEquals("", matching(room("\"m\":{\"$size\":1,\"$all\":[\"hjiang\"]}")));
    // across all conversations: exactly Tom and Jerry
    assertEquals("B", matching("{\"m\":{\"$size\":2,\"$all\":[\"Jerry\",\"Tom\"]}}"));
  }

  @Test
  void notEqualTo() {
    assertEquals("A", matching(room("\"name\":{\"$ne\":\"not-this-name\"}")));
    assertEquals("", matching(room("\"name\":{\"$ne\":\"js-realtime-sdk-testconv\"}")));
  }

  @Test
  void matches() {
    // matches('name', /REALTIME-SDK/i) sends the regex source and $options "i"
    assertEquals("A", matching(roomWithRegex("name", "REALTIME-SDK", "i")));
    assertEquals("", matching(roomWithRegex("name", "REALTIME-SDK", null)));
    // /realtime/im
    assertEquals("AE", matching("{\"name\":{\"$regex\":\"realtime\",\"$options\":\"im\"}}"));
  }

  @Test
  void contains() {
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
  void startsWith() {
    assertEquals("A", matching(roomWithRegex("name", "^" + quote("js-realtime"), null)));
    assertEquals("", matching(roomWithRegex("name", "^" + quote("JS-REALTIME"), null)));
    assertEquals("BD", matching("{\"name\":{\"$regex\":\"^\\\\QT\\\\E\"}}"));
  }

  @Test
  void endsWith() {
    assertEquals("A", matching(roomWithRegex("name", quote("testconv") + "$", null)));
    assertEquals("", matching(roomWithRegex("name", quote("TESTCONV") + "$", null)));
  }

  @Test
  void quoteKeepsRegexMetacharactersLiteral() throws Exception {
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
  void lessThan() {
    assertEquals("A", matching(room("\"createdAt\":{\"$lt\":" + date(NOW) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$lt\":" + date(EPOCH) + "}")));
    assertEquals(
        "DE", matching("{\"createdAt\":{\"$lt\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void lessThanOrEqualTo() {
    assertEquals("A", matching(room("\"createdAt\":{\"$lte\":" + date(NOW) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$lte\":" + date(EPOCH) + "}")));
    assertEquals(
        "ADE", matching("{\"createdAt\":{\"$lte\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void greaterThan() {
    assertEquals("A", matching(room("\"createdAt\":{\"$gt\":" + date(EPOCH) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$gt\":" + date(NOW) + "}")));
    assertEquals(
        "BC", matching("{\"createdAt\":{\"$gt\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void greaterThanOrEqualTo() {
    assertEquals("A", matching(room("\"createdAt\":{\"$gte\":" + date(EPOCH) + "}")));
    assertEquals("", matching(room("\"createdAt\":{\"$gte\":" + date(NOW) + "}")));
    assertEquals(
        "ABC", matching("{\"createdAt\":{\"$gte\":" + date("2018-01-01T00:00:00.000Z") + "}}"));
  }

  @Test
  void exists() {
    assertEquals("ABD", matching("{\"lm\":{\"$exists\":true}}"));
    assertEquals("ABDE", matching("{\"attr\":{\"$exists\":true}}"));
  }

  @Test
  void doesNotExist() {
    assertEquals("CE", matching("{\"lm\":{\"$exists\":false}}"));
    assertEquals("E", matching("{\"m\":{\"$exists\":false}}"));
  }

  @Test
  void containedIn() {
    assertEquals("ABC", matching("{\"c\":{\"$in\":[\"Tom\",\"hjiang\"]}}"));
  }

  @Test
  void notContainsIn() {
    assertEquals("DE", matching("{\"c\":{\"$nin\":[\"Tom\",\"hjiang\"]}}"));
  }

  @Test
  void containsAll() {
    assertEquals("D", matching("{\"m\":{\"$all\":[\"Spike\",\"Tom\"]}}"));
  }

  @Test
  void sizeEqualTo() {
    assertEquals("D", matching("{\"m\":{\"$size\":3}}"));
    assertEquals("C", matching("{\"m\":{\"$size\":0}}"));
  }

  @Test
  void or() {
    // Query.or(q1, q2) => {"$or": [q1.where, q2.where]}
    assertEquals("CE", matching("{\"$or\":[{\"tr\":true},{\"sys\":true}]}"));
  }

  @Test
  void and() {
    // Query.and(q1, q2) => {"$and": [q1.where, q2.where]}
    assertEquals("D", matching("{\"$and\":[{\"m\":\"Tom\"},{\"attr.type\":\"group\"}]}"));
  }

  @Test
  void limit() {
    String room = "{\"objectId\":\"" + ID_A + "\"}";
    assertEquals("", ordered(room, null, 0, null));
    assertEquals("", ordered("{}", null, 0, null));
    assertEquals("A", ordered(room, null, 1, null));
  }

  @Test
  void skip() {
    assertEquals("", ordered("{\"objectId\":\"" + ID_A + "\"}", null, null, 1));
    assertEquals("A", ordered("{\"objectId\":\"" + ID_A + "\"}", null, null, 0));
  }

  @Test
  void ascending() {
    // client.getQuery().limit(2).notEqualTo('objectId', '0').ascending('createdAt')
    assertEquals("ED", ordered("{\"objectId\":{\"$ne\":\"0\"}}", "createdAt", 2, null));
  }

  @Test
  void descending() {
    assertEquals("CB", ordered("{\"objectId\":{\"$ne\":\"0\"}}", "-createdAt", 2, null));
  }

  @Test
  void addAscendingAndAddDescending() {
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
