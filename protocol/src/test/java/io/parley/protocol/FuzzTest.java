package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.parley.protocol.wire.GenericCommand;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Codecs must never throw anything but {@link ProtocolException} on input, and whatever they accept
 * must encode again. Deterministic seeds keep failures reproducible.
 */
class FuzzTest {

  private static final long SEED = 0x5EED_1234L;
  private static final String JSON_CHARS = "{}[]\",:0123456789-eE.tfn \\x";

  /** Decodes; on success re-encodes with every codec (a decoded command is always complete). */
  private static void survive(CommandCodec codec, Frame frame) {
    GenericCommand command;
    try {
      command = codec.decode(frame);
    } catch (ProtocolException e) {
      assertEquals(ErrorCode.UNPARSEABLE_RAW_MESSAGE, e.code());
      return;
    } catch (Throwable t) {
      fail("decode threw " + t + " on " + describe(frame), t);
      return;
    }
    try {
      Codecs.protobuf().encode(command);
      Codecs.base64().encode(command);
      Codecs.json().encode(command);
    } catch (Throwable t) {
      fail("encode threw " + t + " after decoding " + describe(frame), t);
    }
  }

  private static String describe(Frame frame) {
    if (frame instanceof Frame.Binary binary) {
      return "binary " + Arrays.toString(binary.bytes());
    }
    String text = ((Frame.Text) frame).text();
    return "text " + (text.length() > 200 ? text.substring(0, 200) + "…" : text);
  }

  private static List<CommandCodec> allCodecs() {
    List<CommandCodec> codecs = new ArrayList<>();
    for (Subprotocol protocol : Subprotocol.values()) {
      codecs.add(Codecs.forSubprotocol(protocol));
    }
    return codecs;
  }

  @Test
  void random_bytes_and_text() {
    Random random = new Random(SEED);
    for (int round = 0; round < 1000; round++) {
      byte[] bytes = new byte[random.nextInt(64)];
      random.nextBytes(bytes);
      Frame binary = new Frame.Binary(bytes);
      Frame text = new Frame.Text(new String(bytes, StandardCharsets.ISO_8859_1));
      Frame base64 = new Frame.Text(Base64.getEncoder().encodeToString(bytes));
      for (CommandCodec codec : allCodecs()) {
        survive(codec, binary);
        survive(codec, text);
        survive(codec, base64);
      }
    }
  }

  @Test
  void every_truncation_and_bit_flip_of_every_sample() {
    Random random = new Random(SEED);
    for (GenericCommand sample : Samples.all().values()) {
      byte[] bytes = sample.toByteArray();
      String json = Codecs.json().toJson(sample);
      for (int length = 0; length < bytes.length; length++) {
        byte[] prefix = Arrays.copyOf(bytes, length);
        survive(Codecs.protobuf(), new Frame.Binary(prefix));
        survive(Codecs.base64(), new Frame.Text(Base64.getEncoder().encodeToString(prefix)));
      }
      for (int length = 0; length < json.length(); length += 3) {
        survive(Codecs.json(), new Frame.Text(json.substring(0, length)));
      }
      for (int round = 0; round < 60; round++) {
        byte[] flipped = bytes.clone();
        if (flipped.length > 0) {
          flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
        }
        survive(Codecs.protobuf(), new Frame.Binary(flipped));
        char[] chars = json.toCharArray();
        chars[random.nextInt(chars.length)] =
            JSON_CHARS.charAt(random.nextInt(JSON_CHARS.length()));
        survive(Codecs.json(), new Frame.Text(new String(chars)));
      }
    }
  }

  @Test
  void json_values_of_every_kind_in_every_field_position() {
    String[] values = {
      "null",
      "true",
      "false",
      "0",
      "1",
      "-1",
      "2",
      "1.5",
      "1e3",
      "1e400",
      "-1e-400",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
      "\"\"",
      "\"x\"",
      "\"AAEC\"",
      "\"members-joined\"",
      "{}",
      "{\"a\":1}",
      "[]",
      "[1]",
      "[null]",
      "[{}]",
      "[\"a\"]",
      "[[]]",
      "\"NEW\""
    };
    String[] keys = {
      "i",
      "op",
      "appId",
      "priority",
      "level",
      "serverTs",
      "r",
      "t",
      "ua",
      "m",
      "attr",
      "where",
      "convs",
      "logs",
      "patches",
      "meintonPids",
      "failedPids",
      "maxReadTuples",
      "info",
      "direction",
      "binaryMsg",
      "systemInfo",
      "msg",
      "sessionMessage",
      "convMessage",
      "unread",
      "cid",
      "code",
      "reason",
      "offline",
      "mentionPids",
      "ids"
    };
    String[] cmds = {
      "session", "conv", "direct", "unread", "logs", "patch", "error", "login", "echo"
    };
    for (String cmd : cmds) {
      for (String key : keys) {
        for (String value : values) {
          survive(
              Codecs.json(),
              new Frame.Text("{\"cmd\":\"" + cmd + "\",\"" + key + "\":" + value + "}"));
          survive(
              Codecs.json(),
              new Frame.Text(
                  "{\"cmd\":\"" + cmd + "\",\"" + key + "\":[{\"" + key + "\":" + value + "}]}"));
        }
      }
    }
  }

  @Test
  void deep_nesting_and_large_frames() {
    for (int depth : new int[] {10, 999, 1001, 20000}) {
      String deepArray = "[".repeat(depth) + "]".repeat(depth);
      String deepObject = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
      survive(Codecs.json(), new Frame.Text("{\"cmd\":\"conv\",\"attr\":" + deepArray + "}"));
      survive(Codecs.json(), new Frame.Text("{\"cmd\":\"conv\",\"attr\":" + deepObject + "}"));
      survive(Codecs.json(), new Frame.Text(deepObject));
      survive(Codecs.json(), new Frame.Text("{\"cmd\":\"conv\",\"attr\":\"" + deepArray + "\"}"));
    }
    // deeply nested protobuf groups / messages
    byte[] nested = new byte[20000];
    Arrays.fill(nested, (byte) 0x0b); // start-group of field 1, again and again
    survive(Codecs.protobuf(), new Frame.Binary(nested));
    byte[] lengths = new byte[4000];
    for (int i = 0; i < lengths.length; i += 2) {
      lengths[i] = (byte) 0xb2; // field 102 ...
      lengths[i + 1] = 0x06;
    }
    survive(Codecs.protobuf(), new Frame.Binary(lengths));
    // a big but valid frame
    String big = "x".repeat(1 << 20);
    survive(Codecs.json(), new Frame.Text("{\"cmd\":\"direct\",\"msg\":\"" + big + "\"}"));
  }

  @Test
  void attr_too_deep_for_our_parser_is_still_encoded_as_a_string() throws Exception {
    String deep = "[".repeat(3000) + "]".repeat(3000);
    GenericCommand command =
        Codecs.protobuf()
            .decode(
                Codecs.protobuf()
                    .encode(
                        GenericCommand.newBuilder()
                            .setCmd(io.parley.protocol.wire.CommandType.conv)
                            .setConvMessage(
                                io.parley.protocol.wire.ConvCommand.newBuilder()
                                    .setAttr(
                                        io.parley.protocol.wire.JsonObjectMessage.newBuilder()
                                            .setData(deep)))
                            .build()));
    String json = Codecs.json().toJson(command);
    assertEquals(command, Codecs.json().fromJson(json));
  }
}
