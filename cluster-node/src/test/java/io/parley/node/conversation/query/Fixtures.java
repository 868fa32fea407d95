package io.parley.node.conversation.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Five conversations shaped like {@code conv/query} result elements, plus helpers that run a query
 * and name the results by letter.
 *
 * <pre>
 *      name                        c       m                      lm          createdAt   updatedAt   attr                          level
 *   A  js-realtime-sdk-testconv    hjiang  [hjiang, leeyeh]       2018-02-01  2018-01-01  2018-01-05  {group, 3, tags [x, y]}       3
 *   B  Tom &amp; Jerry                 Tom     [Tom, Jerry]           2019-03-05  2019-03-01  2019-03-02  {private, 1}                  1.5
 *   C  Chatroom (tr)               Tom     []                     -           2020-01-01  2020-01-02  -                             "high"
 *   D  Team                        Spike   [Tom, Jerry, Spike]    2021-01-01  2017-06-01  2021-01-01  {group, 10, tags [y, z]}      null
 *   E  REALTIME sdk (sys)          Spike   -                      -           2016-01-01  2016-01-01  {}                            -
 * </pre>
 *
 * Default order ({@code -lm,-updatedAt,objectId}): D, B, A, C, E.
 */
final class Fixtures {

  static final ObjectMapper JSON = new ObjectMapper();

  static final String ID_A = "5a5ecde6c3422b738c8779a1";
  static final String ID_B = "5a5ecde6c3422b738c8779b2";
  static final String ID_C = "5a5ecde6c3422b738c8779c3";
  static final String ID_D = "5a5ecde6c3422b738c8779d4";
  static final String ID_E = "5a5ecde6c3422b738c8779e5";

  static final Map<String, String> LETTERS =
      Map.of(ID_A, "A", ID_B, "B", ID_C, "C", ID_D, "D", ID_E, "E");

  static final ObjectNode A =
      doc(
          """
      {"objectId":"%s","name":"js-realtime-sdk-testconv","c":"hjiang","m":["hjiang","leeyeh"],"mu":[],
       "tr":false,"sys":false,"unique":false,
       "lm":{"__type":"Date","iso":"2018-02-01T00:00:00.000Z"},
       "createdAt":"2018-01-01T00:00:00.000Z","updatedAt":"2018-01-05T00:00:00.000Z",
       "attr":{"type":"group","level":3,"tags":["x","y"]},"level":3}
      """
              .formatted(ID_A));

  static final ObjectNode B =
      doc(
          """
      {"objectId":"%s","name":"Tom & Jerry","c":"Tom","m":["Tom","Jerry"],"mu":["Jerry"],
       "tr":false,"sys":false,"unique":true,"uniqueId":"0123456789abcdef0123456789abcdef",
       "lm":{"__type":"Date","iso":"2019-03-05T12:00:00.000Z"},
       "createdAt":"2019-03-01T00:00:00.000Z","updatedAt":"2019-03-02T00:00:00.000Z",
       "attr":{"level":1,"type":"private"},"level":1.5}
      """
              .formatted(ID_B));

  static final ObjectNode C =
      doc(
          """
      {"objectId":"%s","name":"Chatroom","c":"Tom","m":[],"tr":true,"sys":false,"unique":false,
       "createdAt":"2020-01-01T00:00:00.000Z","updatedAt":"2020-01-02T00:00:00.000Z","level":"high"}
      """
              .formatted(ID_C));

  static final ObjectNode D =
      doc(
          """
      {"objectId":"%s","name":"Team","c":"Spike","m":["Tom","Jerry","Spike"],"mu":["Tom","Spike"],
       "tr":false,"sys":false,"unique":false,
       "lm":{"__type":"Date","iso":"2021-01-01T00:00:00.000Z"},
       "createdAt":"2017-06-01T00:00:00.000Z","updatedAt":"2021-01-01T00:00:00.000Z",
       "attr":{"type":"group","level":10,"tags":["y","z"]},"level":null}
      """
              .formatted(ID_D));

  static final ObjectNode E =
      doc(
          """
      {"objectId":"%s","name":"REALTIME sdk","c":"Spike","tr":false,"sys":true,"unique":false,
       "createdAt":"2016-01-01T00:00:00.000Z","updatedAt":"2016-01-01T00:00:00.000Z","attr":{}}
      """
              .formatted(ID_E));

  /** Deliberately not in objectId order, so ordering never comes from the input by accident. */
  static final List<ObjectNode> ALL = List.of(C, E, A, D, B);

  private Fixtures() {}

  static ObjectNode doc(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(json, e);
    }
  }

  static ConversationQuery query(String where) {
    return query(where, null, null, null);
  }

  static ConversationQuery query(String where, String sort, Integer limit, Integer skip) {
    try {
      return ConversationQuery.parse(where, sort, limit, skip, QueryLimits.DEFAULT);
    } catch (InvalidQueryException e) {
      return fail("unexpectedly invalid: " + where + " -> " + e.getMessage());
    }
  }

  /** Letters of the fixtures matching {@code where}, alphabetically. */
  static String matching(String where) {
    ConversationQuery q = query(where, null, 1000, null);
    List<String> letters = new ArrayList<>(new TreeSet<>(letters(q.apply(ALL))));
    // apply and matches must agree
    List<String> viaMatches = new ArrayList<>();
    for (ObjectNode doc : ALL) {
      if (q.matches(doc)) {
        viaMatches.add(LETTERS.get(doc.get("objectId").textValue()));
      }
    }
    assertEquals(
        letters, new ArrayList<>(new TreeSet<>(viaMatches)), "apply vs matches for " + where);
    return String.join("", letters);
  }

  /** Letters of {@code apply} over all fixtures, in result order. */
  static String ordered(String where, String sort, Integer limit, Integer skip) {
    return String.join("", letters(query(where, sort, limit, skip).apply(ALL)));
  }

  static List<String> letters(List<ObjectNode> docs) {
    List<String> out = new ArrayList<>();
    for (ObjectNode doc : docs) {
      out.add(
          LETTERS.getOrDefault(doc.get("objectId").textValue(), doc.get("objectId").textValue()));
    }
    return out;
  }

  static String date(String iso) {
    return "{\"__type\":\"Date\",\"iso\":\"" + iso + "\"}";
  }
}
