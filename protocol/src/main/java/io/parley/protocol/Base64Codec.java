package io.parley.protocol;

import io.parley.protocol.wire.GenericCommand;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code lc.proto2base64.3}: one text WebSocket message = standard base64 (RFC 4648, with padding)
 * of one serialized {@link GenericCommand} (docs/protocol.md §2.2). Surrounding whitespace is
 * tolerated on input; missing padding is accepted. Stateless and thread-safe.
 */
public final class Base64Codec implements CommandCodec {

  /** The one instance; reached through {@link Codecs#base64()}. */
  static final Base64Codec INSTANCE = new Base64Codec();

  private Base64Codec() {}

  @Override
  public GenericCommand decode(Frame frame) throws ProtocolException {
    if (frame instanceof Frame.Text text && text.text() != null) {
      return parse(text.text());
    }
    throw ProtobufCodec.unparseable(
        "expected a text frame (base64 subprotocol), got " + ProtobufCodec.describe(frame));
  }

  @Override
  public Frame encode(GenericCommand command) {
    return new Frame.Text(toText(command));
  }

  /** Decodes base64 text (surrounding whitespace ignored) and then the protobuf bytes. */
  private static GenericCommand parse(String text) throws ProtocolException {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text.strip().getBytes(StandardCharsets.ISO_8859_1));
    } catch (IllegalArgumentException e) {
      throw ProtobufCodec.unparseable("invalid base64: " + e.getMessage());
    }
    return ProtobufCodec.parse(bytes);
  }

  /** Standard base64 with padding of the protobuf bytes. */
  private static String toText(GenericCommand command) {
    return Base64.getEncoder().encodeToString(ProtobufCodec.toBytes(command));
  }
}
