package io.parley.node.conversation.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A (possibly dotted) key of a query or sort, resolved against a conversation document the way
 * MongoDB resolves field paths: each segment descends into an object; on an array, a numeric
 * segment indexes it and any segment is also looked up in each element that is an object (one level
 * of implicit traversal).
 */
final class FieldPath {

  /** System keys whose values are ISO-8601 strings in the document model yet mean instants. */
  static final Set<String> ISO_STRING_DATE_KEYS = Set.of("createdAt", "updatedAt");

  private final String raw;
  private final String[] segments;
  private final int[] indexes;

  private FieldPath(String raw, String[] segments, int[] indexes) {
    this.raw = raw;
    this.segments = segments;
    this.indexes = indexes;
  }

  static FieldPath parse(String raw, String what) throws InvalidQueryException {
    if (raw.isEmpty()) {
      throw new InvalidQueryException("empty " + what);
    }
    String[] segments = raw.split("\\.", -1);
    int[] indexes = new int[segments.length];
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      if (segment.isEmpty()) {
        throw new InvalidQueryException(what + " '" + raw + "' has an empty path segment");
      }
      if (segment.charAt(0) == '$') {
        throw new InvalidQueryException(
            what + " '" + raw + "' is an operator where a field name is expected");
      }
      indexes[i] = arrayIndex(segment);
    }
    return new FieldPath(raw, segments, indexes);
  }

  private static int arrayIndex(String segment) {
    if (segment.length() > 9) {
      return -1;
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return Integer.parseInt(segment);
  }

  String raw() {
    return raw;
  }

  /**
   * True when values at this path that are ISO strings mean instants ({@code createdAt}, {@code
   * updatedAt}).
   */
  boolean holdsIsoStringDates() {
    return segments.length == 1 && ISO_STRING_DATE_KEYS.contains(raw);
  }

  /** The values found at this path; empty when the path is missing. */
  List<JsonNode> resolve(ObjectNode document) {
    if (segments.length == 1) {
      JsonNode value = document.get(raw);
      return value == null ? List.of() : List.of(value);
    }
    List<JsonNode> out = new ArrayList<>(2);
    collect(document, 0, out);
    return out;
  }

  private void collect(JsonNode node, int i, List<JsonNode> out) {
    if (i == segments.length) {
      out.add(node);
      return;
    }
    if (node.isObject()) {
      JsonNode child = node.get(segments[i]);
      if (child != null) {
        collect(child, i + 1, out);
      }
    } else if (node.isArray()) {
      if (indexes[i] >= 0) {
        JsonNode element = node.get(indexes[i]);
        if (element != null) {
          collect(element, i + 1, out);
        }
      }
      for (JsonNode element : node) {
        if (element.isObject()) {
          JsonNode child = element.get(segments[i]);
          if (child != null) {
            collect(child, i + 1, out);
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return raw;
  }
}
