package io.parley.node.conversation.query;

import static io.parley.node.conversation.query.Fixtures.ALL;
import static io.parley.node.conversation.query.Fixtures.ID_A;
import static io.parley.node.conversation.query.Fixtures.ID_B;
import static io.parley.node.conversation.query.Fixtures.ID_C;
import static io.parley.node.conversation.query.Fixtures.JSON;
import static io.parley.node.conversation.query.Fixtures.date;
import static io.parley.node.conversation.query.Fixtures.doc;
import static io.parley.node.conversation.query.Fixtures.letters;
import static io.parley.node.conversation.query.Fixtures.matching;
import static io.parley.node.conversation.query.Fixtures.ordered;
import static io.parley.node.conversation.query.Fixtures.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Operators, dates, paths, ordering, paging and the caller hints, over the five {@link Fixtures}.
 */
class ConversationQueryTest {

  @Nested
  class Equality {

    @Test
    void plainValue() {
      assertEquals("A", matching("{\"name\":\"js-realtime-sdk-testconv\"}"));
      assertEquals("C", matching("{\"tr\":true}"));
      assertEquals("ABDE", matching("{\"tr\":false}"));
      assertEquals("", matching("{\"name\":\"nope\"}"));
    }

    @Test
    void onAnArrayMeansContains() {
      assertEquals("BD", matching("{\"m\":\"Tom\"}"));
      assertEquals("D", matching("{\"mu\":\"Spike\"}"));
    }

    @Test
    void arrayOperandMatchesTheWholeArrayInOrder() {
      assertEquals("B", matching("{\"m\":[\"Tom\",\"Jerry\"]}"));
      assertEquals("", matching("{\"m\":[\"Jerry\",\"Tom\"]}"));
      assertEquals("C", matching("{\"m\":[]}"));
    }

    @Test
    void objectsCompareDeeplyIgnoringKeyOrder() {
      assertEquals("B", matching("{\"attr\":{\"type\":\"private\",\"level\":1}}"));
      assertEquals("B", matching("{\"attr\":{\"level\":1.0,\"type\":\"private\"}}"));
      assertEquals("", matching("{\"attr\":{\"type\":\"private\"}}"));
      assertEquals("E", matching("{\"attr\":{}}"));
    }

    @Test
    void numbersCompareByValue() {
      assertEquals("A", matching("{\"attr.level\":3.0}"));
      assertEquals("B", matching("{\"level\":1.50}"));
      List<ObjectNode> big = List.of(doc("{\"objectId\":\"x\",\"n\":9007199254740993}"));
      assertEquals(1, query("{\"n\":9007199254740993}").apply(big).size());
      assertEquals(0, query("{\"n\":9007199254740992}").apply(big).size());
    }

    @Test
    void nullMatchesNullAndMissing() {
      assertEquals("DE", matching("{\"level\":null}"));
      assertEquals("ABC", matching("{\"level\":{\"$ne\":null}}"));
    }

    @Test
    void eqOperator() {
      assertEquals("BD", matching("{\"m\":{\"$eq\":\"Tom\"}}"));
      assertEquals("A", matching("{\"objectId\":{\"$eq\":\"" + ID_A + "\"}}"));
    }

    @Test
    void severalKeysAreAnded() {
      assertEquals("C", matching("{\"c\":\"Tom\",\"tr\":true}"));
    }

    @Test
    void noConditionMatchesEverything() {
      assertEquals("ABCDE", matching("{}"));
    }
  }

  @Nested
  class NotEqual {

    @Test
    void scalar() {
      assertEquals("ACDE", matching("{\"name\":{\"$ne\":\"Tom & Jerry\"}}"));
    }

    @Test
    void onAnArrayMeansDoesNotContain_andMissingMatches() {
      assertEquals("ACE", matching("{\"m\":{\"$ne\":\"Tom\"}}"));
    }

    @Test
    void onADate() {
      assertEquals("BCDE", matching("{\"lm\":{\"$ne\":" + date("2018-02-01T00:00:00.000Z") + "}}"));
    }
  }

