package io.parley.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchItem;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code lc.json.N} and the JSON side of the legacy protocol: one text WebSocket message = one
 * <em>flat</em> JSON object (docs/protocol.md §2.3). The mapping is derived from the protobuf
 * descriptors, never written per command:
 *
 * <ul>
 *   <li>The envelope fields of {@link GenericCommand} ({@code cmd, op, appId, peerId, i,
 *       installationId, priority, service, serverTs, clientTs, notificationType}) are top-level
 *       keys.
 *   <li>The fields of the sub-message that matches {@code cmd} ({@code <cmd>Message}, e.g. {@code
 *       session} → {@code sessionMessage}) are top-level keys too. A sub-message that does not
 *       match {@code cmd} (rare) is written nested under its field name, e.g. {@code
 *       "errorMessage":{...}}; that nested form is also read.
 *   <li>{@code cmd} and enums are written by name, {@code op} with {@code _} replaced by {@code -}
 *       ({@code members-joined}); input accepts either spelling and enum numbers.
 *   <li>{@link JsonObjectMessage} fields ({@code attr}, {@code where}, {@code results}, {@code
 *       attrModified}, {@code DataCommand.msg}) are plain JSON objects/arrays on the wire and JSON
 *       text ({@code data}) inside protobuf; input also accepts a JSON string (kept as the text).
 *   <li>Repeated fields are arrays, nested messages are objects of the same shape, int64 are JSON
 *       numbers (exact, never through double), bools are {@code true/false} (input also {@code
 *       0/1}), bytes are base64.
 *   <li>Strings cannot carry an unpaired UTF-16 surrogate (JSON's {@code "\ud800"}): it has no
 *       UTF-8 form for protobuf, so input gets U+FFFD in its place.
 *   <li>{@code null} means absent; unknown keys are ignored; unset fields are not written (presence
 *       is kept exactly as in protobuf: an explicitly set {@code offline=false} <em>is</em>
 *       written, so do not set it).
 *   <li>.NET quirks on input: {@code "level"} is the envelope {@code priority}; patch items may
 *       spell {@code mentionPids} as {@code "meintonPids"}.
 *   <li>The heartbeat <code>{}</code> is an empty command and an empty command is <code>{}</code>.
 * </ul>
 *
 * <p>Output key order is deterministic: envelope fields by field number, then the flat sub-message
 * fields by field number, then any nested non-matching sub-messages by field number. Stateless and
 * thread-safe.
 */
public final class JsonCodec implements CommandCodec {

  /** The one instance; reached through {@link Codecs#json()}. */
  static final JsonCodec INSTANCE = new JsonCodec();

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private static final Descriptor GENERIC = GenericCommand.getDescriptor();
  private static final FieldDescriptor CMD_FIELD =
      GENERIC.findFieldByNumber(GenericCommand.CMD_FIELD_NUMBER);
  private static final FieldDescriptor PRIORITY_FIELD =
      GENERIC.findFieldByNumber(GenericCommand.PRIORITY_FIELD_NUMBER);
  private static final EnumDescriptor OP_TYPE = OpType.getDescriptor();
  private static final Descriptor JSON_OBJECT = JsonObjectMessage.getDescriptor();

  /** Input-only key aliases per message type: alias → canonical field name. */
  private static final Map<Descriptor, Map<String, String>> ALIASES =
      Map.of(
          GENERIC,
          Map.of("level", PRIORITY_FIELD.getName()),
          PatchItem.getDescriptor(),
          Map.of("meintonPids", "mentionPids"));

  /** Values quoted in error details are cut to this many characters. */
  private static final int MAX_QUOTED = 40;

  /**
   * Integer-part digits beyond which a JSON number cannot be any protobuf integer (guards huge
   * exponents).
   */
  private static final int MAX_INTEGER_DIGITS = 40;

  private JsonCodec() {}

  @Override
  public GenericCommand decode(Frame frame) throws ProtocolException {
    if (frame instanceof Frame.Text text && text.text() != null) {
      return fromJson(text.text());
    }
    throw ProtobufCodec.unparseable(
        "expected a text frame (JSON subprotocol), got " + ProtobufCodec.describe(frame));
  }

  @Override
  public Frame encode(GenericCommand command) {
    return new Frame.Text(toJson(command));
  }

  // ------------------------------------------------------------------------------------------------ decoding

  /** Parses the text of one flat JSON frame; {@link #decode} without the {@link Frame}. */
  public GenericCommand fromJson(String json) throws ProtocolException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(
          ErrorCode.UNPARSEABLE_RAW_MESSAGE, "invalid JSON: " + e.getOriginalMessage(), e);
    } catch (RuntimeException | StackOverflowError e) {
      throw new ProtocolException(ErrorCode.UNPARSEABLE_RAW_MESSAGE, "invalid JSON: " + e, e);
    }
    return fromTree(root);
  }

  /** Converts an already parsed flat JSON object (e.g. one embedded in a REST body). */
  public GenericCommand fromTree(JsonNode root) throws ProtocolException {
    try {
      return readCommand(root);
    } catch (RuntimeException | StackOverflowError e) {
      // Safety net: the reader validates every value, so this means a bug; still never throw
      // unchecked.
      throw new ProtocolException(
          ErrorCode.UNPARSEABLE_RAW_MESSAGE, "cannot map JSON to a command: " + e, e);
    }
  }

  private static GenericCommand readCommand(JsonNode root) throws ProtocolException {
    if (root == null || root.isMissingNode()) {
      throw bad("empty frame, expected a JSON object");
    }
    if (!root.isObject()) {
      throw bad("expected a JSON object, got " + kind(root));
    }
    GenericCommand.Builder builder = GenericCommand.newBuilder();
    FieldDescriptor flat = null;
    JsonNode cmdNode = root.get(CMD_FIELD.getName());
    if (cmdNode != null && !cmdNode.isNull()) {
      EnumValueDescriptor cmd = readEnum(CMD_FIELD, cmdNode, CMD_FIELD.getName());
      builder.setField(CMD_FIELD, cmd);
      flat = subMessageField(CommandType.forNumber(cmd.getNumber()));
    }

    Map<FieldDescriptor, Message.Builder> subs = new LinkedHashMap<>();
    Set<FieldDescriptor> explicit = new LinkedHashSet<>();
    if (flat != null) {
      subs.put(flat, builder.newBuilderForField(flat));
    }
    List<String> flatKeys = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String key = entry.getKey();
      JsonNode value = entry.getValue();
      if (value.isNull() || key.equals(CMD_FIELD.getName())) {
        continue;
      }
      FieldDescriptor field = resolve(GENERIC, root, key);
      if (field != null && field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        setField(builder, field, value, key);
      } else if (field != null) {
        if (!value.isObject()) {
          throw bad(key, "expected an object, got " + kind(value));
        }
        Message.Builder sub = subs.computeIfAbsent(field, builder::newBuilderForField);
        readFields(sub, value, key);
        explicit.add(field);
      } else if (flat != null) {
        flatKeys.add(key);
      }
      // other keys: unknown, ignored
    }
    if (flat != null) {
      Message.Builder sub = subs.get(flat);
      for (String key : flatKeys) {
        FieldDescriptor field = resolve(flat.getMessageType(), root, key);
        if (field != null) {
          setField(sub, field, root.get(key), key);
        }
      }
    }
    for (Map.Entry<FieldDescriptor, Message.Builder> entry : subs.entrySet()) {
      Message sub = entry.getValue().buildPartial();
      if (explicit.contains(entry.getKey()) || !sub.getAllFields().isEmpty()) {
        builder.setField(entry.getKey(), sub);
      }
    }
    GenericCommand command = builder.buildPartial();
    if (!command.isInitialized()) {
      throw bad("missing required field(s) " + command.findInitializationErrors());
    }
    return command;
  }

  /**
   * The field for {@code key} in {@code type}, honouring input aliases when the canonical key is
   * absent.
   */
  private static FieldDescriptor resolve(Descriptor type, JsonNode object, String key) {
    FieldDescriptor field = type.findFieldByName(key);
    if (field != null) {
      return field;
    }
    String canonical = ALIASES.getOrDefault(type, Map.of()).get(key);
    if (canonical != null && !hasValue(object, canonical)) {
      return type.findFieldByName(canonical);
    }
    return null;
  }

  private static boolean hasValue(JsonNode object, String key) {
    JsonNode node = object.get(key);
    return node != null && !node.isNull();
  }

  private static void readFields(Message.Builder builder, JsonNode object, String path)
      throws ProtocolException {
    Descriptor type = builder.getDescriptorForType();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getValue().isNull()) {
        continue;
      }
      FieldDescriptor field = resolve(type, object, entry.getKey());
      if (field != null) {
        setField(builder, field, entry.getValue(), path + "." + entry.getKey());
      }
    }
  }

  private static void setField(
      Message.Builder builder, FieldDescriptor field, JsonNode value, String path)
      throws ProtocolException {
    if (field.isRepeated()) {
      if (!value.isArray()) {
        throw bad(path, "expected an array, got " + kind(value));
      }
      for (int index = 0; index < value.size(); index++) {
        JsonNode element = value.get(index);
        if (!element.isNull()) {
          builder.addRepeatedField(
              field, readValue(builder, field, element, path + "[" + index + "]"));
        }
      }
    } else {
      builder.setField(field, readValue(builder, field, value, path));
    }
  }

  private static Object readValue(
      Message.Builder parent, FieldDescriptor field, JsonNode value, String path)
      throws ProtocolException {
    switch (field.getJavaType()) {
      case INT -> {
        boolean unsigned =
            field.getType() == FieldDescriptor.Type.UINT32
                || field.getType() == FieldDescriptor.Type.FIXED32;
        BigInteger number = readInteger(value, path);
        BigInteger min = unsigned ? BigInteger.ZERO : BigInteger.valueOf(Integer.MIN_VALUE);
        BigInteger max =
            unsigned ? BigInteger.valueOf(0xFFFF_FFFFL) : BigInteger.valueOf(Integer.MAX_VALUE);
        if (number.compareTo(min) < 0 || number.compareTo(max) > 0) {
          throw bad(
              path,
              "integer " + quote(value) + " out of " + (unsigned ? "uint32" : "int32") + " range");
        }
        return number.intValue();
      }
      case LONG -> {
        boolean unsigned =
            field.getType() == FieldDescriptor.Type.UINT64
                || field.getType() == FieldDescriptor.Type.FIXED64;
        BigInteger number = readInteger(value, path);
        BigInteger min = unsigned ? BigInteger.ZERO : BigInteger.valueOf(Long.MIN_VALUE);
        BigInteger max =
            unsigned
                ? BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)
                : BigInteger.valueOf(Long.MAX_VALUE);
        if (number.compareTo(min) < 0 || number.compareTo(max) > 0) {
          throw bad(
              path,
              "integer " + quote(value) + " out of " + (unsigned ? "uint64" : "int64") + " range");
        }
        return number.longValue();
      }
      case BOOLEAN -> {
        if (value.isBoolean()) {
          return value.booleanValue();
        }
        if (value.isNumber()) {
          BigInteger number = readInteger(value, path);
          if (number.equals(BigInteger.ZERO) || number.equals(BigInteger.ONE)) {
            return number.equals(BigInteger.ONE);
          }
        }
        throw bad(path, "expected a boolean (or 0/1), got " + quote(value));
      }
      case FLOAT, DOUBLE -> {
        if (!value.isNumber()) {
          throw bad(path, "expected a number, got " + quote(value));
        }
        if (field.getJavaType() == FieldDescriptor.JavaType.FLOAT) {
          return value.floatValue();
        }
        return value.doubleValue();
      }
      case STRING -> {
        if (!value.isTextual()) {
          throw bad(path, "expected a string, got " + quote(value));
        }
        return wellFormed(value.textValue());
      }
      case BYTE_STRING -> {
        if (!value.isTextual()) {
          throw bad(path, "expected a base64 string, got " + quote(value));
        }
        try {
          return ByteString.copyFrom(Base64.getDecoder().decode(value.textValue().strip()));
        } catch (IllegalArgumentException e) {
          throw bad(path, "invalid base64: " + e.getMessage());
        }
      }
      case ENUM -> {
        return readEnum(field, value, path);
      }
      case MESSAGE -> {
        if (field.getMessageType() == JSON_OBJECT) {
          return JsonObjectMessage.newBuilder().setData(jsonData(value, path)).build();
        }
        if (!value.isObject()) {
          throw bad(path, "expected an object, got " + kind(value));
        }
        Message.Builder sub = parent.newBuilderForField(field);
        readFields(sub, value, path);
        return sub.buildPartial();
      }
    }
    throw bad(path, "unsupported field type " + field.getType());
  }

  /**
   * JSON text for a {@link JsonObjectMessage}: objects/arrays re-serialized compactly, strings kept
   * as is.
   */
  private static String jsonData(JsonNode value, String path) throws ProtocolException {
    if (value.isTextual()) {
      return wellFormed(value.textValue());
    }
    if (value.isContainerNode() || value.isNumber() || value.isBoolean()) {
      try {
        return wellFormed(MAPPER.writeValueAsString(value));
      } catch (JsonProcessingException e) {
        throw bad(path, "cannot re-serialize JSON value: " + e.getOriginalMessage());
      }
    }
    throw bad(path, "expected a JSON value, got " + kind(value));
  }

  /**
   * The text with each unpaired UTF-16 surrogate (JSON allows {@code "\ud800"}) replaced by U+FFFD,
   * as a UTF-8 decoder does with bytes that are not UTF-8. Such a string has no UTF-8 form:
   * protobuf would write {@code ?} and log a warning with a stack trace on every serialization of
   * the command.
   */
  static String wellFormed(String text) {
    int length = text.length();
    int first = 0;
    while (first < length && !Character.isSurrogate(text.charAt(first))) {
      first++;
    }
    if (first == length) {
      return text;
    }
    StringBuilder out = new StringBuilder(length).append(text, 0, first);
    for (int i = first; i < length; i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < length
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }

  private static EnumValueDescriptor readEnum(FieldDescriptor field, JsonNode value, String path)
      throws ProtocolException {
    EnumDescriptor type = field.getEnumType();
    EnumValueDescriptor result = null;
    if (value.isTextual()) {
      String name = value.textValue();
      result = type.findValueByName(name);
      if (result == null && type == OP_TYPE) {
        result = type.findValueByName(name.replace('-', '_'));
      }
    } else if (value.isNumber()) {
      BigInteger number = readInteger(value, path);
      if (number.bitLength() < 32) {
        result = type.findValueByNumber(number.intValue());
      }
    } else {
      throw bad(path, "expected a " + type.getName() + " name, got " + quote(value));
    }
    if (result == null) {
      throw bad(path, "unknown " + type.getName() + " " + quote(value));
    }
    return result;
  }

  private static BigInteger readInteger(JsonNode value, String path) throws ProtocolException {
    if (value.isIntegralNumber()) {
      return value.bigIntegerValue();
    }
    if (value.isFloatingPointNumber()) {
      BigDecimal decimal = value.decimalValue();
      if (decimal.signum() == 0) {
        return BigInteger.ZERO;
      }
      // cheap checks first: 1e-999999999 or 1e999999999 must not make BigDecimal compute huge
      // powers of ten
      BigDecimal stripped = decimal.stripTrailingZeros();
      if (stripped.scale() > 0) {
        throw bad(path, "expected an integer, got " + quote(value));
      }
      if ((long) stripped.precision() - stripped.scale() > MAX_INTEGER_DIGITS) {
        throw bad(path, "integer " + quote(value) + " out of range");
      }
      return stripped.toBigInteger();
    }
    throw bad(path, "expected an integer, got " + quote(value));
  }

  // ------------------------------------------------------------------------------------------------ encoding

  /**
   * Writes one command as a flat JSON object: the text of {@link #encode}'s frame.
   *
   * @throws IllegalArgumentException if a proto2 required field is missing (a bug in the caller)
   */
  public String toJson(GenericCommand command) {
    ProtobufCodec.requireInitialized(command);
    StringWriter out = new StringWriter();
    try (JsonGenerator generator = MAPPER.createGenerator(out)) {
      writeCommand(generator, command);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The same flat form as {@link #toJson}, as a tree (e.g. to embed commands in a REST body). */
  public JsonNode toTree(GenericCommand command) {
    try {
      return MAPPER.readTree(toJson(command));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot re-read our own JSON", e);
    }
  }

  private static void writeCommand(JsonGenerator out, GenericCommand command) throws IOException {
    out.writeStartObject();
    FieldDescriptor flat = command.hasCmd() ? subMessageField(command.getCmd()) : null;
    List<FieldDescriptor> nested = new ArrayList<>();
    for (FieldDescriptor field : byNumber(GENERIC)) {
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (field != flat && command.hasField(field)) {
          nested.add(field);
        }
      } else if (command.hasField(field)) {
        out.writeFieldName(field.getName());
        writeValue(out, field, command.getField(field));
      }
    }
    if (flat != null && command.hasField(flat)) {
      writeFields(out, (Message) command.getField(flat));
    }
    for (FieldDescriptor field : nested) {
      out.writeFieldName(field.getName());
      writeValue(out, field, command.getField(field));
    }
    out.writeEndObject();
  }

  private static void writeFields(JsonGenerator out, Message message) throws IOException {
    for (FieldDescriptor field : byNumber(message.getDescriptorForType())) {
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        if (count > 0) {
          out.writeFieldName(field.getName());
          out.writeStartArray();
          for (int index = 0; index < count; index++) {
            writeValue(out, field, message.getRepeatedField(field, index));
          }
          out.writeEndArray();
        }
      } else if (message.hasField(field)) {
        out.writeFieldName(field.getName());
        writeValue(out, field, message.getField(field));
      }
    }
  }

  private static void writeValue(JsonGenerator out, FieldDescriptor field, Object value)
      throws IOException {
    switch (field.getType()) {
      case INT32, SINT32, SFIXED32 -> out.writeNumber((Integer) value);
      case UINT32, FIXED32 -> out.writeNumber(Integer.toUnsignedLong((Integer) value));
      case INT64, SINT64, SFIXED64 -> out.writeNumber((Long) value);
      case UINT64, FIXED64 -> out.writeNumber(new BigInteger(Long.toUnsignedString((Long) value)));
      case FLOAT -> out.writeNumber((Float) value);
      case DOUBLE -> out.writeNumber((Double) value);
      case BOOL -> out.writeBoolean((Boolean) value);
      case STRING -> out.writeString((String) value);
      case BYTES ->
          out.writeString(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
      case ENUM -> {
        EnumValueDescriptor enumValue = (EnumValueDescriptor) value;
        String name = enumValue.getName();
        out.writeString(enumValue.getType() == OP_TYPE ? name.replace('_', '-') : name);
      }
      case MESSAGE, GROUP -> {
        Message message = (Message) value;
        if (message.getDescriptorForType() == JSON_OBJECT) {
          writeJsonData(out, ((JsonObjectMessage) message).getData());
        } else {
          out.writeStartObject();
          writeFields(out, message);
          out.writeEndObject();
        }
      }
    }
  }

  /**
   * A JSON object/array text is written as that value; anything else (not an object/array), or a
   * value nested so deep that the frame would exceed the writer's nesting limit, as a string.
   */
  private static void writeJsonData(JsonGenerator out, String data) throws IOException {
    JsonNode tree = null;
    try {
      tree = MAPPER.readTree(data);
    } catch (JsonProcessingException | RuntimeException | StackOverflowError e) {
      // not JSON (or beyond our parser limits): keep it as a string
    }
    if (tree != null
        && tree.isContainerNode()
        && out.getOutputContext().getNestingDepth() + depth(tree)
            <= out.streamWriteConstraints().getMaxNestingDepth()) {
      out.writeTree(tree);
    } else {
      out.writeString(data);
    }
  }

  /**
   * Nesting depth of a container (1 for {@code []}); recursion is bounded by the reader's nesting
   * limit.
   */
  private static int depth(JsonNode node) {
    int deepest = 0;
    for (JsonNode child : node) {
      if (child.isContainerNode()) {
        deepest = Math.max(deepest, depth(child));
      }
    }
    return deepest + 1;
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static final Map<CommandType, FieldDescriptor> SUB_MESSAGES = new LinkedHashMap<>();

  static {
    for (CommandType type : CommandType.values()) {
      FieldDescriptor field = GENERIC.findFieldByName(type.name() + "Message");
      if (field != null && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        SUB_MESSAGES.put(type, field);
      }
    }
  }

  /**
   * The {@code GenericCommand} field whose fields are flattened for {@code cmd} ({@code
   * <cmd>Message}), or null for commands without one ({@code echo}, {@code goaway}, {@code logout},
   * {@code loggedout}).
   */
  static FieldDescriptor subMessageField(CommandType cmd) {
    return cmd == null ? null : SUB_MESSAGES.get(cmd);
  }

  private static final Map<Descriptor, List<FieldDescriptor>> BY_NUMBER =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static List<FieldDescriptor> byNumber(Descriptor type) {
    return BY_NUMBER.computeIfAbsent(
        type,
        t ->
            t.getFields().stream()
                .sorted(Comparator.comparingInt(FieldDescriptor::getNumber))
                .toList());
  }

  private static ProtocolException bad(String detail) {
    return new ProtocolException(ErrorCode.UNPARSEABLE_RAW_MESSAGE, detail);
  }

  private static ProtocolException bad(String path, String detail) {
    return bad("field '" + path + "': " + detail);
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String quote(JsonNode node) {
    String text = node.toString();
    return text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "…";
  }
}
