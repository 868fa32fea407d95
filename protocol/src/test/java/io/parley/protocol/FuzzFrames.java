package io.parley.protocol;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.parley.protocol.wire.GenericCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Frames for the codec fuzz: generated from nothing (random bytes/text, protobuf wire soup, random
 * JSON) and mutated from the golden corpus (frames captured from the SDKs, our generated golden
 * frames, every {@link Samples} command). Generators are jqwik {@link Arbitrary}s; most draw from
 * the {@link Random} jqwik hands them, so the whole run is reproducible from jqwik's printed seed.
 */
final class FuzzFrames {

  private FuzzFrames() {}

  // ------------------------------------------------------------------------------------------------ corpus

  /** Valid protobuf frames: SDK captures, generated golden frames, all samples. */
  static final List<byte[]> PROTOBUF = new ArrayList<>();

  /** Valid base64 frames. */
  static final List<String> BASE64 = new ArrayList<>();

  /** Valid JSON frames (flat, plus the nested descriptions of the SDK captures). */
  static final List<String> JSON = new ArrayList<>();

  /** Every field name, enum value name and input alias of the wire schema, plus a few strangers. */
  static final List<String> KEYS;

  static final List<String> ENUM_NAMES;

  /** Field numbers used by the schema (tags worth hitting). */
  static final int[] FIELD_NUMBERS;