  @Nested
  class Ranges {

    @Test
    void numbers() {
      assertEquals("AB", matching("{\"attr.level\":{\"$lt\":5}}"));
      assertEquals("A", matching("{\"attr.level\":{\"$gte\":3,\"$lte\":3}}"));
      assertEquals("D", matching("{\"attr.level\":{\"$gt\":3}}"));
      assertEquals("AD", matching("{\"attr.level\":{\"$gte\":3}}"));
      assertEquals("B", matching("{\"attr.level\":{\"$lte\":1.0}}"));
    }

    @Test
    void onlyTheOperandsTypeMatches() {
      // level: A 3, B 1.5, C "high", D null, E missing
      assertEquals("AB", matching("{\"level\":{\"$gt\":0}}"));
      assertEquals("C", matching("{\"level\":{\"$gt\":\"\"}}"));
    }

    @Test
    void stringsInCodePointOrder() {
      // uppercase sorts before lowercase; "Tom & Jerry" > "Team"
      assertEquals("AB", matching("{\"name\":{\"$gt\":\"Team\"}}"));
      assertEquals("CE", matching("{\"name\":{\"$lt\":\"T\"}}"));
      // U+FF61 < U+1F600 by code point, though its UTF-16 unit 0xFF61 > 0xD83D
      List<ObjectNode> docs = List.of(doc("{\"objectId\":\"x\",\"s\":\"\uFF61\"}"));
      assertEquals(1, query("{\"s\":{\"$lt\":\"\uD83D\uDE00\"}}").apply(docs).size());
    }

    @Test
    void anyArrayElementMaySatisfyIt() {
      assertEquals("AD", matching("{\"attr.tags\":{\"$gt\":\"x\"}}"));
      assertEquals("D", matching("{\"attr.tags\":{\"$gt\":\"y\"}}"));
    }

    @Test
    void objectIdsCompareAsStrings() {
      assertEquals("CDE", matching("{\"objectId\":{\"$gt\":\"" + ID_B + "\"}}"));
    }
  }

  @Nested
  class Dates {

    @Test
    void dateOperandAgainstDateObjects() {
      assertEquals("BD", matching("{\"lm\":{\"$gt\":" + date("2019-01-01T00:00:00.000Z") + "}}"));
      assertEquals("A", matching("{\"lm\":{\"$lt\":" + date("2019-01-01T00:00:00.000Z") + "}}"));
    }

    @Test
    void dateOperandAgainstIsoStrings() {
      assertEquals(
          "BC", matching("{\"createdAt\":{\"$gt\":" + date("2018-06-01T00:00:00.000Z") + "}}"));
      assertEquals(
          "D", matching("{\"updatedAt\":{\"$gte\":" + date("2021-01-01T00:00:00.000Z") + "}}"));
    }

    @Test
    void dateEqualityIsByInstant() {
      assertEquals("A", matching("{\"createdAt\":" + date("2018-01-01T00:00:00.000Z") + "}"));
      assertEquals("A", matching("{\"lm\":" + date("2018-02-01T00:00:00Z") + "}"));
      assertEquals("A", matching("{\"lm\":" + date("2018-02-01T08:00:00+08:00") + "}"));
      assertEquals(
          "AD",
          matching(
              "{\"lm\":{\"$in\":["
                  + date("2018-02-01T00:00:00.000Z")
                  + ","
                  + date("2021-01-01T00:00:00.000Z")
                  + "]}}"));
      assertEquals(
          "BCE",
          matching(
              "{\"lm\":{\"$nin\":["
                  + date("2018-02-01T00:00:00.000Z")
                  + ","
                  + date("2021-01-01T00:00:00.000Z")
                  + "]}}"));
    }

    @Test
    void plainIsoStringOnCreatedAtAndUpdatedAtIsADate() {
      assertEquals("BC", matching("{\"createdAt\":{\"$gte\":\"2019-03-01T00:00:00Z\"}}"));
      assertEquals("A", matching("{\"createdAt\":\"2018-01-01T00:00:00Z\"}"));
    }

