package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checks our protobuf bytes against sources that do not go through our generated classes: a frame
 * encoded by hand from the field numbers of {@code shared/reference/leancloud-message.proto},
 * protobuf's schema-less {@link UnknownFieldSet} parser, and the frames protobufjs (the real JS
 * SDK) produced.
 */
class ProtobufWireCrossCheckTest {

  /**
   * {@code session/open} for Tom, field by field (tag = field number << 3 | wire type; varints
   * little-endian base 128). Values as in the JS SDK 5.0.0-rc.8 capture.
   */
  private static final String SESSION_OPEN_BY_HAND =
      "0800" // GenericCommand.cmd (1, varint) = 0 session
          + "1001" // op (2, varint) = 1 open
          + "1a0a"
          + "7061726c65792d646576" // appId (3, len 10) = "parley-dev"
          + "2203"
          + "546f6d" // peerId (4, len 3) = "Tom"
          + "2801" // i (5, varint) = 1
          + "b20643" // sessionMessage (102 << 3 | 2 = 818 = varint b2 06), length 0x43 = 67
          + "220d"
          + "6a732f352e302e302d72632e38" // SessionCommand.ua (4, len 13) = "js/5.0.0-rc.8"
          + "2800" // r (5, varint) = false (JS sets it explicitly)
          + "3a24"
          + "64353439393132362d353533652d343733362d613938302d663933313739363539626235" // deviceId
          // (7, len
          // 36)
          + "9001"
          + "efc0d4b4a134" // lastPatchTime (18 << 3 = 144 = varint 90 01) = 1795675201647
          + "9801"
          + "bb01"; // configBitmap (19 << 3 = 152 = varint 98 01) = 187

  @Test
  void session_open_encodes_to_the_hand_written_bytes() {
    Frame.Binary frame = (Frame.Binary) Codecs.protobuf().encode(Samples.sessionOpenJs());
    assertEquals(SESSION_OPEN_BY_HAND, Golden.hex(frame.bytes()));
    assertEquals(
        SESSION_OPEN_BY_HAND + "\n",
        Golden.readText(Golden.COMMANDS.resolve("session-open.protobuf.hex")));
  }

  @Test
  void session_open_bytes_carry_the_expected_tags_without_our_schema() throws Exception {
    UnknownFieldSet fields = UnknownFieldSet.parseFrom(Golden.unhex(SESSION_OPEN_BY_HAND));
    assertEquals(List.of(0L), fields.getField(1).getVarintList());
    assertEquals(List.of(1L), fields.getField(2).getVarintList());
    assertEquals(
        List.of(ByteString.copyFromUtf8("parley-dev")),
        fields.getField(3).getLengthDelimitedList());
    assertEquals(
        List.of(ByteString.copyFromUtf8("Tom")), fields.getField(4).getLengthDelimitedList());
    assertEquals(List.of(1L), fields.getField(5).getVarintList());

    UnknownFieldSet session =
        UnknownFieldSet.parseFrom(fields.getField(102).getLengthDelimitedList().get(0));
    assertEquals(
        List.of(ByteString.copyFromUtf8("js/5.0.0-rc.8")),
        session.getField(4).getLengthDelimitedList());
    assertEquals(List.of(0L), session.getField(5).getVarintList());
    assertEquals(
        List.of(ByteString.copyFromUtf8("d5499126-553e-4736-a980-f93179659bb5")),
        session.getField(7).getLengthDelimitedList());
    assertEquals(List.of(1795675201647L), session.getField(18).getVarintList());
    assertEquals(List.of(187L), session.getField(19).getVarintList());
    assertEquals(5, session.asMap().size());
  }

  @Test
  void session_open_matches_the_frame_of_the_real_js_sdk() {
    Path capture = Golden.ROOT.resolve("js-5.0.0-rc.8-lc.protobuf2.3-session-open.bin");
    assertTrue(Files.exists(capture), "missing SDK capture " + capture.toAbsolutePath());
    assertEquals(Golden.hex(Golden.readBytes(capture)), SESSION_OPEN_BY_HAND);
  }

  @Test
  void echo_matches_the_frame_of_the_real_js_sdk() {
    GenericCommand echo = GenericCommand.newBuilder().setCmd(CommandType.echo).setI(2).build();
    Frame.Binary frame = (Frame.Binary) Codecs.protobuf().encode(echo);
    assertEquals("080e2802", Golden.hex(frame.bytes())); // cmd (1) = 14 echo, i (5) = 2
    Path capture = Golden.ROOT.resolve("js-5.0.0-rc.8-lc.protobuf2.3-echo.bin");
    assertTrue(Files.exists(capture), "missing SDK capture " + capture.toAbsolutePath());
    assertEquals("080e2802", Golden.hex(Golden.readBytes(capture)));
  }
}
