package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.protocol.Subprotocol.Encoding;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The no-subprotocol connection (docs/protocol.md §1.4 rule 3): the first data frame decides, then
 * it sticks.
 */
class DetectingCodecTest {

  private static final GenericCommand ECHO =
      GenericCommand.newBuilder().setCmd(CommandType.echo).setI(2).build();

  @Test
  void encodes_json_before_any_frame() {
    DetectingCodec codec = Codecs.detecting();
    assertEquals(Optional.empty(), codec.detected());
    assertEquals(new Frame.Text("{\"cmd\":\"echo\",\"i\":2}"), codec.encode(ECHO));
    assertEquals(Optional.empty(), codec.detected(), "encoding decides nothing");
  }

  @Test
  void a_binary_first_frame_selects_protobuf() throws ProtocolException {
    DetectingCodec codec = Codecs.detecting();
    GenericCommand open = Samples.sessionOpenJs();
    assertEquals(open, codec.decode(Codecs.protobuf().encode(open)));
    assertEquals(Optional.of(Encoding.PROTOBUF), codec.detected());
    assertInstanceOf(Frame.Binary.class, codec.encode(ECHO));
    assertThrows(
        ProtocolException.class, () -> codec.decode(new Frame.Text("{}")), "sticks to protobuf");
  }

  @Test
  void a_text_first_frame_starting_with_a_brace_selects_json() throws ProtocolException {
    DetectingCodec codec = Codecs.detecting();
    assertEquals(GenericCommand.getDefaultInstance(), codec.decode(new Frame.Text(" \r\n\t{}")));
    assertEquals(Optional.of(Encoding.JSON), codec.detected());
    assertEquals(new Frame.Text("{}"), codec.encode(GenericCommand.getDefaultInstance()));
    assertThrows(
        ProtocolException.class, () -> codec.decode(new Frame.Text("CA4oAg==")), "sticks to JSON");
    assertThrows(ProtocolException.class, () -> codec.decode(new Frame.Binary(new byte[] {8, 14})));
  }

  @Test
  void other_text_selects_base64() throws ProtocolException {
    DetectingCodec codec = Codecs.detecting();
    assertEquals(ECHO, codec.decode(new Frame.Text("CA4oAg==")));
    assertEquals(Optional.of(Encoding.BASE64), codec.detected());
    assertEquals(new Frame.Text("CA4oAg=="), codec.encode(ECHO));
  }

  @Test
  void a_failing_first_frame_still_decides() {
    DetectingCodec codec = Codecs.detecting();
    assertThrows(ProtocolException.class, () -> codec.decode(new Frame.Text("{oops")));
    assertEquals(Optional.of(Encoding.JSON), codec.detected());
  }

  @Test
  void a_blank_first_frame_decides_nothing() {
    DetectingCodec codec = Codecs.detecting();
    assertThrows(ProtocolException.class, () -> codec.decode(new Frame.Text("  ")));
    assertEquals(Optional.empty(), codec.detected());
  }

  @Test
  void legacy_subprotocol_gives_a_fresh_detecting_codec_per_connection() throws ProtocolException {
    var first = Codecs.forSubprotocol(Subprotocol.LEGACY);
    var second = Codecs.forSubprotocol(Subprotocol.LEGACY);
    assertTrue(first != second);
    first.decode(new Frame.Binary(ECHO.toByteArray()));
    assertInstanceOf(Frame.Binary.class, first.encode(ECHO));
    assertInstanceOf(Frame.Text.class, second.encode(ECHO));
  }
}
