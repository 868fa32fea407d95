package io.parley.node.conversation.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.conversation.query.Conditions.All;
import io.parley.node.conversation.query.Conditions.And;
import io.parley.node.conversation.query.Conditions.Condition;
import io.parley.node.conversation.query.Conditions.Eq;
import io.parley.node.conversation.query.Conditions.Exists;
import io.parley.node.conversation.query.Conditions.Field;
import io.parley.node.conversation.query.Conditions.FieldOp;
import io.parley.node.conversation.query.Conditions.In;
import io.parley.node.conversation.query.Conditions.Ne;
import io.parley.node.conversation.query.Conditions.Operand;
import io.parley.node.conversation.query.Conditions.Or;
import io.parley.node.conversation.query.Conditions.Range;
import io.parley.node.conversation.query.Conditions.Regex;
import io.parley.node.conversation.query.Conditions.Size;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Validates a {@code where} object and compiles it into {@link Conditions}. */
final class QueryCompiler {

  /** Deepest JSON value accepted as an operand (equality on nested objects/arrays). */
  static final int MAX_VALUE_DEPTH = 100;

  private final QueryLimits limits;

  QueryCompiler(QueryLimits limits) {
    this.limits = limits;
  }

  Condition compile(JsonNode where) throws InvalidQueryException {
    return compileQuery(where, 0, "where");
  }

  private Condition compileQuery(JsonNode query, int depth, String context)
      throws InvalidQueryException {
    if (!query.isObject()) {
      throw new InvalidQueryException(context + " must be a JSON object, got " + describe(query));
    }
    if (depth > limits.maxLogicalDepth()) {
      throw new InvalidQueryException(
          "$and/$or nested deeper than " + limits.maxLogicalDepth() + " levels");
    }
    List<Condition> parts = new ArrayList<>(query.size());
    for (Map.Entry<String, JsonNode> field : query.properties()) {
      String key = field.getKey();
      if (key.startsWith("$")) {
        if (key.equals("$and") || key.equals("$or")) {
          parts.add(compileLogical(key, field.getValue(), depth, context));
        } else {
          throw new InvalidQueryException(
              "unsupported operator "
                  + key
                  + " in "
                  + context
                  + " (only $and and $or combine queries)");
        }
      } else {
        parts.add(compileField(key, field.getValue()));
      }
    }
    if (parts.isEmpty()) {
      return Conditions.ALWAYS;
    }
    return parts.size() == 1 ? parts.get(0) : new And(List.copyOf(parts));
  }

  private Condition compileLogical(String operator, JsonNode value, int depth, String context)
      throws InvalidQueryException {
    if (!value.isArray() || value.isEmpty()) {
      throw new InvalidQueryException(
          operator
              + " in "
              + context
              + " needs a non-empty array of queries, got "
              + describe(value));
    }
    List<Condition> parts = new ArrayList<>(value.size());
    for (int i = 0; i < value.size(); i++) {
      parts.add(compileQuery(value.get(i), depth + 1, operator + "[" + i + "]"));
    }
    return operator.equals("$and") ? new And(List.copyOf(parts)) : new Or(List.copyOf(parts));
  }

  private Condition compileField(String key, JsonNode value) throws InvalidQueryException {
    FieldPath path = FieldPath.parse(key, "query key");
    if (!isOperatorObject(value)) {
      return new Field(path, List.of(new Eq(operand(path, value, "'" + key + "'"))));
    }
    List<FieldOp> ops = new ArrayList<>(value.size());
    for (Map.Entry<String, JsonNode> entry : value.properties()) {
      String operator = entry.getKey();
      JsonNode argument = entry.getValue();
      String context = operator + " on '" + key + "'";
      if (!operator.startsWith("$")) {
        throw new InvalidQueryException(
            "the condition on '" + key + "' mixes operators and plain fields ('" + operator + "')");
      }
      switch (operator) {
        case "$eq" -> ops.add(new Eq(operand(path, argument, context)));
        case "$ne" -> ops.add(new Ne(operand(path, argument, context)));
        case "$lt" -> ops.add(range(path, operator, argument, context, c -> c < 0));
        case "$lte" -> ops.add(range(path, operator, argument, context, c -> c <= 0));
        case "$gt" -> ops.add(range(path, operator, argument, context, c -> c > 0));
        case "$gte" -> ops.add(range(path, operator, argument, context, c -> c >= 0));
        case "$in" -> ops.add(new In(operandList(path, argument, context), false));
        case "$nin" -> ops.add(new In(operandList(path, argument, context), true));
        case "$all" -> ops.add(new All(operandList(path, argument, context)));
        case "$size" -> ops.add(new Size(size(argument, context)));
        case "$exists" -> {
          if (!argument.isBoolean()) {
            throw new InvalidQueryException(
                context + " needs true or false, got " + describe(argument));
          }
          ops.add(new Exists(argument.booleanValue()));
        }
        case "$regex" -> ops.add(regex(argument, value.get("$options"), key));
        case "$options" -> {
          if (!value.has("$regex")) {
            throw new InvalidQueryException(context + " is only allowed together with $regex");
          }
        }
        default ->
            throw new InvalidQueryException(
                "unsupported operator " + operator + " on '" + key + "'");
      }
    }
    return new Field(path, List.copyOf(ops));
  }

