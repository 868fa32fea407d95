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
    void equality_on_a_plain_value_finds_only_conversations_with_that_value() {
      assertEquals("A", matching("{\"name\":\"js-realtime-sdk-testconv\"}"));
      assertEquals("C", matching("{\"tr\":true}"));
      assertEquals("ABDE", matching("{\"tr\":false}"));
      assertEquals("", matching("{\"name\":\"nope\"}"));
    }

    @Test
    void equality_on_an_array_field_finds_conversations_whose_array_contains_the_value() {
      assertEquals("BD", matching("{\"m\":\"Tom\"}"));
      assertEquals("D", matching("{\"mu\":\"Spike\"}"));
    }

    @Test
    void equality_with_an_array_matches_only_the_whole_array_in_the_same_order() {
      assertEquals("B", matching("{\"m\":[\"Tom\",\"Jerry\"]}"));
      assertEquals("", matching("{\"m\":[\"Jerry\",\"Tom\"]}"));
      assertEquals("C", matching("{\"m\":[]}"));
    }

    @Test
    void equality_with_an_object_compares_deeply_and_ignores_key_order() {
      assertEquals("B", matching("{\"attr\":{\"type\":\"private\",\"level\":1}}"));
      assertEquals("B", matching("{\"attr\":{\"level\":1.0,\"type\":\"private\"}}"));
      assertEquals("", matching("{\"attr\":{\"type\":\"private\"}}"));
      assertEquals("E", matching("{\"attr\":{}}"));
    }

    @Test
    void equality_on_numbers_compares_values_exactly_even_beyond_double_precision() {
      assertEquals("A", matching("{\"attr.level\":3.0}"));
      assertEquals("B", matching("{\"level\":1.50}"));
      List<ObjectNode> big = List.of(doc("{\"objectId\":\"x\",\"n\":9007199254740993}"));
      assertEquals(1, query("{\"n\":9007199254740993}").apply(big).size());
      assertEquals(0, query("{\"n\":9007199254740992}").apply(big).size());
    }

    @Test
    void equality_with_null_finds_conversations_where_the_field_is_null_or_missing() {
      assertEquals("DE", matching("{\"level\":null}"));
      assertEquals("ABC", matching("{\"level\":{\"$ne\":null}}"));
    }

    @Test
    void eq_finds_the_same_conversations_as_plain_equality() {
      assertEquals("BD", matching("{\"m\":{\"$eq\":\"Tom\"}}"));
      assertEquals("A", matching("{\"objectId\":{\"$eq\":\"" + ID_A + "\"}}"));
    }

    @Test
    void several_keys_in_where_must_all_match() {
      assertEquals("C", matching("{\"c\":\"Tom\",\"tr\":true}"));
    }

    @Test
    void an_empty_where_finds_every_conversation() {
      assertEquals("ABCDE", matching("{}"));
    }
  }

  @Nested
  class NotEqual {

    @Test
    void ne_on_a_string_finds_every_other_conversation() {
      assertEquals("ACDE", matching("{\"name\":{\"$ne\":\"Tom & Jerry\"}}"));
    }

    @Test
    void ne_on_an_array_finds_conversations_whose_array_lacks_the_value_or_is_missing() {
      assertEquals("ACE", matching("{\"m\":{\"$ne\":\"Tom\"}}"));
    }

    @Test
    void ne_on_a_date_finds_every_conversation_without_that_date() {
      assertEquals("BCDE", matching("{\"lm\":{\"$ne\":" + date("2018-02-01T00:00:00.000Z") + "}}"));
    }
  }

  @Nested
  class Ranges {

    @Test
    void lt_lte_gt_gte_on_numbers_find_conversations_in_the_range() {
      assertEquals("AB", matching("{\"attr.level\":{\"$lt\":5}}"));
      assertEquals("A", matching("{\"attr.level\":{\"$gte\":3,\"$lte\":3}}"));
      assertEquals("D", matching("{\"attr.level\":{\"$gt\":3}}"));
      assertEquals("AD", matching("{\"attr.level\":{\"$gte\":3}}"));
      assertEquals("B", matching("{\"attr.level\":{\"$lte\":1.0}}"));
    }

    @Test
    void a_range_only_matches_values_of_the_operands_type() {
      // level: A 3, B 1.5, C "high", D null, E missing
      assertEquals("AB", matching("{\"level\":{\"$gt\":0}}"));
      assertEquals("C", matching("{\"level\":{\"$gt\":\"\"}}"));
    }

    @Test
    void a_range_on_strings_compares_in_code_point_order() {
      // uppercase sorts before lowercase; "Tom & Jerry" > "Team"
      assertEquals("AB", matching("{\"name\":{\"$gt\":\"Team\"}}"));
      assertEquals("CE", matching("{\"name\":{\"$lt\":\"T\"}}"));
      // U+FF61 < U+1F600 by code point, though its UTF-16 unit 0xFF61 > 0xD83D
      List<ObjectNode> docs = List.of(doc("{\"objectId\":\"x\",\"s\":\"\uFF61\"}"));
      assertEquals(1, query("{\"s\":{\"$lt\":\"\uD83D\uDE00\"}}").apply(docs).size());
    }

    @Test
    void a_range_on_an_array_matches_if_any_element_is_in_range() {
      assertEquals("AD", matching("{\"attr.tags\":{\"$gt\":\"x\"}}"));
      assertEquals("D", matching("{\"attr.tags\":{\"$gt\":\"y\"}}"));
    }

    @Test
    void a_range_on_object_id_compares_ids_as_strings() {
      assertEquals("CDE", matching("{\"objectId\":{\"$gt\":\"" + ID_B + "\"}}"));
    }
  }

  @Nested
  class Dates {

    @Test
    void a_date_operand_compares_with_date_fields_by_instant() {
      assertEquals("BD", matching("{\"lm\":{\"$gt\":" + date("2019-01-01T00:00:00.000Z") + "}}"));
      assertEquals("A", matching("{\"lm\":{\"$lt\":" + date("2019-01-01T00:00:00.000Z") + "}}"));
    }

    @Test
    void a_date_operand_compares_with_the_iso_strings_of_created_at_and_updated_at() {
      assertEquals(
          "BC", matching("{\"createdAt\":{\"$gt\":" + date("2018-06-01T00:00:00.000Z") + "}}"));
      assertEquals(
          "D", matching("{\"updatedAt\":{\"$gte\":" + date("2021-01-01T00:00:00.000Z") + "}}"));
    }

    @Test
    void date_equality_in_and_nin_compare_instants_whatever_the_time_zone() {
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
    void a_plain_iso_string_on_created_at_is_compared_as_a_date() {
      assertEquals("BC", matching("{\"createdAt\":{\"$gte\":\"2019-03-01T00:00:00Z\"}}"));
      assertEquals("A", matching("{\"createdAt\":\"2018-01-01T00:00:00Z\"}"));
    }

    @Test
    void a_date_never_matches_a_non_date_and_a_string_never_matches_a_date() {
      assertEquals("", matching("{\"name\":{\"$lt\":" + date("2030-01-01T00:00:00.000Z") + "}}"));
      assertEquals("", matching("{\"lm\":{\"$lt\":\"2030-01-01T00:00:00.000Z\"}}"));
    }
  }

  @Nested
  class Sets {

    @Test
    void in_finds_conversations_whose_value_or_array_element_is_in_the_list() {
      assertEquals("BC", matching("{\"c\":{\"$in\":[\"Tom\",\"nobody\"]}}"));
      assertEquals("D", matching("{\"m\":{\"$in\":[\"Spike\",\"nobody\"]}}"));
      assertEquals("", matching("{\"m\":{\"$in\":[]}}"));
      assertEquals("E", matching("{\"m\":{\"$in\":[null]}}"));
    }

    @Test
    void nin_finds_conversations_whose_values_are_all_outside_the_list() {
      assertEquals("ACE", matching("{\"m\":{\"$nin\":[\"Tom\"]}}"));
      assertEquals("ABCDE", matching("{\"m\":{\"$nin\":[]}}"));
    }

    @Test
    void all_finds_conversations_whose_array_contains_every_listed_value() {
      assertEquals("BD", matching("{\"m\":{\"$all\":[\"Tom\",\"Jerry\"]}}"));
      assertEquals("D", matching("{\"m\":{\"$all\":[\"Tom\",\"Jerry\",\"Spike\"]}}"));
      assertEquals("", matching("{\"m\":{\"$all\":[]}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$all\":[\"y\"]}}"));
    }

    @Test
    void size_finds_conversations_whose_array_has_exactly_that_length() {
      assertEquals("AB", matching("{\"m\":{\"$size\":2}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$size\":2}}"));
      assertEquals("", matching("{\"name\":{\"$size\":0}}"));
      assertEquals("D", matching("{\"m\":{\"$size\":3.0}}"));
    }

    @Test
    void exists_finds_conversations_with_or_without_the_field() {
      assertEquals("ABCD", matching("{\"level\":{\"$exists\":true}}"));
      assertEquals("E", matching("{\"level\":{\"$exists\":false}}"));
      assertEquals("AD", matching("{\"attr.tags\":{\"$exists\":true}}"));
    }
  }

  @Nested
  class Regex {

    @Test
    void regex_finds_a_match_anywhere_in_the_string_unless_anchored() {
      assertEquals("A", matching("{\"name\":{\"$regex\":\"realtime\"}}"));
      assertEquals("AE", matching("{\"name\":{\"$regex\":\"sdk\"}}"));
      assertEquals("E", matching("{\"name\":{\"$regex\":\"sdk$\"}}"));
    }

    @Test
    void regex_option_i_ignores_case_including_non_ascii_letters() {
      assertEquals("AE", matching("{\"name\":{\"$regex\":\"SDK\",\"$options\":\"i\"}}"));
      assertEquals("", matching("{\"name\":{\"$regex\":\"SDK\"}}"));
      List<ObjectNode> docs = List.of(doc("{\"objectId\":\"x\",\"name\":\"école\"}"));
      assertEquals(
          1, query("{\"name\":{\"$regex\":\"^ÉCOLE$\",\"$options\":\"i\"}}").apply(docs).size());
      assertEquals(0, query("{\"name\":{\"$regex\":\"^ÉCOLE$\"}}").apply(docs).size());
    }

    @Test
    void regex_options_m_s_x_turn_on_multiline_dot_all_and_extended_mode() {
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
    void regex_on_an_array_matches_if_any_string_element_matches() {
      assertEquals("D", matching("{\"m\":{\"$regex\":\"^Sp\"}}"));
    }

    @Test
    void regex_never_matches_numbers_or_dates() {
      assertEquals("", matching("{\"attr.level\":{\"$regex\":\"3\"}}"));
      assertEquals("", matching("{\"lm\":{\"$regex\":\"2018\"}}"));
    }

    @Test
    void regex_combined_with_ne_on_the_same_field_must_satisfy_both() {
      assertEquals(
          "E",
          matching(
              "{\"name\":{\"$regex\":\"sdk\",\"$options\":\"i\",\"$ne\":\"js-realtime-sdk-testconv\"}}"));
    }

    @Test
    void a_catastrophically_backtracking_regex_answers_no_match_within_seconds() {
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
    void a_regex_match_that_needs_more_than_the_budget_counts_as_no_match() throws Exception {
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
    void or_finds_conversations_matching_any_clause_and_combines_with_other_keys() {
      assertEquals("CE", matching("{\"$or\":[{\"tr\":true},{\"sys\":true}]}"));
      assertEquals("C", matching("{\"c\":\"Tom\",\"$or\":[{\"tr\":true},{\"name\":\"Team\"}]}"));
      assertEquals("ABCDE", matching("{\"$or\":[{}]}"));
    }

    @Test
    void and_finds_conversations_matching_every_clause() {
      assertEquals("D", matching("{\"$and\":[{\"m\":\"Tom\"},{\"m\":\"Spike\"}]}"));
      assertEquals("", matching("{\"$and\":[{\"m\":\"Tom\"},{\"tr\":true}]}"));
    }

    @Test
    void nested_and_or_combine_as_written() {
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
    void and_or_nested_up_to_the_depth_limit_still_answer() {
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
    void a_dotted_key_matches_a_field_inside_an_object() {
      assertEquals("AD", matching("{\"attr.type\":\"group\"}"));
      assertEquals(
          "B", matching("{\"attr.type\":{\"$ne\":\"group\"},\"attr.level\":{\"$exists\":true}}"));
    }

    @Test
    void a_dotted_key_reaches_into_array_elements_and_by_index() {
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
    void a_dotted_key_through_a_missing_or_non_object_field_counts_as_missing() {
      assertEquals("CE", matching("{\"attr.type\":{\"$exists\":false}}"));
      assertEquals("", matching("{\"name.length\":{\"$exists\":true}}"));
    }
  }

  @Nested
  class Sorting {

    @Test
    void without_sort_the_most_recent_last_message_comes_first_then_updated_at() {
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
    void sort_ascending_and_descending_on_created_at() {
      assertEquals("EDABC", ordered("{}", "createdAt", null, null));
      assertEquals("CBADE", ordered("{}", "-createdAt", null, null));
    }

    @Test
    void iso_strings_sort_as_instants_whatever_their_precision() {
      List<ObjectNode> docs =
          List.of(
              doc("{\"objectId\":\"late\",\"createdAt\":\"2018-01-01T00:00:00.500Z\"}"),
              doc("{\"objectId\":\"early\",\"createdAt\":\"2018-01-01T00:00:00Z\"}"));
      assertEquals(
          List.of("early", "late"), letters(query("{}", "createdAt", null, null).apply(docs)));
    }

    @Test
    void conversations_missing_the_sort_field_come_last_in_both_directions() {
      assertEquals("ABDCE", ordered("{}", "lm", null, null));
      assertEquals("DBACE", ordered("{}", "-lm", null, null));
      assertEquals("BADCE", ordered("{}", "attr.level", null, null));
      assertEquals("DABCE", ordered("{}", "-attr.level", null, null));
    }

    @Test
    void mixed_types_sort_numbers_before_strings_and_null_as_missing() {
      // level: A 3, B 1.5, C "high", D null, E missing
      assertEquals("BACDE", ordered("{}", "level", null, null));
      assertEquals("CABDE", ordered("{}", "-level", null, null));
    }

    @Test
    void arrays_sort_by_their_smallest_element_ascending_and_largest_descending() {
      // m: A [hjiang, leeyeh], B [Tom, Jerry], C [], D [Tom, Jerry, Spike], E missing
      assertEquals("BDACE", ordered("{}", "m", null, null));
      assertEquals("ABDCE", ordered("{}", "-m", null, null));
    }

    @Test
    void several_sort_keys_apply_in_order() {
      assertEquals("DABCE", ordered("{}", "attr.type,-attr.level", null, null));
      // c descending: hjiang > Tom > Spike (code points), then createdAt ascending
      assertEquals("ABCED", ordered("{}", "-c,createdAt", null, null));
    }

    @Test
    void sort_on_booleans_works_and_whitespace_around_keys_is_ignored() {
      // tr false: A B D E by name (code point order: "REALTIME sdk" < "Team" < "Tom & Jerry" <
      // "js-...")
      assertEquals("EDBAC", ordered("{}", " tr , name ", null, null));
      assertEquals("CABDE", ordered("{}", "-tr,-name", null, null));
    }

    @Test
    void ties_are_broken_by_object_id_unless_the_sort_names_object_id() {
      // A, B, D, E share tr=false: objectId ascending breaks the tie
      assertEquals("ABDEC", ordered("{}", "tr", null, null));
      assertEquals("EDBAC", ordered("{}", "tr,-objectId", null, null));
      assertEquals(
          List.of(new SortKey("objectId", true)), query("{}", "-objectId", null, null).sortKeys());
      assertEquals("EDCBA", ordered("{}", "-objectId", null, null));
    }

    @Test
    void sorting_returns_only_the_matching_conversations() {
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
    void without_limit_ten_conversations_come_back() {
      ConversationQuery q = query("{}");
      assertEquals(10, q.limit());
      assertEquals(0, q.skip());
      List<ObjectNode> result = q.apply(many(15));
      assertEquals(10, result.size());
      // no lm anywhere: -updatedAt decides
      assertEquals(String.format("%024x", 14), result.get(0).get("objectId").textValue());
    }

    @Test
    void a_limit_above_the_maximum_is_clamped_to_the_maximum() {
      assertEquals(1000, query("{}", null, 5000, null).limit());
      assertEquals(1000, query("{}", null, 1000, null).limit());
      QueryLimits small = new QueryLimits(2, 3);
      ConversationQuery q = parseUnchecked("{}", null, 50, null, small);
      assertEquals(3, q.limit());
      assertEquals(3, q.apply(many(15)).size());
      assertEquals(2, parseUnchecked("{}", null, null, null, small).apply(many(15)).size());
    }

    @Test
    void limit_zero_returns_no_conversations() {
      assertEquals(List.of(), query("{}", null, 0, null).apply(ALL));
      assertEquals(0, query("{}", null, 0, null).limit());
    }

    @Test
    void skip_and_limit_page_through_the_results() {
      assertEquals("DB", ordered("{}", null, 2, 0));
      assertEquals("AC", ordered("{}", null, 2, 2));
      assertEquals("E", ordered("{}", null, 2, 4));
      assertEquals("", ordered("{}", null, 2, 5));
      assertEquals("", ordered("{}", null, 2, Integer.MAX_VALUE));
      assertEquals("BACE", ordered("{}", null, Integer.MAX_VALUE, 1));
    }

    @Test
    void count_ignores_skip_and_limit() {
      // .NET: count:1, limit:0
      ConversationQuery q = query("{\"m\":\"Tom\"}", null, 0, 1);
      assertEquals(2, q.count(ALL));
      assertEquals(List.of(), q.apply(ALL));
    }

    @Test
    void null_candidates_are_ignored() {
      List<ObjectNode> docs = new ArrayList<>(ALL);
      docs.add(null);
      assertEquals("DBACE", String.join("", letters(query("{}").apply(docs))));
      assertFalse(query("{}").matches(null));
    }

    @Test
    void results_are_the_candidate_documents_themselves_not_copies() {
      List<ObjectNode> result = query("{\"objectId\":\"" + ID_A + "\"}").apply(ALL);
      assertTrue(result.get(0) == Fixtures.A);
    }
  }

  @Nested
  class NoCondition {

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "{}", " { } ", "null"})
    void an_absent_or_empty_where_has_no_condition_and_finds_everything(String where)
        throws Exception {
      ConversationQuery q = ConversationQuery.parse(where, null, null, null, null);
      assertFalse(q.hasCondition());
      assertEquals(5, q.apply(ALL).size());
      assertEquals(Optional.empty(), q.objectIds());
      assertEquals(Optional.empty(), q.requiredMember());
    }

    @Test
    void any_key_in_where_counts_as_a_condition() {
      assertTrue(query("{\"m\":\"me\"}").hasCondition());
      assertTrue(query("{\"$or\":[{}]}").hasCondition());
    }
  }

  @Nested
  class JsonNodeInput {

    @Test
    void a_where_given_as_a_json_object_is_copied_so_later_changes_do_not_affect_the_query()
        throws Exception {
      ObjectNode where = JSON.createObjectNode().put("c", "Tom");
      ConversationQuery q = ConversationQuery.parse(where, "createdAt", null, null, null);
      where.put("c", "Spike");
      assertEquals(List.of("B", "C"), letters(q.apply(ALL)));
    }

    @Test
    void a_where_given_as_a_json_string_is_parsed_as_json_text() throws Exception {
      ConversationQuery q =
          ConversationQuery.parse(new TextNode("{\"m\":\"Spike\"}"), null, null, null, null);
      assertEquals(List.of("D"), letters(q.apply(ALL)));
    }

    @Test
    void a_null_where_means_no_condition() throws Exception {
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
    void object_id_equality_pins_the_query_to_that_id() {
      assertEquals(Optional.of(Set.of(ID_A)), query("{\"objectId\":\"" + ID_A + "\"}").objectIds());
      assertEquals(
          Optional.of(Set.of(ID_A)),
          query("{\"objectId\":{\"$eq\":\"" + ID_A + "\"}}").objectIds());
    }

    @Test
    void object_id_in_pins_the_query_to_those_ids() {
      assertEquals(
          Optional.of(Set.of(ID_A, ID_B)),
          query("{\"objectId\":{\"$in\":[\"" + ID_A + "\",\"" + ID_B + "\"]},\"tr\":false}")
              .objectIds());
      assertEquals(Optional.of(Set.of()), query("{\"objectId\":{\"$in\":[]}}").objectIds());
    }

    @Test
    void object_id_pins_inside_a_top_level_and_intersect() {
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
    void ne_nin_gt_or_on_object_id_and_other_fields_pin_no_ids() {
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
    void every_match_is_among_the_pinned_ids() {
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
    void member_equality_requires_that_member() {
      assertEquals(Optional.of("Tom"), query("{\"m\":\"Tom\"}").requiredMember());
      assertEquals(Optional.of("Tom"), query("{\"m\":{\"$eq\":\"Tom\"}}").requiredMember());
    }

    @Test
    void member_all_requires_every_listed_member() {
      ConversationQuery q = query("{\"m\":{\"$all\":[\"Tom\",\"Jerry\"]}}");
      assertEquals(Optional.of("Tom"), q.requiredMember());
      assertEquals(List.of("Tom", "Jerry"), new ArrayList<>(q.requiredMembers()));
    }

    @Test
    void the_with_members_shape_requires_its_first_member() {
      assertEquals(
          Optional.of("hjiang"),
          query("{\"m\":{\"$size\":2,\"$all\":[\"hjiang\",\"leeyeh\"]}}").requiredMember());
    }

    @Test
    void member_in_with_one_element_requires_it_and_with_several_requires_none() {
      assertEquals(Optional.of("Tom"), query("{\"m\":{\"$in\":[\"Tom\"]}}").requiredMember());
      assertEquals(
          Optional.empty(), query("{\"m\":{\"$in\":[\"Tom\",\"Jerry\"]}}").requiredMember());
    }

    @Test
    void member_conditions_inside_a_top_level_and_are_required_too() {
      assertEquals(
          Optional.of("Spike"),
          query("{\"c\":\"x\",\"$and\":[{\"tr\":false},{\"m\":\"Spike\"}]}").requiredMember());
      assertEquals(
          List.of("Tom", "Spike"),
          new ArrayList<>(query("{\"m\":\"Tom\",\"$and\":[{\"m\":\"Spike\"}]}").requiredMembers()));
    }

    @Test
    void or_ne_nin_size_and_other_fields_require_no_member() {
      assertEquals(Optional.empty(), query("{\"$or\":[{\"m\":\"Tom\"}]}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$ne\":\"Tom\"}}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$nin\":[\"Tom\"]}}").requiredMember());
      assertEquals(Optional.empty(), query("{\"mu\":\"Tom\"}").requiredMember());
      assertEquals(Optional.empty(), query("{\"c\":\"Tom\"}").requiredMember());
      assertEquals(Optional.empty(), query("{\"m\":{\"$size\":2}}").requiredMember());
    }

    @Test
    void every_match_contains_the_required_members() {
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
  void to_string_shows_the_effective_where_limit_and_skip() {
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
