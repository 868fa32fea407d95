package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Frames captured from the real, unmodified SDKs (see {@code golden/README.md}): each decodes with
 * the codec of its subprotocol, carries the fields the server relies on, equals its {@code .json}
 * description, and re-encodes to the same bytes (protobuf) or text (base64). JSON frames cannot be
 * byte-identical (the SDK's key order is not ours), so they must re-encode to the same JSON object.
 *
 * <p>The fixtures listed in {@link #EXPECTED} must exist: a missing one fails (it does not skip).
 * Any other {@code <sdk>-….bin|.txt} file with a description beside it is checked the same way.
 */
class SdkGoldenFramesTest {

  /**
   * Captures the server tests rely on; produced by the SDK capture helpers (the .NET one is
   * reconstructed).
   */
  static final List<String> EXPECTED =
      List.of(
          "js-5.0.0-rc.8-lc.protobuf2.3-session-open.bin",
          "js-5.0.0-rc.8-lc.proto2base64.3-session-open.txt",
          "js-4.3.1-lc.protobuf2.3-session-open.bin",
          "js-4.3.1-lc.proto2base64.3-session-open.txt",
          "java-6.0.5-login.bin",
          "java-6.0.5-session-open.bin",
          "dotnet-lc.json.3-session-open.txt");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TestFactory
  Stream<DynamicTest> sdk_frames_decode_and_re_encode_exactly() throws IOException {
    TreeSet<String> names = new TreeSet<>(EXPECTED);
    try (Stream<Path> files = Files.list(Golden.ROOT)) {
      files
          .map(path -> path.getFileName().toString())
          .filter(name -> name.endsWith(".bin") || name.endsWith(".txt"))
          .forEach(names::add);
    }
    return names.stream().map(name -> DynamicTest.dynamicTest(name, () -> check(name)));
  }

  private static void check(String name) throws Exception {
    Path frameFile = Golden.ROOT.resolve(name);
    if (!Files.exists(frameFile)) {
      fail(
          "missing SDK golden frame "
              + frameFile.toAbsolutePath()
              + " — it should be captured from the real SDK (see golden/README.md); it is required, not optional");
    }
    String base = name.substring(0, name.lastIndexOf('.'));
    Path descriptionFile = Golden.ROOT.resolve(base + ".json");
    if (!Files.exists(descriptionFile)) {
      fail("missing description " + descriptionFile.toAbsolutePath() + " beside " + name);
    }
    JsonNode description = MAPPER.readTree(Golden.readText(descriptionFile));

    CommandCodec codec = codecFor(name);
    Frame frame =
        name.endsWith(".bin")
            ? new Frame.Binary(Golden.readBytes(frameFile))
            : new Frame.Text(Golden.readText(frameFile));
    GenericCommand command = codec.decode(frame);

    // 1. equal to the description, field by field, nothing more and nothing less
    JsonNode actual = render(command);
    if (!same(description, actual)) {
      fail(
          "decoded "
              + name
              + " differs from its description\n expected: "
              + description
              + "\n actual:   "
              + actual);
    }

    // 2. the fields the server relies on
    if (base.endsWith("-session-open") || base.endsWith("-session-reopen")) {
      assertEquals(CommandType.session, command.getCmd());
      assertEquals(OpType.open, command.getOp());
      if (name.startsWith("java-")) {
        // The Java SDK 6.0.5 names its app only in the `login` command that precedes the open.
        assertTrue(command.getAppId().isEmpty(), "java session open carries no appId");
      } else {
        assertFalse(command.getAppId().isEmpty(), "appId");
      }
      assertEquals("Tom", command.getPeerId());
      assertTrue(command.hasSessionMessage(), "sessionMessage");
      assertFalse(command.getSessionMessage().getUa().isEmpty(), "ua");
    }
    if (base.endsWith("-login")) {
      assertEquals(CommandType.login, command.getCmd());
      assertFalse(command.getAppId().isEmpty(), "appId");
    }

    // 3. re-encode
    Frame again = codec.encode(command);
    if (frame instanceof Frame.Binary binary) {
      assertArrayEquals(
          binary.bytes(), ((Frame.Binary) again).bytes(), "protobuf bytes of " + name);
    } else if (codec == Codecs.base64()) {
      assertEquals(
          ((Frame.Text) frame).text(), ((Frame.Text) again).text(), "base64 text of " + name);
    } else {
      assertEquals(
          MAPPER.readTree(((Frame.Text) frame).text()),
          MAPPER.readTree(((Frame.Text) again).text()),
          "JSON of " + name);
      assertEquals(command, codec.decode(again));
    }
  }

  private static CommandCodec codecFor(String name) {
    if (name.contains("proto2base64")) {
      return Codecs.base64();
    }
    if (name.contains("lc.json")) {
      return Codecs.json();
    }
    if (name.endsWith(".bin")) {
      return Codecs.protobuf();
    }
    throw new AssertionError("cannot tell the subprotocol of " + name);
  }

  // ------------------------------------------------------------------------------------
  // description format

  /**
   * The decoded command in the descriptions' nested form (protobufjs {@code toObject} with enums as
   * names, longs as numbers, bytes as base64; set fields only).
   */
  static ObjectNode render(Message message) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      if (field.isRepeated()) {
        ArrayNode array = node.putArray(field.getName());
        for (Object value : (List<?>) entry.getValue()) {
          array.add(renderValue(value));
        }
      } else {
        node.set(field.getName(), renderValue(entry.getValue()));
      }
    }
    return node;
  }

  private static JsonNode renderValue(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value instanceof Message message) {
      return render(message);
    }
    if (value instanceof EnumValueDescriptor enumValue) {
      return f.textNode(enumValue.getName());
    }
    if (value instanceof ByteString bytes) {
      return f.textNode(Base64.getEncoder().encodeToString(bytes.toByteArray()));
    }
    if (value instanceof Integer i) {
      return f.numberNode(i);
    }
    if (value instanceof Long l) {
      return f.numberNode(l);
    }
    if (value instanceof Boolean b) {
      return f.booleanNode(b);
    }
    return f.textNode(String.valueOf(value));
  }

  /**
   * Structural equality; numbers by value, and a numeric string equals the number (JSON renderings
   * of int64).
   */
  static boolean same(JsonNode expected, JsonNode actual) {
    if (expected.isNumber() || actual.isNumber()) {
      BigDecimal a = number(expected);
      BigDecimal b = number(actual);
      return a != null && b != null && a.compareTo(b) == 0;
    }
    if (expected.isObject() && actual.isObject()) {
      if (expected.size() != actual.size()) {
        return false;
      }
      for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!actual.has(key) || !same(expected.get(key), actual.get(key))) {
          return false;
        }
      }
      return true;
    }
    if (expected.isArray() && actual.isArray()) {
      if (expected.size() != actual.size()) {
        return false;
      }
      for (int i = 0; i < expected.size(); i++) {
        if (!same(expected.get(i), actual.get(i))) {
          return false;
        }
      }
      return true;
    }
    return expected.equals(actual);
  }

  private static BigDecimal number(JsonNode node) {
    if (node.isNumber()) {
      return node.decimalValue();
    }
    if (node.isTextual()) {
      try {
        return new BigDecimal(node.textValue());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
