package io.parley.node.conversation.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/** The compiled form of a {@code where}: a tree of conditions evaluated against one document. */
final class Conditions {

  private Conditions() {}

  /** A compiled (sub)query. */
  interface Condition {
    boolean test(ObjectNode document, QueryBudget budget);
  }

  /**
   * One operator applied to the values found at a field path (empty list = the field is missing).
   */
  interface FieldOp {
    boolean test(List<JsonNode> values, QueryBudget budget);
  }

  static final Condition ALWAYS = (document, budget) -> true;

  record And(List<Condition> parts) implements Condition {
    @Override
    public boolean test(ObjectNode document, QueryBudget budget) {
      for (Condition part : parts) {
        if (!part.test(document, budget)) {
          return false;
        }
      }
      return true;
    }
  }

  record Or(List<Condition> parts) implements Condition {
    @Override
    public boolean test(ObjectNode document, QueryBudget budget) {
      for (Condition part : parts) {
        if (part.test(document, budget)) {
          return true;
        }
      }
      return false;
    }
  }

  /** All operators given for one key ({@code {"m": {"$all": [...], "$size": 2}}}) must hold. */
  record Field(FieldPath path, List<FieldOp> ops) implements Condition {
    @Override
    public boolean test(ObjectNode document, QueryBudget budget) {
      budget.spend(1);
      List<JsonNode> values = path.resolve(document);
      for (FieldOp op : ops) {
        if (!op.test(values, budget)) {
          return false;
        }
      }
      return true;
    }
  }

  /** A query operand; {@code date} is set when it denotes an instant. */
  record Operand(JsonNode node, Instant date) {

    /** Equality with one document value (no array traversal). */
    boolean equalsValue(JsonNode value) {
      if (date != null) {
        Instant instant = Values.asInstant(value);
        return instant != null && instant.equals(date);
      }
      return Values.deepEquals(value, node);
    }

    /**
     * LeanCloud/MongoDB equality against a field: true when a value equals the operand or is an
     * array with an element equal to it; a null operand also matches a missing field.
     */
    boolean matches(List<JsonNode> values) {
      if (values.isEmpty()) {
        return date == null && node.isNull();
      }
      for (JsonNode value : values) {
        if (equalsValue(value)) {
          return true;
        }
        if (value.isArray()) {
          for (JsonNode element : value) {
            if (equalsValue(element)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    /**
     * Order of a document value relative to this operand, or null if they are of different types.
     */
    Integer compareValue(JsonNode value) {
      if (date != null) {
        Instant instant = Values.asInstant(value);
        return instant == null ? null : instant.compareTo(date);
      }
      if (node.isNumber()) {
        return value.isNumber() ? Values.compareNumbers(value, node) : null;
      }
      if (node.isTextual()) {
        return value.isTextual()
            ? Values.compareStrings(value.textValue(), node.textValue())
            : null;
      }
      return null;
    }
  }

  /** {@code {"k": v}} and {@code {"k": {"$eq": v}}}. */
  record Eq(Operand operand) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      return operand.matches(values);
    }
  }

  /** {@code $ne}: not equal; a missing field matches. */
  record Ne(Operand operand) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      return !operand.matches(values);
    }
  }

  /** {@code $in} (or, negated, {@code $nin}). */
  record In(List<Operand> operands, boolean negated) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      for (Operand operand : operands) {
        budget.spend(1 + values.size());
        if (operand.matches(values)) {
          return !negated;
        }
      }
      return negated;
    }
  }

  /**
   * {@code $all}: every operand is equal to the value or an element of it; an empty list matches
   * nothing.
   */
  record All(List<Operand> operands) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      if (operands.isEmpty()) {
        return false;
      }
      for (Operand operand : operands) {
        budget.spend(1 + values.size());
        if (!operand.matches(values)) {
          return false;
        }
      }
      return true;
    }
  }

  /** {@code $size}: the value is an array of exactly this length. */
  record Size(int size) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      for (JsonNode value : values) {
        if (value.isArray() && value.size() == size) {
          return true;
        }
      }
      return false;
    }
  }

  /** {@code $exists}: a field holding {@code null} exists. */
  record Exists(boolean exists) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      return values.isEmpty() != exists;
    }
  }

  /**
   * {@code $lt}, {@code $lte}, {@code $gt}, {@code $gte}: only values of the operand's type can
   * match.
   */
  record Range(String operator, Operand operand, IntPredicate accept) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      for (JsonNode value : values) {
        if (accepts(value)) {
          return true;
        }
        if (value.isArray()) {
          for (JsonNode element : value) {
            if (accepts(element)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    private boolean accepts(JsonNode value) {
      Integer order = operand.compareValue(value);
      return order != null && accept.test(order);
    }
  }

  /**
   * {@code $regex} (+ {@code $options}): a string value, or a string element of an array value, is
   * searched.
   */
  record Regex(Pattern pattern, int stepBudget) implements FieldOp {
    @Override
    public boolean test(List<JsonNode> values, QueryBudget budget) {
      for (JsonNode value : values) {
        if (value.isTextual() && find(value.textValue(), budget)) {
          return true;
        }
        if (value.isArray()) {
          for (JsonNode element : value) {
            if (element.isTextual() && find(element.textValue(), budget)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    private boolean find(String text, QueryBudget budget) {
      try {
        return pattern.matcher(new BudgetedCharSequence(text, stepBudget, budget)).find();
      } catch (BudgetedCharSequence.BudgetExceeded | StackOverflowError e) {
        // catastrophic backtracking or recursion: treated as "does not match" rather than letting
        // one
        // pattern stall the node
        return false;
      }
    }
  }
}