    @Test
    void aDateNeverMatchesNonDates() {
      assertEquals("", matching("{\"name\":{\"$lt\":" + date("2030-01-01T00:00:00.000Z") + "}}"));
      assertEquals("", matching("{\"lm\":{\"$lt\":\"2030-01-01T00:00:00.000Z\"}}"));
    }
  }

  @Nested
  class Sets {

    @Test
    void in() {
      assertEquals("BC", matching("{\"c\":{\"$in\":[\"Tom\",\"nobody\"]}}"));
      assertEquals("D", matching("{\"m\":{\"$in\":[\"Spike\",\"nobody\"]}}"));
      assertEquals("", matching("{\"m\":{\"$in\":[]}}"));
      assertEquals("E", matching("{\"m\":{\"$in\":[null]}}"));
    }

    @Test
    void nin() {
      assertEquals("ACE", matching("{\"m\":{\"$nin\":[\"Tom\"]}}"));
      assertEquals("ABCDE", matching("{\"m\":{\"$nin\":[]}}"));
    }

    @Test
    void all() {
      assertEquals("BD", matching("{\"m\":{\"$all\":[\"Tom\",\"Jerry\"]}}"));
      assertEquals("D", matching("{\"m\":{\"$all\":[\"Tom\",\"Jerry\",\"Spike\"]}}"));
      assertEquals("", matching("{\"m\":{\"$all\":[]}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$all\":[\"y\"]}}"));
    }

    @Test
    void size() {
      assertEquals("AB", matching("{\"m\":{\"$size\":2}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$size\":2}}"));
      assertEquals("", matching("{\"name\":{\"$size\":0}}"));
      assertEquals("D", matching("{\"m\":{\"$size\":3.0}}"));
    }

    @Test
    void exists() {
      assertEquals("ABCD", matching("{\"level\":{\"$exists\":true}}"));
      assertEquals("E", matching("{\"level\":{\"$exists\":false}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$exists\":true}}"));
    }
  }

  @Nested
  class Regex {

    @Test
    void findsAnywhereUnlessAnchored() {
      assertEquals("A", matching("{\"name\":{\"$regex\":\"realtime\"}}"));
      assertEquals("AE", matching("{\"name\":{\"$regex\":\"sdk\"}}"));
      assertEquals("E", matching("{\"name\":{\"$regex\":\"sdk$\"}}"));
    }

    @Test
    void caseInsensitiveIncludingUnicode() {
      assertEquals("AE", matching("{\"name\":{\"$regex\":\"SDK\",\"$options\":\"i\"}}"));
      assertEquals("", matching("{\"name\":{\"$regex\":\"SDK\"}}"));
      List<ObjectNode> docs = List.of(doc("{\"objectId\":\"x\",\"name\":\"école\"}"));
      assertEquals(
          1, query("{\"name\":{\"$regex\":\"^ÉCOLE$\",\"$options\":\"i\"}}").apply(docs).size());
      assertEquals(0, query("{\"name\":{\"$regex\":\"^ÉCOLE$\"}}").apply(docs).size());
    }

    @Test
    void multilineDotAllAndExtended() {
      List<ObjectNode> docs = List.of(doc("{\"objectId\":\"x\",\"name\":\"first\\nsecond\"}"));
      assertEquals(0, query("{\"name\":{\"$regex\":\"^second\"}}").apply(docs).size());
      assertEquals(
          1, query("{\"name\":{\"$regex\":\"^second\",\"$options\":\"m\"}}").apply(docs).size());
      assertEquals(0, query("{\"name\":{\"$regex\":\"first.second\"}}").apply(docs).size());
      assertEquals(
          1,
          query("{\"name\":{\"$regex\":\"first.second\",\"$options\":\"s\"}}").apply(docs).size());
      assertEquals(
          1,
          query("{\"name\":{\"$regex\":\"fir st # a comment\",\"$options\":\"x\"}}")
              .apply(docs)
              .size());
      assertEquals(0, query("{\"name\":{\"$regex\":\"fir st\"}}").apply(docs).size());
      assertEquals(
          1,
          query("{\"name\":{\"$regex\":\"FIRST.SECOND\",\"$options\":\"isu\"}}")
              .apply(docs)
              .size());
    }

