package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CodecsTest {

  @Test
  void each_subprotocol_gets_the_codec_of_its_encoding() {
    assertSame(Codecs.protobuf(), Codecs.forSubprotocol(Subprotocol.PROTOBUF_3));
    assertSame(Codecs.protobuf(), Codecs.forSubprotocol(Subprotocol.PROTOBUF_2));
    assertSame(Codecs.protobuf(), Codecs.forSubprotocol(Subprotocol.PROTOBUF_1));
    assertSame(Codecs.base64(), Codecs.forSubprotocol(Subprotocol.BASE64_3));
    assertSame(Codecs.json(), Codecs.forSubprotocol(Subprotocol.JSON_3));
    assertSame(Codecs.json(), Codecs.forSubprotocol(Subprotocol.JSON_2));
    assertSame(Codecs.json(), Codecs.forSubprotocol(Subprotocol.JSON_1));
    assertInstanceOf(DetectingCodec.class, Codecs.forSubprotocol(Subprotocol.LEGACY));
    assertInstanceOf(ProtobufCodec.class, Subprotocol.PROTOBUF_3.newCodec());
    assertThrows(NullPointerException.class, () -> Codecs.forSubprotocol(null));
  }
}
