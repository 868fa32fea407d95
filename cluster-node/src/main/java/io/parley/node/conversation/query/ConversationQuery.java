package io.parley.node.conversation.query;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.query.Conditions.Condition;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed {@code conv/query} (docs/protocol.md §6.4): the LeanCloud/Parse {@code where} language
 * over conversation documents, plus {@code sort}, {@code limit} and {@code skip}. Pure and
 * immutable; safe to share between threads.
 *
 * <p>A document is an {@link ObjectNode} shaped like a {@code conv/query} result element: custom
 * columns at the top level ({@code name}, {@code attr}: {...}), {@code objectId}, {@code c}, {@code
 * m}, {@code mu}, {@code tr}, {@code sys}, {@code unique}, {@code uniqueId}, {@code
 * createdAt}/{@code updatedAt} as ISO-8601 strings and {@code lm} as {@code
 * {"__type":"Date","iso":...}}.
 *
 * <p>Matching follows MongoDB (which LeanCloud ran on):
 *
 * <ul>
 *   <li>{@code {"k": v}} / {@code $eq}: a value equal to {@code v}, or an array with an element
 *       equal to {@code v} ({@code {"m": "Tom"}} = "Tom is a member"); an array {@code v} also
 *       matches an identical array (same order). Objects compare by their key/value sets (key order
 *       is ignored), numbers by value ({@code 1 == 1.0}). {@code null} matches a null or missing
 *       field.
 *   <li>{@code $ne}, {@code $nin}: the negation of equality / {@code $in}, so a missing field
 *       matches.
 *   <li>{@code $lt}, {@code $lte}, {@code $gt}, {@code $gte}: numbers with numbers, strings with
 *       strings (code point order), dates with dates; other types never match. On arrays, any
 *       element may satisfy it.
 *   <li>{@code $in}: equality with any listed value; {@code $all}: equality with every listed value
 *       (an empty list matches nothing); {@code $size}: an array of exactly that length; {@code
 *       $exists}: the field is present (a {@code null} value is present).
 *   <li>{@code $regex} + {@code $options} ({@code i} case-insensitive Unicode, {@code m} multiline,
 *       {@code s} dot-all, {@code x} comments, {@code u} no-op): a find (not a full match) on
 *       string values or string array elements, in Java regex syntax ({@code \Q...\E} quoting works
 *       as the JS SDK expects).
 *   <li>{@code $and}, {@code $or}: arrays of sub-queries, nested at most {@link
 *       QueryLimits#maxLogicalDepth()}.
 *   <li>Dotted keys ({@code "attr.type"}) descend into objects; on arrays a numeric segment indexes
 *       them and other segments look into each object element.
 *   <li>Dates: a {@code {"__type":"Date","iso":...}} operand compares as an instant against a
 *       document value that is a {@code __type: Date} object or an ISO-8601 string (the document
 *       model keeps {@code createdAt}/{@code updatedAt} as strings). For {@code createdAt}/{@code
 *       updatedAt} a plain ISO string operand is also taken as a date, as Parse does.
 * </ul>
 *
 * <p>Anything else starting with {@code $} is rejected, as are wrong operand types.
 *
 * <p>Cost: patterns are capped at {@link QueryLimits#maxRegexLength()} chars, and each evaluation
 * of a pattern against one string may read at most {@link QueryLimits#regexStepBudget()} characters
 * (backtracking re-reads count); an evaluation that runs out of that (or overflows the regex
 * engine's stack) counts as "no match". On top of it the whole evaluation shares one {@link
 * QueryBudget} (a step per candidate, per condition tested and per character a regex reads): a
 * query that needs more fails as a whole, so its cost is bounded whatever the number of candidates,
 * members and conditions.
 *
 * <p>Sorting: keys are compared type-aware (numbers &lt; strings &lt; objects &lt; arrays &lt;
 * booleans &lt; dates, MongoDB's order); {@code lm} and any {@code __type: Date} value sort as
 * instants, and so do ISO strings in {@code createdAt}/{@code updatedAt}. An array sorts by its
 * smallest element ascending, its largest descending. Missing and {@code null} values always sort
 * <em>last</em>, in ascending and descending order alike. Without a {@code sort} the order is
 * {@code -lm,-updatedAt} (recently active first, never-active last, then most recently updated).
 * {@code objectId} ascending is always appended as a final tie-breaker (unless the sort names
 * {@code objectId}), so paging with {@code skip} is deterministic.
 */
public final class ConversationQuery {

  /** Order used when the request has no {@code sort}. */
  public static final List<SortKey> DEFAULT_SORT =
      List.of(new SortKey("lm", true), new SortKey("updatedAt", true));

  /** Appended to every sort (unless it already names {@code objectId}) to make the order total. */
  public static final SortKey TIE_BREAKER = new SortKey("objectId", false);

  /** Most keys accepted in a {@code sort} string. */
  public static final int MAX_SORT_KEYS = 32;

  /**
   * JSON nesting accepted by the parser (the $and/$or and value-depth checks trigger well before).
   */
  private static final int MAX_JSON_NESTING = 256;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_NESTING).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private final String whereText;
  private final boolean hasCondition;
  private final Condition condition;
  private final List<SortKey> sortKeys;
  private final FieldPath[] sortPaths;
  private final boolean[] descending;
  private final int limit;
  private final int skip;
  private final Optional<Set<String>> objectIds;
  private final Set<String> requiredMembers;

  private ConversationQuery(
      ObjectNode where,
      Condition condition,
      List<SortKey> sortKeys,
      FieldPath[] sortPaths,
      int limit,
      int skip) {
    this.whereText = where.toString();
    this.hasCondition = !where.isEmpty();
    this.condition = condition;
    this.sortKeys = sortKeys;
    this.sortPaths = sortPaths;
    this.descending = new boolean[sortKeys.size()];
    for (int i = 0; i < descending.length; i++) {
      descending[i] = sortKeys.get(i).descending();
    }
    this.limit = limit;
    this.skip = skip;
    Set<String> ids = pinnedObjectIds(where);
    this.objectIds = ids == null ? Optional.empty() : Optional.of(Collections.unmodifiableSet(ids));
    Set<String> members = new LinkedHashSet<>();
    collectRequiredMembers(where, members);
    this.requiredMembers = Collections.unmodifiableSet(members);
  }

  /**
   * Parses a {@code conv/query} request.
   *
   * @param whereJson the {@code where} JSON text; null, blank, {@code "{}"} or {@code "null"} mean
   *     "no condition" (see {@link #hasCondition()})
   * @param sort comma separated keys, {@code -} prefix for descending ({@code "a,b,-c,-d"}); null
   *     or blank for the default {@link #DEFAULT_SORT}
   * @param limit null for {@link QueryLimits#defaultLimit()}; above {@link QueryLimits#maxLimit()}
   *     it is clamped; 0 yields no results; negative is invalid
   * @param skip null for 0; negative is invalid
   * @param limits null for {@link QueryLimits#DEFAULT}
   * @throws InvalidQueryException with a message naming the problem
   */
  public static ConversationQuery parse(
      String whereJson, String sort, Integer limit, Integer skip, QueryLimits limits)
      throws InvalidQueryException {
    JsonNode where = null;
    if (whereJson != null && !whereJson.isBlank()) {
      try {
        where = MAPPER.readTree(whereJson);
      } catch (JsonProcessingException e) {
        throw new InvalidQueryException("where is not valid JSON: " + e.getOriginalMessage(), e);
      }
    }
    return build(where, sort, limit, skip, limits);
  }

  /**
   * Same as {@link #parse(String, String, Integer, Integer, QueryLimits)} for a {@code where} that
   * is already a JSON tree (the JSON protocol sends an object). A textual node is parsed as JSON
   * text; null, a JSON null or a missing node mean "no condition". The node is copied, later
   * changes to it have no effect.
   */
  public static ConversationQuery parse(
      JsonNode where, String sort, Integer limit, Integer skip, QueryLimits limits)
      throws InvalidQueryException {
    if (where != null && where.isTextual()) {
      return parse(where.textValue(), sort, limit, skip, limits);
    }
    if (where != null) {
      checkNesting(where);
    }
    return build(where == null ? null : where.deepCopy(), sort, limit, skip, limits);
  }

  /**
   * Iterative (a tree built in code may be arbitrarily deep; copying or walking it recursively may
   * not).
   */
  private static void checkNesting(JsonNode root) throws InvalidQueryException {
    record Frame(JsonNode node, int depth) {}
    ArrayDeque<Frame> pending = new ArrayDeque<>();
    pending.push(new Frame(root, 1));
    while (!pending.isEmpty()) {
      Frame frame = pending.pop();
      if (frame.node().isContainerNode()) {
        if (frame.depth() > MAX_JSON_NESTING) {
          throw new InvalidQueryException(
              "where is nested deeper than " + MAX_JSON_NESTING + " levels");
        }
        for (JsonNode child : frame.node()) {
          pending.push(new Frame(child, frame.depth() + 1));
        }
      }
    }
  }

  private static ConversationQuery build(
      JsonNode where, String sort, Integer limit, Integer skip, QueryLimits limits)
      throws InvalidQueryException {
    QueryLimits bounds = limits == null ? QueryLimits.DEFAULT : limits;
    ObjectNode object;
    if (where == null || where.isNull() || where.isMissingNode()) {
      object = MAPPER.createObjectNode();
    } else if (where.isObject()) {
      object = (ObjectNode) where;
    } else {
      throw new InvalidQueryException(
          "where must be a JSON object, got " + QueryCompiler.describe(where));
    }
    Condition condition = new QueryCompiler(bounds).compile(object);

    List<SortKey> keys = parseSort(sort);
    FieldPath[] paths = new FieldPath[keys.size()];
    for (int i = 0; i < paths.length; i++) {
      paths[i] = FieldPath.parse(keys.get(i).path(), "sort key");
    }

    int effectiveLimit;
    if (limit == null) {
      effectiveLimit = bounds.defaultLimit();
    } else if (limit < 0) {
      throw new InvalidQueryException("limit must not be negative: " + limit);
    } else {
      effectiveLimit = Math.min(limit, bounds.maxLimit());
    }
    if (skip != null && skip < 0) {
      throw new InvalidQueryException("skip must not be negative: " + skip);
    }
    return new ConversationQuery(
        object, condition, keys, paths, effectiveLimit, skip == null ? 0 : skip);
  }

  private static List<SortKey> parseSort(String sort) throws InvalidQueryException {
    List<SortKey> keys = new ArrayList<>();
    if (sort == null || sort.isBlank()) {
      keys.addAll(DEFAULT_SORT);
    } else {
      String[] parts = sort.split(",", -1);
      if (parts.length > MAX_SORT_KEYS) {
        throw new InvalidQueryException("sort has more than " + MAX_SORT_KEYS + " keys");
      }
      for (String part : parts) {
        String key = part.trim();
        boolean desc = key.startsWith("-");
        String path = desc ? key.substring(1) : key;
        if (path.isEmpty()) {
          throw new InvalidQueryException("sort '" + sort + "' has an empty key");
        }
        FieldPath.parse(path, "sort key");
        keys.add(new SortKey(path, desc));
      }
    }
    if (keys.stream().noneMatch(k -> k.path().equals(TIE_BREAKER.path()))) {
      keys.add(TIE_BREAKER);
    }
    return List.copyOf(keys);
  }

  /**
   * False when {@code where} was absent or empty: the caller then applies the default {@code {"m":
   * me}}.
   */
  public boolean hasCondition() {
    return hasCondition;
  }

  /**
   * Whether the conversation satisfies {@code where} (always true without a condition), with no
   * budget.
   */
  public boolean matches(ObjectNode conversation) {
    return matches(conversation, QueryBudget.unlimited());
  }

  /** Whether the conversation satisfies {@code where}, spending from {@code budget}. */
  public boolean matches(ObjectNode conversation, QueryBudget budget) {
    return conversation != null && condition.test(conversation, budget);
  }

  /**
   * One evaluation over the candidates: the page, and how many matched in all (for {@code count}).
   */
  public record Evaluated(List<ObjectNode> page, int matching) {}

  /**
   * Filters, sorts, skips and limits {@code candidates} (null elements are ignored), testing each
   * candidate once, all of it within one {@code budget}.
   *
   * @throws QueryBudget.Exceeded when the whole query needs more than the budget
   */
  public Evaluated evaluate(Collection<? extends ObjectNode> candidates, QueryBudget budget) {
    List<ObjectNode> matching = new ArrayList<>();
    for (ObjectNode candidate : candidates) {
      budget.spend(1);
      if (matches(candidate, budget)) {
        matching.add(candidate);
      }
    }
    if (limit == 0 || skip >= matching.size()) {
      return new Evaluated(new ArrayList<>(), matching.size());
    }
    List<Row> rows = new ArrayList<>(matching.size());
    for (ObjectNode document : matching) {
      rows.add(new Row(document, sortValues(document)));
    }
    rows.sort(rowOrder());
    int to = (int) Math.min((long) skip + limit, rows.size());
    List<ObjectNode> page = new ArrayList<>(to - skip);
    for (int i = skip; i < to; i++) {
      page.add(rows.get(i).document());
    }
    return new Evaluated(page, matching.size());
  }

  /**
   * Filters, sorts, skips and limits {@code candidates} (null elements are ignored). Returns a new
   * list of the matching documents themselves (not copies). No budget: for the app's own callers
   * and tests.
   */
  public List<ObjectNode> apply(Collection<? extends ObjectNode> candidates) {
    return evaluate(candidates, QueryBudget.unlimited()).page();
  }

  /**
   * How many candidates match, ignoring {@code sort}, {@code skip} and {@code limit} (for {@code
   * count}).
   */
  public int count(Collection<? extends ObjectNode> candidates) {
    return evaluate(candidates, QueryBudget.unlimited()).matching();
  }

  /**
   * The objectIds every match must have one of, when {@code where} pins them at the top level
   * ({@code {"objectId": "x"}}, {@code {"objectId": {"$in": [...]}}}, {@code $eq}, or inside a
   * top-level {@code $and}; several pins intersect). Empty when not pinned. A pre-filter: the
   * caller fetches these and still runs {@link #apply}. Assumes objectIds are strings (a non-string
   * pin is not reported).
   */
  public Optional<Set<String>> objectIds() {
    return objectIds;
  }

  /**
   * A member every match must contain ({@code {"m": "Tom"}}, {@code {"m": {"$all": ["Tom", ...]}}},
   * {@code {"m": {"$in": ["Tom"]}}}, {@code $eq}, or inside a top-level {@code $and}) — the first
   * of {@link #requiredMembers()}. Lets the caller use a per-member index instead of scanning; it
   * still runs {@link #apply}. Assumes {@code m} is an array.
   */
  public Optional<String> requiredMember() {
    return requiredMembers.stream().findFirst();
  }

  /** All members found by the rules of {@link #requiredMember()}, in query order. */
  public Set<String> requiredMembers() {
    return requiredMembers;
  }

  /** The effective limit (default applied, clamped to the maximum). */
  public int limit() {
    return limit;
  }

  public int skip() {
    return skip;
  }

  /** The effective order, including the default and the {@link #TIE_BREAKER}. */
  public List<SortKey> sortKeys() {
    return sortKeys;
  }

  @Override
  public String toString() {
    return "ConversationQuery{where="
        + whereText
        + ", sort="
        + sortKeys
        + ", limit="
        + limit
        + ", skip="
        + skip
        + "}";
  }

  // ---------------------------------------------------------------------------------------------------
  // pins

  /** null = not pinned. */
  private static Set<String> pinnedObjectIds(ObjectNode query) {
    Set<String> pinned = null;
    for (Map.Entry<String, JsonNode> field : query.properties()) {
      if (field.getKey().equals("$and")) {
        for (JsonNode sub : field.getValue()) {
          pinned = intersect(pinned, pinnedObjectIds((ObjectNode) sub));
        }
      } else if (field.getKey().equals("objectId")) {
        pinned = intersect(pinned, idsOf(field.getValue()));
      }
    }
    return pinned;
  }

  private static Set<String> idsOf(JsonNode value) {
    if (value.isTextual()) {
      return new LinkedHashSet<>(List.of(value.textValue()));
    }
    if (!value.isObject()) {
      return null;
    }
    Set<String> ids = null;
    JsonNode eq = value.get("$eq");
    if (eq != null && eq.isTextual()) {
      ids = intersect(ids, new LinkedHashSet<>(List.of(eq.textValue())));
    }
    JsonNode in = value.get("$in");
    if (in != null && in.isArray()) {
      Set<String> listed = new LinkedHashSet<>();
      for (JsonNode element : in) {
        if (element.isTextual()) {
          listed.add(element.textValue());
        }
      }
      ids = intersect(ids, listed);
    }
    return ids;
  }

  private static Set<String> intersect(Set<String> a, Set<String> b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    Set<String> both = new LinkedHashSet<>(a);
    both.retainAll(b);
    return both;
  }

  private static void collectRequiredMembers(ObjectNode query, Set<String> out) {
    for (Map.Entry<String, JsonNode> field : query.properties()) {
      JsonNode value = field.getValue();
      if (field.getKey().equals("$and")) {
        for (JsonNode sub : value) {
          collectRequiredMembers((ObjectNode) sub, out);
        }
      } else if (field.getKey().equals("m")) {
        if (value.isTextual()) {
          out.add(value.textValue());
        } else if (value.isObject()) {
          JsonNode eq = value.get("$eq");
          if (eq != null && eq.isTextual()) {
            out.add(eq.textValue());
          }
          JsonNode all = value.get("$all");
          if (all != null && all.isArray()) {
            for (JsonNode member : all) {
              if (member.isTextual()) {
                out.add(member.textValue());
              }
            }
          }
          JsonNode in = value.get("$in");
          if (in != null && in.isArray() && in.size() == 1 && in.get(0).isTextual()) {
            out.add(in.get(0).textValue());
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // sorting

  private record Row(ObjectNode document, SortValue[] keys) {}

  /** A comparable value: {@code text} holds strings, and the JSON text of objects and arrays. */
  private record SortValue(int rank, JsonNode node, Instant instant, String text) {}

  private static final int RANK_NUMBER = 1;
  private static final int RANK_STRING = 2;
  private static final int RANK_OBJECT = 3;
  private static final int RANK_ARRAY = 4;
  private static final int RANK_BOOLEAN = 5;
  private static final int RANK_DATE = 6;

  private SortValue[] sortValues(ObjectNode document) {
    SortValue[] values = new SortValue[sortPaths.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = sortValue(document, sortPaths[i], descending[i]);
    }
    return values;
  }

  /** The value a document sorts by; null when missing or null. */
  private static SortValue sortValue(ObjectNode document, FieldPath path, boolean descending) {
    SortValue best = null;
    for (JsonNode value : path.resolve(document)) {
      if (value.isArray()) {
        for (JsonNode element : value) {
          best = pick(best, sortValueOf(element, path), descending);
        }
      } else {
        best = pick(best, sortValueOf(value, path), descending);
      }
    }
    return best;
  }

  private static SortValue pick(SortValue best, SortValue candidate, boolean descending) {
    if (candidate == null) {
      return best;
    }
    if (best == null) {
      return candidate;
    }
    int order = compare(candidate, best);
    return (descending ? order > 0 : order < 0) ? candidate : best;
  }

  private static SortValue sortValueOf(JsonNode node, FieldPath path) {
    if (node.isNumber()) {
      return new SortValue(RANK_NUMBER, node, null, null);
    }
    if (node.isTextual()) {
      if (path.holdsIsoStringDates()) {
        Instant instant = Values.parseInstant(node.textValue());
        if (instant != null) {
          return new SortValue(RANK_DATE, node, instant, null);
        }
      }
      return new SortValue(RANK_STRING, node, null, node.textValue());
    }
    if (node.isBoolean()) {
      return new SortValue(RANK_BOOLEAN, node, null, null);
    }
    if (node.isObject()) {
      if (Values.isDateObject(node)) {
        Instant instant = Values.asInstant(node);
        if (instant != null) {
          return new SortValue(RANK_DATE, node, instant, null);
        }
      }
      return new SortValue(RANK_OBJECT, node, null, node.toString());
    }
    if (node.isArray()) {
      return new SortValue(RANK_ARRAY, node, null, node.toString());
    }
    return null; // null (and anything exotic) sorts like a missing value
  }

  private static int compare(SortValue a, SortValue b) {
    if (a.rank() != b.rank()) {
      return Integer.compare(a.rank(), b.rank());
    }
    return switch (a.rank()) {
      case RANK_NUMBER -> Values.compareNumbers(a.node(), b.node());
      case RANK_BOOLEAN -> Boolean.compare(a.node().booleanValue(), b.node().booleanValue());
      case RANK_DATE -> a.instant().compareTo(b.instant());
      default -> Values.compareStrings(a.text(), b.text());
    };
  }

  private Comparator<Row> rowOrder() {
    return (ra, rb) -> {
      for (int i = 0; i < descending.length; i++) {
        SortValue a = ra.keys()[i];
        SortValue b = rb.keys()[i];
        if (a == null || b == null) {
          if (a != b) {
            return a == null ? 1 : -1; // missing last, whatever the direction
          }
          continue;
        }
        int order = compare(a, b);
        if (order != 0) {
          return descending[i] ? -order : order;
        }
      }
      return 0;
    };
  }
}