  static {
    try (Stream<Path> files = Files.list(Golden.ROOT)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".bin")) {
          PROTOBUF.add(Files.readAllBytes(file));
        } else if (name.endsWith(".txt")) {
          String text = Files.readString(file, StandardCharsets.UTF_8);
          (name.contains("lc.json") ? JSON : BASE64).add(text);
        } else if (name.endsWith(".json")) {
          JSON.add(Files.readString(file, StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (Stream<Path> files = Files.list(Golden.COMMANDS)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (name.endsWith(".protobuf.hex")) {
          PROTOBUF.add(Golden.unhex(text));
        } else if (name.endsWith(".base64.txt")) {
          BASE64.add(text);
        } else if (name.endsWith(".json")) {
          JSON.add(text);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (GenericCommand sample : Samples.all().values()) {
      PROTOBUF.add(sample.toByteArray());
      BASE64.add(((Frame.Text) Codecs.base64().encode(sample)).text());
      JSON.add(Codecs.json().toJson(sample));
    }
    if (PROTOBUF.size() < 20 || BASE64.size() < 20 || JSON.size() < 20) {
      throw new IllegalStateException(
          "golden corpus not found under " + Golden.ROOT.toAbsolutePath());
    }

    TreeSet<String> keys =
        new TreeSet<>(List.of("cmd", "level", "meintonPids", "", "__proto__", "x", "CMD"));
    TreeSet<String> enums = new TreeSet<>();
    TreeSet<Integer> numbers = new TreeSet<>();
    for (Descriptor type : GenericCommand.getDescriptor().getFile().getMessageTypes()) {
      for (FieldDescriptor field : type.getFields()) {
        keys.add(field.getName());
        numbers.add(field.getNumber());
      }
    }
    for (EnumDescriptor type : GenericCommand.getDescriptor().getFile().getEnumTypes()) {
      for (EnumValueDescriptor value : type.getValues()) {
        enums.add(value.getName());
        enums.add(value.getName().replace('_', '-'));
      }
    }
    KEYS = List.copyOf(keys);
    ENUM_NAMES = List.copyOf(enums);
    FIELD_NUMBERS = numbers.stream().mapToInt(Integer::intValue).toArray();
  }

  // ------------------------------------------------------------------------------------------------ arbitraries

  /**
   * Binary frames from nothing: jqwik byte arrays (with their edge cases) and protobuf wire soup.
   */
  static Arbitrary<Frame> generatedBinary() {
    return Arbitraries.<byte[]>frequencyOf(
            w(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(300)),
            w(5, Arbitraries.<byte[]>randomValue(FuzzFrames::wireSoup)),
            w(4, Arbitraries.<byte[]>randomValue(r -> randomCommand(r).toByteArray())))
        .map(bytes -> (Frame) new Frame.Binary(bytes));
  }

  /** Binary frames mutated from the golden corpus. */
  static Arbitrary<Frame> mutatedBinary() {
    return Arbitraries.randomValue(
        random -> new Frame.Binary(mutateBytes(random, pick(random, PROTOBUF))));
  }

  /** Text frames for base64 from nothing: base64 of wire soup, base64-ish text, any text. */
  static Arbitrary<Frame> generatedBase64() {
    return Arbitraries.<String>frequencyOf(
            w(
                4,
                Arbitraries.<String>randomValue(
                    r -> Base64.getEncoder().encodeToString(wireSoup(r)))),
            w(
                3,
                Arbitraries.<String>randomValue(
                    r -> Base64.getEncoder().encodeToString(randomCommand(r).toByteArray()))),
            w(2, Arbitraries.<String>randomValue(FuzzFrames::base64ish)),
            w(1, Arbitraries.strings().ofMaxLength(200)),
            w(1, Arbitraries.<String>randomValue(FuzzFrames::randomText)))
        .map(text -> (Frame) new Frame.Text(text));
  }

  /**
   * Base64 frames mutated: the decoded bytes mutated and re-encoded, or the text itself mutated.
   */
  static Arbitrary<Frame> mutatedBase64() {
    return Arbitraries.randomValue(
        random -> {
          String text = pick(random, BASE64);
          if (random.nextInt(3) > 0) {
            byte[] bytes = Base64.getDecoder().decode(text.strip());
            text = Base64.getEncoder().encodeToString(mutateBytes(random, bytes));
            if (random.nextInt(4) == 0) {
              text = text.replace("=", "");
            }
            return new Frame.Text(text);
          }
          return new Frame.Text(mutateText(random, text, pick(random, BASE64)));
        });
  }

  /**
   * JSON frames from nothing: random JSON objects over the schema's keys, deep nesting, any text.
   */
  static Arbitrary<Frame> generatedJson() {
    return Arbitraries.<String>frequencyOf(
            w(8, Arbitraries.<String>randomValue(r -> jsonObject(r, 0))),
            w(5, Arbitraries.<String>randomValue(FuzzFrames::randomCommandJson)),
            w(1, Arbitraries.<String>randomValue(FuzzFrames::deepJson)),
            w(1, Arbitraries.strings().ofMaxLength(100)),
            w(1, Arbitraries.<String>randomValue(FuzzFrames::randomText)))
        .map(text -> (Frame) new Frame.Text(text));
  }

  /**
   * JSON frames mutated from the corpus: token swaps, replacements, duplicates, char edits,
   * splices.
   */
  static Arbitrary<Frame> mutatedJson() {
    return Arbitraries.randomValue(
        random -> new Frame.Text(mutateJson(random, pick(random, JSON))));
  }

  /** Any frame of any kind, for the legacy (detecting) codec. */
  static Arbitrary<Frame> generatedAny() {
    return Arbitraries.oneOf(generatedBinary(), generatedBase64(), generatedJson(), odd());
  }

  /**
   * Frames no transport should hand over, and frames of the wrong kind for a codec (one try in
   * twenty).
   */
  static Arbitrary<Frame> odd() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            new Frame.Binary(null),
            new Frame.Text(null),
            new Frame.Text(""),
            new Frame.Binary(new byte[0])),
        Arbitraries.randomValue(r -> new Frame.Text(randomCommandJson(r))),
        Arbitraries.randomValue(r -> new Frame.Binary(randomCommand(r).toByteArray())));
  }

  /** Mostly {@code frames}, sometimes an odd frame. */
  static Arbitrary<Frame> withOdd(Arbitrary<Frame> frames) {
    return Arbitraries.frequencyOf(w(19, frames), w(1, odd()));
  }

  static Arbitrary<Frame> mutatedAny() {
    return Arbitraries.oneOf(mutatedBinary(), mutatedBase64(), mutatedJson());
  }

  // ------------------------------------------------------------------------------------------------ commands

  /**
   * A command built through the schema's descriptors with hostile values: extreme numbers, odd
   * text, JSON text fields ({@code attr}, {@code msg}, ...) nested right around the JSON reader's
   * and writer's depth limits. Usually complete; sometimes a proto2 required field is missing.
   */
  static GenericCommand randomCommand(Random random) {
    GenericCommand.Builder builder = GenericCommand.newBuilder();
    boolean complete = random.nextInt(10) > 0;
    fill(random, builder, 0, complete);
    if (random.nextInt(3) > 0) {
      io.parley.protocol.wire.CommandType[] types = io.parley.protocol.wire.CommandType.values();
      io.parley.protocol.wire.CommandType type = types[random.nextInt(types.length)];
      builder.setCmd(type);
      FieldDescriptor sub = JsonCodec.subMessageField(type);
      if (sub != null && random.nextInt(4) > 0) {
        com.google.protobuf.Message.Builder subBuilder = builder.newBuilderForField(sub);
        fill(random, subBuilder, 1, complete);
        builder.setField(sub, subBuilder.buildPartial());
      }
    }
    return builder.buildPartial();
  }

  /** The flat JSON of a complete random command, or a random JSON object. */
  static String randomCommandJson(Random random) {
    GenericCommand command = randomCommand(random);
    return command.isInitialized() ? Codecs.json().toJson(command) : jsonObject(random, 0);
  }

  private static void fill(
      Random random, com.google.protobuf.Message.Builder builder, int depth, boolean complete) {
    for (FieldDescriptor field : builder.getDescriptorForType().getFields()) {
      boolean isMessage = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
      int odds = depth == 0 && isMessage ? 10 : 3;
      if (!(field.isRequired() && complete) && random.nextInt(odds) != 0) {
        continue;
      }
      if (isMessage
          && depth > 3
          && field.getMessageType() != io.parley.protocol.wire.JsonObjectMessage.getDescriptor()) {
        continue;
      }
      int count = field.isRepeated() ? random.nextInt(4) : 1;
      for (int i = 0; i < count; i++) {
        Object value = fieldValue(random, builder, field, depth, complete);
        if (field.isRepeated()) {
          builder.addRepeatedField(field, value);
        } else {
          builder.setField(field, value);
        }
      }
    }
  }

  private static Object fieldValue(
      Random random,
      com.google.protobuf.Message.Builder parent,
      FieldDescriptor field,
      int depth,
      boolean complete) {
    return switch (field.getJavaType()) {
      case INT ->
          new int[] {
                0,
                1,
                -1,
                Integer.MIN_VALUE,
                Integer.MAX_VALUE,
                random.nextInt(),
                random.nextInt(100)
              }
              [random.nextInt(7)];
      case LONG -> hostileLong(random);
      case BOOLEAN -> random.nextBoolean();
      case FLOAT ->
          new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MAX_VALUE, random.nextFloat()}
              [random.nextInt(5)];
      case DOUBLE ->
          new double[] {
                Double.NaN, Double.NEGATIVE_INFINITY, -0d, Double.MIN_VALUE, random.nextDouble()
              }
              [random.nextInt(5)];
      // a protobuf peer's strings are UTF-8 (bad bytes arrive as U+FFFD): no unpaired surrogates
      // here
      case STRING ->
          random.nextInt(3) == 0
              ? pick(random, ENUM_NAMES)
              : JsonCodec.wellFormed(randomText(random));
      case BYTE_STRING ->
          com.google.protobuf.ByteString.copyFrom(randomBytes(random, random.nextInt(20)));
      case ENUM -> {
        List<EnumValueDescriptor> values = field.getEnumType().getValues();
        yield values.get(random.nextInt(values.size()));
      }
      case MESSAGE -> {
        if (field.getMessageType() == io.parley.protocol.wire.JsonObjectMessage.getDescriptor()) {
          yield io.parley.protocol.wire.JsonObjectMessage.newBuilder()
              .setData(JsonCodec.wellFormed(jsonText(random)))
              .build();
        }
        com.google.protobuf.Message.Builder sub = parent.newBuilderForField(field);
        fill(random, sub, depth + 1, complete);
        yield sub.buildPartial();
      }
    };
  }

