package io.parley.node.conversation.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Map;

/** Value comparisons shared by matching and sorting (LeanCloud/MongoDB flavoured). */
final class Values {

  private Values() {}

  /** {@code {"__type":"Date", ...}}. */
  static boolean isDateObject(JsonNode node) {
    if (!node.isObject()) {
      return false;
    }
    JsonNode type = node.get("__type");
    return type != null && type.isTextual() && "Date".equals(type.textValue());
  }

  /** The instant of a {@code __type: Date} object or of an ISO-8601 string; null if neither. */
  static Instant asInstant(JsonNode node) {
    if (node.isTextual()) {
      return parseInstant(node.textValue());
    }
    if (isDateObject(node)) {
      JsonNode iso = node.get("iso");
      return iso != null && iso.isTextual() ? parseInstant(iso.textValue()) : null;
    }
    return null;
  }

  /**
   * ISO-8601 date-time with {@code Z} or an offset ({@code 2018-01-17T04:15:33.386Z}); null
   * otherwise.
   */
  static Instant parseInstant(String text) {
    // cheap shape check first: most strings compared against dates are not dates at all
    if (text.length() < 20
        || text.length() > 40
        || text.charAt(4) != '-'
        || text.charAt(10) != 'T') {
      return null;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /**
   * Deep equality: numbers by numeric value ({@code 1 == 1.0}), objects by their key/value sets
   * (key order ignored), arrays element by element in order, {@code __type: Date} objects by
   * instant.
   */
  static boolean deepEquals(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return compareNumbers(a, b) == 0;
    }
    if (a.isObject() && b.isObject()) {
      if (isDateObject(a) && isDateObject(b)) {
        Instant ia = asInstant(a);
        Instant ib = asInstant(b);
        if (ia != null && ib != null) {
          return ia.equals(ib);
        }
      }
      if (a.size() != b.size()) {
        return false;
      }
      for (Map.Entry<String, JsonNode> field : a.properties()) {
        JsonNode other = b.get(field.getKey());
        if (other == null || !deepEquals(field.getValue(), other)) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray() && b.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!deepEquals(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isTextual() && b.isTextual()) {
      return a.textValue().equals(b.textValue());
    }
    if (a.isBoolean() && b.isBoolean()) {
      return a.booleanValue() == b.booleanValue();
    }
    return a.isNull() && b.isNull();
  }

  /** Numeric order across ints, longs, big integers and doubles. */
  static int compareNumbers(JsonNode a, JsonNode b) {
    if (a.isIntegralNumber()
        && b.isIntegralNumber()
        && a.canConvertToLong()
        && b.canConvertToLong()) {
      return Long.compare(a.longValue(), b.longValue());
    }
    double da = a.doubleValue();
    double db = b.doubleValue();
    if (!Double.isFinite(da) || !Double.isFinite(db)) {
      return Double.compare(da, db);
    }
    return a.decimalValue().compareTo(b.decimalValue());
  }

  /** Unicode code point order (= the UTF-8 byte order MongoDB uses), not UTF-16 unit order. */
  static int compareStrings(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
