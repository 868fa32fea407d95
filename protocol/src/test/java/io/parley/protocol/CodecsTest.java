package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Codecs} is the one way to get a codec (docs/protocol.md §2). */
class CodecsTest {

  private static final GenericCommand ECHO =
      GenericCommand.newBuilder().setCmd(CommandType.echo).setI(1).build();

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
    assertThrows(NullPointerException.class, () -> Codecs.forSubprotocol(null));
  }

  @Test
  void stateless_codecs_are_shared_and_a_detecting_codec_is_new_per_connection()
      throws ProtocolException {
    for (Subprotocol protocol : Subprotocol.values()) {
      CommandCodec first = Codecs.forSubprotocol(protocol);
      CommandCodec second = Codecs.forSubprotocol(protocol);
      if (protocol.encoding() == Subprotocol.Encoding.DETECT) {
        assertNotSame(first, second, protocol + " keeps per-connection state");
      } else {
        assertSame(first, second, protocol + " is stateless");
      }
      assertEquals(ECHO, second.decode(first.encode(ECHO)), protocol + " round trip");
    }
    assertNotSame(Codecs.detecting(), Codecs.detecting());
  }

  /**
   * Outside this package a codec comes only from {@link Codecs}: the codec classes have no public
   * constructor, no public instance field and no public static method (architecture review row 21).
   */
  @Test
  void codecs_is_the_only_public_way_to_get_or_use_a_codec() {
    for (Class<?> type :
        List.of(ProtobufCodec.class, Base64Codec.class, JsonCodec.class, DetectingCodec.class)) {
      for (Constructor<?> constructor : type.getDeclaredConstructors()) {
        assertFalse(Modifier.isPublic(constructor.getModifiers()), constructor.toString());
      }
      for (Field field : type.getDeclaredFields()) {
        assertFalse(Modifier.isPublic(field.getModifiers()), field.toString());
      }
      for (Method method : type.getDeclaredMethods()) {
        int modifiers = method.getModifiers();
        assertFalse(
            Modifier.isPublic(modifiers) && Modifier.isStatic(modifiers), method.toString());
      }
    }
  }
}