  /** An object whose keys are operators ({@code {"$gt": 1}}) rather than a literal value. */
  private static boolean isOperatorObject(JsonNode value) {
    if (!value.isObject()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> entry : value.properties()) {
      if (entry.getKey().startsWith("$")) {
        return true;
      }
    }
    return false;
  }

  private static Operand operand(FieldPath path, JsonNode value, String context)
      throws InvalidQueryException {
    checkDepth(value, 0, context);
    if (Values.isDateObject(value)) {
      Instant instant = Values.asInstant(value);
      if (instant == null) {
        throw new InvalidQueryException(
            "invalid Date in "
                + context
                + ": expected {\"__type\":\"Date\",\"iso\":\"<ISO-8601 date-time>\"}");
      }
      return new Operand(value, instant);
    }
    if (value.isTextual() && path.holdsIsoStringDates()) {
      // Parse-compatible: createdAt/updatedAt may also be compared with a plain ISO string
      return new Operand(value, Values.parseInstant(value.textValue()));
    }
    return new Operand(value, null);
  }

  private static List<Operand> operandList(FieldPath path, JsonNode value, String context)
      throws InvalidQueryException {
    if (!value.isArray()) {
      throw new InvalidQueryException(context + " needs an array, got " + describe(value));
    }
    List<Operand> operands = new ArrayList<>(value.size());
    for (JsonNode element : value) {
      if (isOperatorObject(element)) {
        throw new InvalidQueryException(context + " cannot contain operators, got " + element);
      }
      operands.add(operand(path, element, context));
    }
    return List.copyOf(operands);
  }

  private static Range range(
      FieldPath path, String operator, JsonNode value, String context, IntPredicate accept)
      throws InvalidQueryException {
    Operand operand = operand(path, value, context);
    if (operand.date() == null && !value.isNumber() && !value.isTextual()) {
      throw new InvalidQueryException(
          context + " needs a number, a string or a Date, got " + describe(value));
    }
    return new Range(operator, operand, accept);
  }

  private static int size(JsonNode value, String context) throws InvalidQueryException {
    if (value.isNumber()) {
      double d = value.doubleValue();
      if (d >= 0 && d <= Integer.MAX_VALUE && d == Math.rint(d)) {
        return (int) d;
      }
    }
    throw new InvalidQueryException(
        context + " needs a non-negative whole number, got " + describe(value));
  }

  private Regex regex(JsonNode value, JsonNode options, String key) throws InvalidQueryException {
    if (!value.isTextual()) {
      throw new InvalidQueryException(
          "$regex on '" + key + "' needs a string, got " + describe(value));
    }
    String pattern = value.textValue();
    if (pattern.length() > limits.maxRegexLength()) {
      throw new InvalidQueryException(
          "$regex on '" + key + "' is longer than " + limits.maxRegexLength() + " characters");
    }
    int flags = 0;
    if (options != null) {
      if (!options.isTextual()) {
        throw new InvalidQueryException(
            "$options on '" + key + "' needs a string, got " + describe(options));
      }
      for (char c : options.textValue().toCharArray()) {
        switch (c) {
          case 'i' -> flags |= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
          case 'm' -> flags |= Pattern.MULTILINE;
          case 's' -> flags |= Pattern.DOTALL;
          case 'x' -> flags |= Pattern.COMMENTS;
          case 'u' -> {} // MongoDB accepts it; Java strings are Unicode anyway
          default ->
              throw new InvalidQueryException(
                  "$options on '"
                      + key
                      + "' has an unsupported flag '"
                      + c
                      + "' (supported: i, m, s, x, u)");
        }
      }
    }
    try {
      return new Regex(Pattern.compile(pattern, flags), limits.regexStepBudget());
    } catch (PatternSyntaxException e) {
      throw new InvalidQueryException("invalid $regex on '" + key + "': " + e.getDescription(), e);
    } catch (StackOverflowError e) {
      throw new InvalidQueryException("$regex on '" + key + "' is too complex");
    }
  }

  private static void checkDepth(JsonNode value, int depth, String context)
      throws InvalidQueryException {
    if (depth > MAX_VALUE_DEPTH) {
      throw new InvalidQueryException(
          "the value of " + context + " is nested deeper than " + MAX_VALUE_DEPTH);
    }
    if (value.isContainerNode()) {
      for (JsonNode child : value) {
        checkDepth(child, depth + 1, context);
      }
    }
  }

  static String describe(JsonNode value) {
    if (value.isObject()) {
      return "an object";
    }
    if (value.isArray()) {
      return "an array";
    }
    if (value.isTextual()) {
      return "a string";
    }
    if (value.isNumber()) {
      return "a number";
    }
    if (value.isBoolean()) {
      return "a boolean";
    }
    if (value.isNull()) {
      return "null";
    }
    return value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }
}