    @Test
    void onArraysAnyStringElement() {
      assertEquals("D", matching("{\"m\":{\"$regex\":\"^Sp\"}}"));
    }

    @Test
    void nonStringValuesNeverMatch() {
      assertEquals("", matching("{\"attr.level\":{\"$regex\":\"3\"}}"));
      assertEquals("", matching("{\"lm\":{\"$regex\":\"2018\"}}"));
    }

    @Test
    void combinedWithOtherOperators() {
      assertEquals(
          "E",
          matching(
              "{\"name\":{\"$regex\":\"sdk\",\"$options\":\"i\",\"$ne\":\"js-realtime-sdk-testconv\"}}"));
    }

    @Test
    void catastrophicBacktrackingIsCutOff() {
      // (.*a){25}$ against 40 a's and a '!' backtracks for hours with a plain String on Java 17
      String evil = "a".repeat(40) + "!";
      List<ObjectNode> docs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        docs.add(doc("{\"objectId\":\"x" + i + "\",\"name\":\"" + evil + "\"}"));
      }
      long start = System.nanoTime();
      assertEquals(0, query("{\"name\":{\"$regex\":\"(.*a){25}$\"}}").apply(docs).size());
      assertEquals(0, query("{\"name\":{\"$regex\":\"^(a|aa)+$\"}}").apply(docs).size());
      assertTrue(System.nanoTime() - start < 5_000_000_000L, "took too long");
    }

