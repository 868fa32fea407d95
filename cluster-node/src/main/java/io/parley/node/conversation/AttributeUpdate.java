package io.parley.node.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Applies a {@code conv/update} (docs/protocol.md §6.5) to stored attributes: keys may be dotted
 * paths into nested objects, values may be LeanCloud operations ({@code __op}: Delete, Increment,
 * Add, AddUnique, Remove). System columns are never changed by clients: they are ignored, like the
 * extra keys the .NET SDK sends with every update.
 */
public final class AttributeUpdate {

  /**
   * New attributes, the update as applied (ignored keys dropped), and the resulting value of each
   * key.
   */
  public record Result(String attributesJson, String appliedJson, String modifiedJson) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> PROTECTED =
      Set.of(
          "objectId",
          "c",
          "m",
          "mu",
          "tr",
          "sys",
          "lm",
          "unique",
          "uniqueId",
          "createdAt",
          "updatedAt",
          "ACL",
          "transient",
          "tempConv",
          "tempConvTTL");

  private AttributeUpdate() {}

  /** Columns the server owns (members, kind, dates...): never stored as attributes. */
  public static boolean isProtected(String key) {
    return PROTECTED.contains(key.split("\\.", 2)[0]);
  }

  /**
   * @throws IllegalArgumentException when the update is not a JSON object or an operation is
   *     malformed
   */
  public static Result apply(String currentJson, String updateJson) {
    ObjectNode attributes = object(currentJson, "stored attributes");
    ObjectNode update = object(updateJson, "attr");
    ObjectNode applied = JSON.createObjectNode();
    ObjectNode modified = JSON.createObjectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = update.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String path = field.getKey();
      if (path.isEmpty() || PROTECTED.contains(path.split("\\.", 2)[0])) {
        continue;
      }
      applied.set(path, field.getValue());
      JsonNode result = applyOne(attributes, path, field.getValue());
      if (result != null) {
        modified.set(path, result);
      }
    }
    return new Result(attributes.toString(), applied.toString(), modified.toString());
  }

  /** Applies one key; returns the resulting value, or null when the key was deleted. */
  private static JsonNode applyOne(ObjectNode root, String path, JsonNode value) {
    String[] parts = path.split("\\.");
    ObjectNode parent = root;
    for (int n = 0; n < parts.length - 1; n++) {
      JsonNode child = parent.get(parts[n]);
      if (!(child instanceof ObjectNode)) {
        child = parent.putObject(parts[n]);
      }
      parent = (ObjectNode) child;
    }
    String key = parts[parts.length - 1];
    if (!(value instanceof ObjectNode operation) || !operation.has("__op")) {
      parent.set(key, value);
      return value;
    }
    String op = operation.get("__op").asText();
    JsonNode current = parent.get(key);
    switch (op) {
      case "Delete" -> {
        parent.remove(key);
        return null;
      }
      case "Increment" -> {
        JsonNode amount = operation.get("amount");
        if (amount == null || !amount.isNumber() || (current != null && !current.isNumber())) {
          throw new IllegalArgumentException(
              "Increment of " + path + " needs a numeric amount on a number");
        }
        JsonNode sum =
            current == null
                ? amount
                : (current.isIntegralNumber() && amount.isIntegralNumber()
                    ? JSON.getNodeFactory().numberNode(current.longValue() + amount.longValue())
                    : JSON.getNodeFactory()
                        .numberNode(current.doubleValue() + amount.doubleValue()));
        parent.set(key, sum);
        return sum;
      }
      case "Add", "AddUnique", "Remove" -> {
        JsonNode objects = operation.get("objects");
        if (objects == null || !objects.isArray() || (current != null && !current.isArray())) {
          throw new IllegalArgumentException(
              op + " on " + path + " needs an objects array on an array");
        }
        ArrayNode array =
            current == null ? JSON.createArrayNode() : ((ArrayNode) current).deepCopy();
        for (JsonNode object : objects) {
          if (op.equals("Add")) {
            array.add(object);
          } else if (op.equals("AddUnique")) {
            if (!contains(array, object)) {
              array.add(object);
            }
          } else {
            for (int n = array.size() - 1; n >= 0; n--) {
              if (array.get(n).equals(object)) {
                array.remove(n);
              }
            }
          }
        }
        parent.set(key, array);
        return array;
      }
      default -> throw new IllegalArgumentException("unknown operation " + op + " on " + path);
    }
  }

  private static boolean contains(ArrayNode array, JsonNode value) {
    for (JsonNode element : array) {
      if (element.equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static ObjectNode object(String json, String what) {
    try {
      JsonNode node = JSON.readTree(json == null || json.isBlank() ? "{}" : json);
      if (node instanceof ObjectNode object) {
        return object;
      }
    } catch (Exception malformed) {
      // reported below
    }
    throw new IllegalArgumentException(what + " must be a JSON object");
  }
}