  /**
   * Text of a JSON-object field: JSON of any shape, nested near the depth limits, or not JSON at
   * all.
   */
  static String jsonText(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> {
        int depth = 995 + random.nextInt(8);
        boolean objects = random.nextBoolean();
        yield objects
            ? "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1)
            : "[".repeat(depth) + "]".repeat(depth);
      }
      case 1 -> randomText(random);
      case 2 -> jsonValue(random, 0);
      case 3 -> " " + jsonObject(random, 1) + "\n";
      default -> jsonObject(random, 1);
    };
  }

  // ------------------------------------------------------------------------------------------------ protobuf

  /**
   * A sequence of protobuf fields with plausible tags and hostile payloads, sometimes deeply
   * nested.
   */
  static byte[] wireSoup(Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (random.nextInt(20) == 0) {
      // deep nesting: length-delimited in length-delimited, or groups in groups
      int depth = 1 + random.nextInt(random.nextBoolean() ? 120 : 3000);
      byte[] inner = new byte[0];
      boolean groups = random.nextBoolean();
      for (int level = 0; level < depth; level++) {
        int field = random.nextBoolean() ? pickNumber(random) : 1;
        ByteArrayOutputStream wrap = new ByteArrayOutputStream();
        if (groups) {
          varint(wrap, (long) field << 3 | 3);
          wrap.writeBytes(inner);
          varint(wrap, (long) field << 3 | 4);
        } else {
          varint(wrap, (long) field << 3 | 2);
          varint(wrap, inner.length);
          wrap.writeBytes(inner);
        }
        inner = wrap.toByteArray();
      }
      return inner;
    }
    soup(random, out, 0);
    return out.toByteArray();
  }

  private static void soup(Random random, ByteArrayOutputStream out, int depth) {
    int fields = random.nextInt(depth == 0 ? 12 : 5) + (depth == 0 ? 1 : 0);
    for (int f = 0; f < fields; f++) {
      int number = random.nextInt(10) == 0 ? random.nextInt(1 << 29) : pickNumber(random);
      int wireType =
          random.nextInt(10) == 0
              ? random.nextInt(8)
              : new int[] {0, 0, 2, 2, 2, 1, 5, 3}[random.nextInt(8)];
      varint(out, (long) number << 3 | wireType);
      switch (wireType) {
        case 0 -> varint(out, hostileLong(random));
        case 1 ->
            out.writeBytes(randomBytes(random, random.nextInt(10) == 0 ? random.nextInt(8) : 8));
        case 5 ->
            out.writeBytes(randomBytes(random, random.nextInt(10) == 0 ? random.nextInt(4) : 4));
        case 2 -> {
          byte[] payload;
          int kind = random.nextInt(4);
          if (kind == 0 && depth < 6) {
            ByteArrayOutputStream nested = new ByteArrayOutputStream();
            soup(random, nested, depth + 1);
            payload = nested.toByteArray();
          } else if (kind == 1) {
            payload =
                ("{\"a\":" + random.nextInt() + "}")
                    .getBytes(StandardCharsets.UTF_8); // JSON text fields
          } else if (kind == 2) {
            payload = randomBytes(random, random.nextInt(40)); // invalid UTF-8 in strings
          } else {
            payload = pick(random, ENUM_NAMES).getBytes(StandardCharsets.UTF_8);
          }
          int choice = random.nextInt(12);
          if (choice == 0) {
            varint(out, payload.length + 1 + random.nextInt(1000)); // length beyond the end
          } else if (choice == 1) {
            varint(out, hostileLong(random)); // huge or negative length
          } else {
            varint(out, payload.length);
          }
          out.writeBytes(payload);
        }
        case 3 -> {
          if (depth < 6) {
            soup(random, out, depth + 1);
          }
          if (random.nextInt(5) > 0) {
            varint(out, (long) number << 3 | 4);
          }
        }
        default -> out.writeBytes(randomBytes(random, random.nextInt(4))); // 4, 6, 7: invalid here
      }
    }
    if (random.nextInt(30) == 0) {
      out.writeBytes(randomBytes(random, random.nextInt(16))); // trailing junk
    }
  }

  private static int pickNumber(Random random) {
    return FIELD_NUMBERS[random.nextInt(FIELD_NUMBERS.length)];
  }

  private static long hostileLong(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> -1L;
      case 1 -> Long.MAX_VALUE;
      case 2 -> Long.MIN_VALUE;
      case 3 -> Integer.MAX_VALUE + 1L;
      case 4 -> 0xFFFF_FFFFL;
      case 5 -> random.nextLong();
      default -> random.nextInt(300);
    };
  }

  static void varint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  // ------------------------------------------------------------------------------------------------ mutation

  /**
   * One to four byte-level mutations: flips, inserts, deletes, truncation, splices, overlong
   * varints.
   */
  static byte[] mutateBytes(Random random, byte[] original) {
    byte[] bytes = original.clone();
    int rounds = random.nextBoolean() ? 1 : 1 + random.nextInt(4);
    for (int round = 0; round < rounds; round++) {
      int length = bytes.length;
      int at = length == 0 ? 0 : random.nextInt(length + 1);
      switch (random.nextInt(9)) {
        case 0, 1 -> { // bit flips
          if (length > 0) {
            int flips = 1 + random.nextInt(8);
            for (int i = 0; i < flips; i++) {
              bytes[random.nextInt(length)] ^= (byte) (1 << random.nextInt(8));
            }
          }
        }
        case 2 ->
            bytes = splice(bytes, at, at, randomBytes(random, 1 + random.nextInt(4))); // insert
        case 3 ->
            bytes =
                splice(
                    bytes, at, Math.min(length, at + 1 + random.nextInt(8)), new byte[0]); // delete
        case 4 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(length + 1)); // truncate
        case 5 -> { // splice two frames: a prefix of this one and a suffix of another
          byte[] other = pick(random, PROTOBUF);
          int from = random.nextInt(other.length + 1);
          bytes =
              splice(bytes, at, length, java.util.Arrays.copyOfRange(other, from, other.length));
        }
        case 6 -> { // an interesting byte: length or tag boundary
          if (length > 0) {
            bytes[random.nextInt(length)] =
                new byte[] {0, -1, 0x7f, -128, 0x0b, 0x0c, 0x12, 0x7a}[random.nextInt(8)];
          }
        }
        case 7 -> { // a huge or overlong varint
          ByteArrayOutputStream varint = new ByteArrayOutputStream();
          varint(varint, hostileLong(random));
          byte[] v = varint.toByteArray();
          if (random.nextBoolean()) {
            v = splice(v, 0, 0, new byte[] {-1, -1});
            v[v.length - 1] |= (byte) 0x80;
            v = splice(v, v.length, v.length, new byte[] {-1, -1, 1});
          }
          bytes = splice(bytes, at, Math.min(length, at + random.nextInt(3)), v);
        }
        default -> { // duplicate a range
          int end = Math.min(length, at + random.nextInt(20));
          bytes = splice(bytes, end, end, java.util.Arrays.copyOfRange(bytes, at, end));
        }
      }
    }
    return bytes;
  }

  /** Character-level mutation of any text. */
  static String mutateText(Random random, String text, String other) {
    StringBuilder out = new StringBuilder(text);
    int rounds = 1 + random.nextInt(3);
    for (int round = 0; round < rounds; round++) {
      int length = out.length();
      int at = length == 0 ? 0 : random.nextInt(length + 1);
      switch (random.nextInt(7)) {
        case 0 -> out.insert(at, strangeChar(random));
        case 1 -> out.delete(at, Math.min(length, at + 1 + random.nextInt(6)));
        case 2 -> out.setLength(random.nextInt(length + 1));
        case 3 -> {
          if (length > 0) {
            out.setCharAt(Math.min(at, length - 1), strangeChar(random).charAt(0));
          }
        }
        case 4 -> out.replace(at, length, other.substring(random.nextInt(other.length() + 1)));
        case 5 ->
            out.insert(
                random.nextBoolean() ? 0 : out.length(),
                new String[] {" ", "\n", "\t", "\u00a0", "\u2028", "\ufeff", "\u0000"}
                    [random.nextInt(7)]);
        default -> out.insert(at, "=");
      }
    }
    return out.toString();
  }

  /**
   * JSON mutation: token swaps and replacements, duplicated pairs, deep nesting, then maybe char
   * edits.
   */
  static String mutateJson(Random random, String json) {
    List<String> tokens = tokenize(json);
    int rounds = random.nextBoolean() ? 1 : 1 + random.nextInt(3);
    for (int round = 0; round < rounds && !tokens.isEmpty(); round++) {
      int at = random.nextInt(tokens.size());
      switch (random.nextInt(8)) {
        case 0 ->
            java.util.Collections.swap(tokens, at, random.nextInt(tokens.size())); // token swap
        case 1 -> tokens.set(at, jsonValue(random, 2)); // a value of another type in its place
        case 2 -> tokens.remove(at);
        case 3 ->
            tokens.add(
                at,
                pick(
                    random,
                    List.of(
                        "{",
                        "}",
                        "[",
                        "]",
                        ",",
                        ":",
                        "\"",
                        "null",
                        "-",
                        "1e999999999",
                        "NaN",
                        "Infinity",
                        "//",
                        "'a'")));
        case 4 -> { // duplicate key: insert an extra "key":value pair after the first brace
          int brace = tokens.indexOf("{");
          if (brace >= 0) {
            tokens.add(brace + 1, quoted(pick(random, KEYS)) + ":" + jsonValue(random, 2) + ",");
          }
        }
        case 5 -> { // copy a token elsewhere (often a key twice)
          tokens.add(random.nextInt(tokens.size() + 1), tokens.get(at));
        }
        case 6 -> { // deep nesting in place of a value
          int depth = 1 + random.nextInt(2000);
          tokens.set(
              at, "[".repeat(depth) + "]".repeat(random.nextInt(10) == 0 ? depth - 1 : depth));
        }
        default -> tokens.set(at, hugeNumber(random));
      }
    }
    String result = String.join("", tokens);
    return random.nextInt(4) == 0 ? mutateText(random, result, pick(random, JSON)) : result;
  }

  /**
   * Splits JSON text into strings, numbers/literals, punctuation and whitespace. Tolerates garbage.
   */
  static List<String> tokenize(String json) {
    List<String> tokens = new ArrayList<>();
    int i = 0;
    while (i < json.length()) {
      char c = json.charAt(i);
      int start = i;
      if (c == '"') {
        i++;
        while (i < json.length() && json.charAt(i) != '"') {
          i += json.charAt(i) == '\\' ? 2 : 1;
        }
        i = Math.min(json.length(), i + 1);
      } else if ("{}[],:".indexOf(c) >= 0 || Character.isWhitespace(c)) {
        i++;
      } else {
        while (i < json.length() && "{}[],:\" \n\t\r".indexOf(json.charAt(i)) < 0) {
          i++;
        }
      }
      tokens.add(json.substring(start, i));
    }
    return tokens;
  }

  // ------------------------------------------------------------------------------------------------ JSON

  static String jsonObject(Random random, int depth) {
    StringBuilder out = new StringBuilder("{");
    int keys = random.nextInt(depth == 0 ? 10 : 4);
    if (depth == 0 && random.nextInt(4) > 0) {
      out.append("\"cmd\":")
          .append(random.nextInt(6) == 0 ? jsonValue(random, 2) : quoted(pick(random, ENUM_NAMES)));
      if (keys > 0) {
        out.append(',');
      }
    }
    for (int k = 0; k < keys; k++) {
      if (k > 0) {
        out.append(',');
      }
      String key = random.nextInt(12) == 0 ? randomText(random) : pick(random, KEYS);
      out.append(quoted(key)).append(':').append(jsonValue(random, depth + 1));
    }
    return out.append('}').toString();
  }

  static String jsonValue(Random random, int depth) {
    int choice = random.nextInt(depth > 3 ? 9 : 12);
    return switch (choice) {
      case 0 -> "null";
      case 1 -> random.nextBoolean() ? "true" : "false";
      case 2 -> Integer.toString(random.nextInt(5) - 2);
      case 3 -> hugeNumber(random);
      case 4 -> quoted(pick(random, ENUM_NAMES));
      case 5 -> quoted(randomText(random));
      case 6 -> quoted(Base64.getEncoder().encodeToString(randomBytes(random, random.nextInt(12))));
      case 7 -> Long.toString(random.nextLong());
      case 8 -> quoted(random.nextBoolean() ? "{\"a\":[1,2]}" : "[" + random.nextInt() + "]");
      case 9, 10 -> jsonObject(random, depth + 1);
      default -> {
        StringBuilder array = new StringBuilder("[");
        int size = random.nextInt(4);
        for (int i = 0; i < size; i++) {
          array.append(i > 0 ? "," : "").append(jsonValue(random, depth + 1));
        }
        yield array.append(']').toString();
      }
    };
  }

  static String hugeNumber(Random random) {
    return pick(
        random,
        List.of(
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "4294967295",
            "4294967296",
            "-2147483649",
            "1e400",
            "-1e400",
            "1e-400",
            "1e999999999",
            "1E-999999999",
            "123456789e-9",
            "0.0",
            "-0",
            "-0.0",
            "1.5",
            "2.0000000000000000000001",
            "1" + "0".repeat(999),
            "1" + "0".repeat(1200),
            "1e2147483647",
            "1e-2147483648",
            "0e99999",
            "4.9e-324",
            "1.7976931348623157e309",
            "NaN",
            "-Infinity",
            "+1",
            "01",
            ".5",
            "1.",
            "0x10"));
  }

  static String deepJson(Random random) {
    int depth = 1 + random.nextInt(random.nextBoolean() ? 1100 : 20000);
    String key = quoted(pick(random, KEYS));
    return switch (random.nextInt(4)) {
      case 0 -> "{\"cmd\":\"conv\",\"attr\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
      case 1 -> ("{" + key + ":").repeat(depth) + "1" + "}".repeat(depth);
      case 2 ->
          "{\"cmd\":\"direct\",\"msg\":" + "{\"a\":".repeat(depth) + "{}" + "}".repeat(depth) + "}";
      default -> "[".repeat(depth);
    };
  }

  // ------------------------------------------------------------------------------------------------ text

  /**
   * Random text: invalid UTF-8 as a transport would decode it, lone surrogates, controls, any code
   * point.
   */
  static String randomText(Random random) {
    return switch (random.nextInt(4)) {
      case 0 ->
          new String(
              randomBytes(random, random.nextInt(40)),
              StandardCharsets.UTF_8); // U+FFFD for bad bytes
      case 1 -> new String(randomBytes(random, random.nextInt(40)), StandardCharsets.ISO_8859_1);
      case 2 -> {
        StringBuilder out = new StringBuilder();
        int length = random.nextInt(20);
        for (int i = 0; i < length; i++) {
          out.append(strangeChar(random));
        }
        yield out.toString();
      }
      default -> {
        StringBuilder out = new StringBuilder();
        int length = random.nextInt(20);
        for (int i = 0; i < length; i++) {
          int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
          out.appendCodePoint(codePoint);
        }
        yield out.toString();
      }
    };
  }

  static String base64ish(Random random) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n";
    StringBuilder out = new StringBuilder();
    int length = random.nextInt(120);
    for (int i = 0; i < length; i++) {
      out.append(
          random.nextInt(40) == 0
              ? strangeChar(random)
              : String.valueOf(alphabet.charAt(random.nextInt(alphabet.length()))));
    }
    return out.toString();
  }

  private static String strangeChar(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> String.valueOf((char) (0xD800 + random.nextInt(0x800))); // lone surrogate
      case 1 -> String.valueOf((char) random.nextInt(0x20));
      case 2 -> "\uFFFD";
      case 3 -> "\\";
      case 4 -> "\"";
      case 5 -> "\\u" + String.format("%04x", random.nextInt(0x10000));
      case 6 -> new String(Character.toChars(0x10000 + random.nextInt(0x100000)));
      default -> String.valueOf((char) random.nextInt(0x10000));
    };
  }

  private static String quoted(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static <T> Tuple2<Integer, Arbitrary<? extends T>> w(
      int weight, Arbitrary<? extends T> arbitrary) {
    return Tuple.of(weight, arbitrary);
  }

  static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  static <T> T pick(Random random, List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  private static byte[] splice(byte[] bytes, int from, int to, byte[] insert) {
    byte[] out = new byte[from + insert.length + bytes.length - to];
    System.arraycopy(bytes, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(bytes, to, out, from + insert.length, bytes.length - to);
    return out;
  }
}