    @Test
    void aMatchThatNeedsMoreThanTheBudgetCountsAsNoMatch() throws Exception {
      List<ObjectNode> docs =
          List.of(doc("{\"objectId\":\"x\",\"name\":\"" + "a".repeat(500) + "end\"}"));
      String where = "{\"name\":{\"$regex\":\"end$\"}}";
      QueryLimits tight = new QueryLimits(10, 1000, 32, 1024, 100);
      assertEquals(
          1,
          ConversationQuery.parse(where, null, null, null, QueryLimits.DEFAULT).apply(docs).size());
      assertEquals(0, ConversationQuery.parse(where, null, null, null, tight).apply(docs).size());
    }
  }

  @Nested
  class Logic {

    @Test
    void or() {
      assertEquals("CE", matching("{\"$or\":[{\"tr\":true},{\"sys\":true}]}"));
      assertEquals("C", matching("{\"c\":\"Tom\",\"$or\":[{\"tr\":true},{\"name\":\"Team\"}]}"));
      assertEquals("ABCDE", matching("{\"$or\":[{}]}"));
    }

    @Test
    void and() {
      assertEquals("D", matching("{\"$and\":[{\"m\":\"Tom\"},{\"m\":\"Spike\"}]}"));
      assertEquals("", matching("{\"$and\":[{\"m\":\"Tom\"},{\"tr\":true}]}"));
    }

    @Test
    void nested() {
      assertEquals(
          "CD",
          matching(
              "{\"$or\":[{\"$and\":[{\"m\":\"Tom\"},{\"m\":\"Spike\"}]},{\"name\":\"Chatroom\"}]}"));
      assertEquals(
          "B",
          matching(
              "{\"$and\":[{\"$or\":[{\"c\":\"Tom\"},{\"c\":\"hjiang\"}]},{\"$or\":[{\"unique\":true},{\"sys\":true}]}]}"));
    }

    @Test
    void nestingUpToTheLimitIsFine() {
      String where = nest(QueryLimits.DEFAULT_MAX_LOGICAL_DEPTH, "{\"m\":\"Spike\"}");
      assertEquals("D", matching(where));
    }
  }

  /** {@code depth} levels of alternating {@code $and}/{@code $or} around {@code inner}. */
  static String nest(int depth, String inner) {
    String where = inner;
    for (int i = 0; i < depth; i++) {
      where = "{\"" + (i % 2 == 0 ? "$and" : "$or") + "\":[" + where + "]}";
    }
    return where;
  }

  @Nested
  class Paths {

    @Test
    void dottedKeysDescendIntoObjects() {
      assertEquals("AD", matching("{\"attr.type\":\"group\"}"));
      assertEquals(
          "B", matching("{\"attr.type\":{\"$ne\":\"group\"},\"attr.level\":{\"$exists\":true}}"));
    }

    @Test
    void throughArrays() {
      assertEquals("D", matching("{\"attr.tags\":\"z\"}"));
      assertEquals("BD", matching("{\"m.0\":\"Tom\"}"));
      assertEquals("D", matching("{\"m.2\":\"Spike\"}"));
      List<ObjectNode> docs =
          List.of(
              doc("{\"objectId\":\"x\",\"items\":[{\"k\":1},{\"k\":2}]}"),
              doc("{\"objectId\":\"y\",\"items\":[{\"k\":3}]}"));
      assertEquals(List.of("x"), letters(query("{\"items.k\":2}").apply(docs)));
      assertEquals(List.of("y"), letters(query("{\"items.k\":{\"$gt\":2}}").apply(docs)));
      assertEquals(List.of("y"), letters(query("{\"items.0.k\":3}").apply(docs)));
    }

    @Test
    void missingIntermediateIsMissing() {
      assertEquals("CE", matching("{\"attr.type\":{\"$exists\":false}}"));
      assertEquals("", matching("{\"name.length\":{\"$exists\":true}}"));
    }
  }

  @Nested
  class Sorting {

    @Test
    void defaultIsMostRecentLastMessageFirst_withoutLmLast_thenUpdatedAt() {
      assertEquals("DBACE", ordered("{}", null, null, null));
      assertEquals("DBACE", ordered("{}", "  ", null, null));
      assertEquals(
          List.of(
              new SortKey("lm", true),
              new SortKey("updatedAt", true),
              new SortKey("objectId", false)),
          query("{}").sortKeys());
    }

    @Test
    void ascendingAndDescendingOnIsoStrings() {
      assertEquals("EDABC", ordered("{}", "createdAt", null, null));
      assertEquals("CBADE", ordered("{}", "-createdAt", null, null));
    }

    @Test
    void isoStringsSortAsInstantsWhateverTheirPrecision() {
      List<ObjectNode> docs =
          List.of(
              doc("{\"objectId\":\"late\",\"createdAt\":\"2018-01-01T00:00:00.500Z\"}"),
              doc("{\"objectId\":\"early\",\"createdAt\":\"2018-01-01T00:00:00Z\"}"));
      assertEquals(
          List.of("early", "late"), letters(query("{}", "createdAt", null, null).apply(docs)));
    }

    @Test
    void missingValuesSortLastInBothDirections() {
      assertEquals("ABDCE", ordered("{}", "lm", null, null));
      assertEquals("DBACE", ordered("{}", "-lm", null, null));
      assertEquals("BADCE", ordered("{}", "attr.level", null, null));
      assertEquals("DABCE", ordered("{}", "-attr.level", null, null));
    }

    @Test
    void mixedTypesSortNumbersBeforeStrings_nullIsMissing() {
      // level: A 3, B 1.5, C "high", D null, E missing
      assertEquals("BACDE", ordered("{}", "level", null, null));
      assertEquals("CABDE", ordered("{}", "-level", null, null));
    }

    @Test
    void arraysSortByTheirSmallestElementAscendingAndLargestDescending() {
      // m: A [hjiang, leeyeh], B [Tom, Jerry], C [], D [Tom, Jerry, Spike], E missing
      assertEquals("BDACE", ordered("{}", "m", null, null));
      assertEquals("ABDCE", ordered("{}", "-m", null, null));
    }

    @Test
    void severalKeys() {
      assertEquals("DABCE", ordered("{}", "attr.type,-attr.level", null, null));
      // c descending: hjiang > Tom > Spike (code points), then createdAt ascending
      assertEquals("ABCED", ordered("{}", "-c,createdAt", null, null));
    }

    @Test
    void booleansAndWhitespaceAroundKeys() {
      // tr false: A B D E by name (code point order: "REALTIME sdk" < "Team" < "Tom & Jerry" <
      // "js-...")
      assertEquals("EDBAC", ordered("{}", " tr , name ", null, null));
      assertEquals("CABDE", ordered("{}", "-tr,-name", null, null));
    }

    @Test
    void objectIdTieBreakerUnlessObjectIdIsSorted() {
      // A, B, D, E share tr=false: objectId ascending breaks the tie
      assertEquals("ABDEC", ordered("{}", "tr", null, null));
      assertEquals("EDBAC", ordered("{}", "tr,-objectId", null, null));
      assertEquals(
          List.of(new SortKey("objectId", true)), query("{}", "-objectId", null, null).sortKeys());
      assertEquals("EDCBA", ordered("{}", "-objectId", null, null));
    }

    @Test
    void sortsOnlyTheMatches() {
      assertEquals("DB", ordered("{\"m\":\"Tom\"}", "createdAt", null, null));
    }
  }

  @Nested
  class LimitAndSkip {

    private List<ObjectNode> many(int n) {
      List<ObjectNode> docs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        docs.add(
            doc(
                "{\"objectId\":\"%024x\",\"m\":[\"me\"],\"updatedAt\":\"2020-01-01T00:00:%02d.000Z\"}"
                    .formatted(i, i)));
      }
      return docs;
    }

    @Test
    void defaultLimitIsTen() {
      ConversationQuery q = query("{}");
      assertEquals(10, q.limit());
      assertEquals(0, q.skip());
      List<ObjectNode> result = q.apply(many(15));
      assertEquals(10, result.size());
      // no lm anywhere: -updatedAt decides
      assertEquals(String.format("%024x", 14), result.get(0).get("objectId").textValue());
    }

    @Test
    void limitAboveTheMaximumIsClamped() {
      assertEquals(1000, query("{}", null, 5000, null).limit());
      assertEquals(1000, query("{}", null, 1000, null).limit());
      QueryLimits small = new QueryLimits(2, 3);
      ConversationQuery q = parseUnchecked("{}", null, 50, null, small);
      assertEquals(3, q.limit());
      assertEquals(3, q.apply(many(15)).size());
      assertEquals(2, parseUnchecked("{}", null, null, null, small).apply(many(15)).size());
    }

    @Test
    void limitZeroReturnsNothing() {
      assertEquals(List.of(), query("{}", null, 0, null).apply(ALL));
      assertEquals(0, query("{}", null, 0, null).limit());
    }

    @Test
    void paging() {
      assertEquals("DB", ordered("{}", null, 2, 0));
      assertEquals("AC", ordered("{}", null, 2, 2));
      assertEquals("E", ordered("{}", null, 2, 4));
      assertEquals("", ordered("{}", null, 2, 5));
      assertEquals("", ordered("{}", null, 2, Integer.MAX_VALUE));
      assertEquals("BACE", ordered("{}", null, Integer.MAX_VALUE, 1));
    }

    @Test
    void countIgnoresSkipAndLimit() {
      // .NET: count:1, limit:0
      ConversationQuery q = query("{\"m\":\"Tom\"}", null, 0, 1);
      assertEquals(2, q.count(ALL));
      assertEquals(List.of(), q.apply(ALL));
    }

    @Test
    void nullCandidatesAreIgnored() {
      List<ObjectNode> docs = new ArrayList<>(ALL);
      docs.add(null);
      assertEquals("DBACE", String.join("", letters(query("{}").apply(docs))));
      assertFalse(query("{}").matches(null));
    }

    @Test
    void resultsAreTheCandidateNodesThemselves() {
      List<ObjectNode> result = query("{\"objectId\":\"" + ID_A + "\"}").apply(ALL);
      assertTrue(result.get(0) == Fixtures.A);
    }
  }

  @Nested
  class NoCondition {

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "{}", " { } ", "null"})
    void absentOrEmptyWhere(String where) throws Exception {
      ConversationQuery q = ConversationQuery.parse(where, null, null, null, null);
      assertFalse(q.hasCondition());
      assertEquals(5, q.apply(ALL).size());
      assertEquals(Optional.empty(), q.objectIds());
      assertEquals(Optional.empty(), q.requiredMember());
    }

    @Test
    void anyConditionCounts() {
      assertTrue(query("{\"m\":\"me\"}").hasCondition());
      assertTrue(query("{\"$or\":[{}]}").hasCondition());
    }
  }

  @Nested
  class JsonNodeInput {

    @Test
    void objectNodeIsCopied() throws Exception {
      ObjectNode where = JSON.createObjectNode().put("c", "Tom");
      ConversationQuery q = ConversationQuery.parse(where, "createdAt", null, null, null);
      where.put("c", "Spike");
      assertEquals(List.of("B", "C"), letters(q.apply(ALL)));
    }

    @Test
    void textNodeIsParsedAsJsonText() throws Exception {
      ConversationQuery q =
          ConversationQuery.parse(new TextNode("{\"m\":\"Spike\"}"), null, null, null, null);
      assertEquals(List.of("D"), letters(q.apply(ALL)));
    }

    @Test
    void nullMeansNoCondition() throws Exception {
      assertFalse(
          ConversationQuery.parse(
                  (com.fasterxml.jackson.databind.JsonNode) null, null, null, null, null)
              .hasCondition());
      assertFalse(ConversationQuery.parse(JSON.nullNode(), null, null, null, null).hasCondition());
    }
  }

  @Nested
  class ObjectIdPins {

    @Test
    void equality() {
      assertEquals(Optional.of(Set.of(ID_A)), query("{\"objectId\":\"" + ID_A + "\"}").objectIds());
      assertEquals(
          Optional.of(Set.of(ID_A)),
          query("{\"objectId\":{\"$eq\":\"" + ID_A + "\"}}").objectIds());
    }

    @Test
    void in() {
      assertEquals(
          Optional.of(Set.of(ID_A, ID_B)),
          query("{\"objectId\":{\"$in\":[\"" + ID_A + "\",\"" + ID_B + "\"]},\"tr\":false}")
              .objectIds());
      assertEquals(Optional.of(Set.of()), query("{\"objectId\":{\"$in\":[]}}").objectIds());
    }

    @Test
    void insideATopLevelAndPinsIntersect() {
      String where =
          "{\"$and\":[{\"objectId\":{\"$in\":[\""
              + ID_A
              + "\",\""
              + ID_B
              + "\"]}},{\"objectId\":\""
              + ID_B
              + "\"}]}";
      assertEquals(Optional.of(Set.of(ID_B)), query(where).objectIds());
      String nested =
          "{\"objectId\":{\"$in\":[\""
              + ID_A
              + "\",\""
              + ID_C
              + "\"]},"
              + "\"$and\":[{\"$and\":[{\"objectId\":{\"$in\":[\""
              + ID_C
              + "\",\""
              + ID_B
              + "\"]}}]}]}";
      assertEquals(Optional.of(Set.of(ID_C)), query(nested).objectIds());
    }

    @Test
    void notPinned() {
      assertEquals(
          Optional.empty(), query("{\"objectId\":{\"$ne\":\"" + ID_A + "\"}}").objectIds());
      assertEquals(
          Optional.empty(), query("{\"objectId\":{\"$nin\":[\"" + ID_A + "\"]}}").objectIds());
      assertEquals(
          Optional.empty(), query("{\"$or\":[{\"objectId\":\"" + ID_A + "\"}]}").objectIds());
      assertEquals(Optional.empty(), query("{\"name\":\"" + ID_A + "\"}").objectIds());
      assertEquals(Optional.empty(), query("{\"attr.objectId\":\"" + ID_A + "\"}").objectIds());
      assertEquals(
          Optional.empty(), query("{\"objectId\":{\"$gt\":\"" + ID_A + "\"}}").objectIds());
    }

    @Test
    void everyMatchIsAmongThePins() {
      for (String where :
          List.of(
              "{\"objectId\":{\"$in\":[\"" + ID_A + "\",\"" + ID_B + "\"]},\"m\":\"Tom\"}",
              "{\"objectId\":\"" + ID_C + "\"}")) {
        ConversationQuery q = query(where);
        Set<String> pins = q.objectIds().orElseThrow();
        for (ObjectNode match : q.apply(ALL)) {
          assertTrue(pins.contains(match.get("objectId").textValue()), where);
        }
        assertEquals(1, q.apply(ALL).size(), where);
      }
    }
  }

  @Nested
  class MemberPins {

    @Test
    void equality() {
      assertEquals(Optional.of("Tom"), query("{\"m\":\"Tom\"}").requiredMember());
      assertEquals(Optional.of("Tom"), query("{\"m\":{\"$eq\":\"Tom\"}}").requiredMember());
    }

    @Test
    void all() {
      ConversationQuery q = query("{\"m\":{\"$all\":[\"Tom\",\"Jerry\"]}}");
      assertEquals(Optional.of("Tom"), q.requiredMember());
      assertEquals(List.of("Tom", "Jerry"), new ArrayList<>(q.requiredMembers()));
    }

    @Test
    void withMembersShape() {
      assertEquals(
          Optional.of("hjiang"),
          query("{\"m\":{\"$size\":2,\"$all\":[\"hjiang\",\"leeyeh\"]}}").requiredMember());
    }

    @Test
    void singleElementIn() {
      assertEquals(Optional.of("Tom"), query("{\"m\":{\"$in\":[\"Tom\"]}}").requiredMember());
      assertEquals(
          Optional.empty(), query("{\"m\":{\"$in\":[\"Tom\",\"Jerry\"]}}").requiredMember());
    }

    @Test
    void insideATopLevelAnd() {
      assertEquals(
          Optional.of("Spike"),
          query("{\"c\":\"x\",\"$and\":[{\"tr\":false},{\"m\":\"Spike\"}]}").requiredMember());
      assertEquals(
          List.of("Tom", "Spike"),
          new ArrayList<>(query("{\"m\":\"Tom\",\"$and\":[{\"m\":\"Spike\"}]}").requiredMembers()));
    }

    @Test
    void notRequired() {
      assertEquals(Optional.empty(), query("{\"$or\":[{\"m\":\"Tom\"}]}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$ne\":\"Tom\"}}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$nin\":[\"Tom\"]}}").requiredMember());
      assertEquals(Optional.empty(), query("{\"mu\":\"Tom\"}").requiredMember());
      assertEquals(Optional.empty(), query("{\"c\":\"Tom\"}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$size\":2}}").requiredMember());
    }

    @Test
    void everyMatchContainsTheRequiredMembers() {
      ConversationQuery q = query("{\"m\":{\"$all\":[\"Tom\",\"Jerry\"]}}");
      List<ObjectNode> matches = q.apply(ALL);
      assertEquals(2, matches.size());
      for (ObjectNode match : matches) {
        List<String> members = new ArrayList<>();
        match.get("m").forEach(m -> members.add(m.textValue()));
        assertTrue(members.containsAll(q.requiredMembers()));
      }
    }
  }

  @Test
  void toStringShowsTheEffectiveQuery() {
    String text = query("{\"m\":\"Tom\"}", "-lm", 5, 2).toString();
    assertTrue(
        text.contains("\"m\":\"Tom\"") && text.contains("limit=5") && text.contains("skip=2"),
        text);
  }

  static ConversationQuery parseUnchecked(
      String where, String sort, Integer limit, Integer skip, QueryLimits l) {
    try {
      return ConversationQuery.parse(where, sort, limit, skip, l);
    } catch (InvalidQueryException e) {
      throw new AssertionError(e);
    }
  }
}
