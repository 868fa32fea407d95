package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.UnreadCommand;
import io.parley.protocol.wire.UnreadTuple;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every undecodable frame yields {@link ErrorCode#UNPARSEABLE_RAW_MESSAGE} (the server closes with
 * 4114).
 */
class MalformedInputTest {

  private static ProtocolException rejects(CommandCodec codec, Frame frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> codec.decode(frame));
    assertEquals(ErrorCode.UNPARSEABLE_RAW_MESSAGE, e.code());
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "has a detail");
    return e;
  }

  // ------------------------------------------------------------------------------------ protobuf

  static Stream<Arguments> badProtobuf() {
    byte[] sessionOpen = Samples.sessionOpenJs().toByteArray();
    GenericCommand noReason =
        GenericCommand.newBuilder()
            .setCmd(CommandType.error)
            .setErrorMessage(ErrorCommand.newBuilder().setCode(4100).buildPartial())
            .buildPartial();
    GenericCommand noUnread =
        GenericCommand.newBuilder()
            .setCmd(CommandType.unread)
            .setUnreadMessage(
                UnreadCommand.newBuilder()
                    .addConvs(UnreadTuple.newBuilder().setCid("c").buildPartial())
                    .buildPartial())
            .buildPartial();
    return Stream.of(
        Arguments.of(
            "garbage",
            new Frame.Binary(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02})),
        Arguments.of(
            "truncated", new Frame.Binary(Arrays.copyOf(sessionOpen, sessionOpen.length - 5))),
        Arguments.of("length beyond end", new Frame.Binary(new byte[] {0x1a, 0x7f, 'a'})),
        Arguments.of("end-group tag", new Frame.Binary(new byte[] {0x0c})),
        Arguments.of("field number 0", new Frame.Binary(new byte[] {0x00, 0x01})),
        Arguments.of(
            "overlong varint",
            new Frame.Binary(new byte[] {0x28, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x01})),
        Arguments.of("missing ErrorCommand.reason", new Frame.Binary(noReason.toByteArray())),
        Arguments.of("missing UnreadTuple.unread", new Frame.Binary(noUnread.toByteArray())),
        Arguments.of("text frame on a binary protocol", new Frame.Text("CA4oAg==")),
        Arguments.of("binary without bytes", new Frame.Binary(null)),
        Arguments.of("no frame", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badProtobuf")
  void protobuf_rejects(String what, Frame frame) {
    rejects(Codecs.protobuf(), frame);
  }

  @Test
  void protobuf_reports_the_missing_required_field() {
    GenericCommand noReason =
        GenericCommand.newBuilder()
            .setCmd(CommandType.error)
            .setErrorMessage(ErrorCommand.newBuilder().setCode(4100).buildPartial())
            .buildPartial();
    ProtocolException e = rejects(Codecs.protobuf(), new Frame.Binary(noReason.toByteArray()));
    assertTrue(e.getMessage().contains("reason"), e.getMessage());
  }

  // ------------------------------------------------------------------------------------ base64

  static Stream<Arguments> badBase64() {
    return Stream.of(
        Arguments.of("not base64", new Frame.Text("!!! not base64 !!!")),
        Arguments.of("whitespace inside", new Frame.Text("CA4o Ag==")),
        Arguments.of("bad padding", new Frame.Text("CA4oAg=x")),
        Arguments.of("non-ASCII", new Frame.Text("CA4oAg€=")),
        Arguments.of("base64 of garbage", new Frame.Text("////AQI=")),
        Arguments.of("base64 of a truncated frame", new Frame.Text("CAAQARoKcGFybGV5")),
        Arguments.of("binary frame on a text protocol", new Frame.Binary(new byte[] {0x08, 0x0e})),
        Arguments.of("text without text", new Frame.Text(null)),
        Arguments.of("no frame", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badBase64")
  void base64_rejects(String what, Frame frame) {
    rejects(Codecs.base64(), frame);
  }

  // ------------------------------------------------------------------------------------ JSON

  static Stream<Arguments> badJson() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    return Stream.of(
        Arguments.of("empty", "", null),
        Arguments.of("blank", "  \n ", null),
        Arguments.of("truncated", "{\"cmd\":\"session\",\"op\":\"op", null),
        Arguments.of("array", "[{\"cmd\":\"echo\"}]", null),
        Arguments.of("number", "42", null),
        Arguments.of("string", "\"{}\"", null),
        Arguments.of("null", "null", null),
        Arguments.of("two objects", "{} {}", null),
        Arguments.of("trailing garbage", "{\"cmd\":\"echo\"} x", null),
        Arguments.of("comment", "{/* hi */}", null),
        Arguments.of("single quotes", "{'cmd':'echo'}", null),
        Arguments.of("NaN", "{\"cmd\":\"ack\",\"t\":NaN}", null),
        Arguments.of("unknown cmd", "{\"cmd\":\"shout\"}", "cmd"),
        Arguments.of("unknown cmd number", "{\"cmd\":99}", "cmd"),
        Arguments.of("cmd as object", "{\"cmd\":{}}", "cmd"),
        Arguments.of("unknown op", "{\"cmd\":\"session\",\"op\":\"opn\"}", "op"),
        Arguments.of("i as string", "{\"cmd\":\"echo\",\"i\":\"1\"}", "i"),
        Arguments.of("i fractional", "{\"cmd\":\"echo\",\"i\":1.5}", "i"),
        Arguments.of("i beyond int32", "{\"cmd\":\"echo\",\"i\":2147483648}", "i"),
        Arguments.of("int64 beyond range", "{\"cmd\":\"ack\",\"t\":9223372036854775808}", "t"),
        Arguments.of("huge exponent", "{\"cmd\":\"ack\",\"t\":1e999999999}", "t"),
        Arguments.of("tiny exponent", "{\"cmd\":\"ack\",\"t\":1e-999999999}", "t"),
        Arguments.of("bool as string", "{\"cmd\":\"direct\",\"r\":\"true\"}", "r"),
        Arguments.of("bool as 2", "{\"cmd\":\"direct\",\"r\":2}", "r"),
        Arguments.of("string as number", "{\"cmd\":\"direct\",\"cid\":123}", "cid"),
        Arguments.of("repeated as scalar", "{\"cmd\":\"conv\",\"m\":\"Jerry\"}", "m"),
        Arguments.of(
            "repeated element wrong type", "{\"cmd\":\"conv\",\"m\":[\"Jerry\",7]}", "m[1]"),
        Arguments.of("message as string", "{\"cmd\":\"conv\",\"info\":\"Jerry\"}", "info"),
        Arguments.of(
            "nested wrong type",
            "{\"cmd\":\"unread\",\"convs\":[{\"cid\":\"c\",\"unread\":\"3\"}]}",
            "convs[0].unread"),
        Arguments.of(
            "missing required", "{\"cmd\":\"unread\",\"convs\":[{\"cid\":\"c\"}]}", "unread"),
        Arguments.of("enum unknown", "{\"cmd\":\"logs\",\"direction\":\"SIDEWAYS\"}", "direction"),
        Arguments.of("bytes not base64", "{\"cmd\":\"direct\",\"binaryMsg\":\"***\"}", "binaryMsg"),
        Arguments.of(
            "sub-message not an object",
            "{\"cmd\":\"session\",\"sessionMessage\":[1]}",
            "sessionMessage"),
        Arguments.of("deep nesting", "{\"cmd\":\"conv\",\"attr\":" + deep + "}", null),
        Arguments.of(
            "huge number literal", "{\"cmd\":\"ack\",\"t\":" + "9".repeat(5000) + "}", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badJson")
  void json_rejects_and_names_the_field(String what, String json, String field) {
    ProtocolException e = rejects(Codecs.json(), new Frame.Text(json));
    if (field != null) {
      assertTrue(
          e.getMessage().contains(field), "detail should name " + field + ": " + e.getMessage());
    }
  }

  @Test
  void json_rejects_binary_frames() {
    rejects(Codecs.json(), new Frame.Binary("{}".getBytes()));
    rejects(Codecs.json(), null);
  }

  @Test
  void detecting_codec_rejects_like_the_codec_it_picked() {
    rejects(Codecs.detecting(), new Frame.Text("{\"cmd\":\"shout\"}"));
    rejects(Codecs.detecting(), new Frame.Text("!!!"));
    rejects(Codecs.detecting(), new Frame.Binary(new byte[] {(byte) 0xff}));
    rejects(Codecs.detecting(), new Frame.Text(""));
    rejects(Codecs.detecting(), null);
  }
}
