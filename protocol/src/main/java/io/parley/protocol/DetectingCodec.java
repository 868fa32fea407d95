package io.parley.protocol;

import io.parley.protocol.wire.GenericCommand;
import java.util.Optional;

/**
 * Codec of a connection that offered no subprotocol ({@link Subprotocol#LEGACY}; docs/protocol.md
 * §1.4 rule 3, DECISION). The first data frame decides the encoding for the rest of the connection:
 *
 * <ul>
 *   <li>a binary frame ⇒ protobuf;
 *   <li>a text frame whose first non-whitespace character is <code>{</code> ⇒ flat JSON;
 *   <li>any other non-blank text frame ⇒ base64 protobuf.
 * </ul>
 *
 * <p>A blank text frame (empty or only whitespace) decides nothing and is rejected as unparseable.
 * Frames of the other kinds after the decision are decoded with the chosen codec (and therefore
 * rejected). Until a frame has been seen, {@link #encode} writes JSON, the default of legacy
 * clients. One instance per connection; thread-safe.
 */
public final class DetectingCodec implements CommandCodec {

  private volatile Subprotocol.Encoding detected;

  /** Reached through {@link Codecs#detecting()} or {@link Codecs#forSubprotocol}. */
  DetectingCodec() {}

  /** The encoding chosen by the first data frame, or empty before any frame was decoded. */
  public Optional<Subprotocol.Encoding> detected() {
    return Optional.ofNullable(detected);
  }

  @Override
  public GenericCommand decode(Frame frame) throws ProtocolException {
    Subprotocol.Encoding encoding = detected;
    if (encoding == null) {
      Subprotocol.Encoding guess = guess(frame);
      if (guess == null) {
        throw ProtobufCodec.unparseable(
            "cannot detect the encoding of "
                + ProtobufCodec.describe(frame)
                + " (blank or missing frame)");
      }
      synchronized (this) {
        if (detected == null) {
          detected = guess;
        }
        encoding = detected;
      }
    }
    return codec(encoding).decode(frame);
  }

  @Override
  public Frame encode(GenericCommand command) {
    Subprotocol.Encoding encoding = detected;
    return codec(encoding == null ? Subprotocol.Encoding.JSON : encoding).encode(command);
  }

  /** The encoding a first frame selects, or null if it selects none. */
  static Subprotocol.Encoding guess(Frame frame) {
    if (frame instanceof Frame.Binary binary) {
      return binary.bytes() == null ? null : Subprotocol.Encoding.PROTOBUF;
    }
    if (frame instanceof Frame.Text text && text.text() != null) {
      String stripped = text.text().stripLeading();
      if (stripped.isEmpty()) {
        return null;
      }
      return stripped.charAt(0) == '{' ? Subprotocol.Encoding.JSON : Subprotocol.Encoding.BASE64;
    }
    return null;
  }

  private static CommandCodec codec(Subprotocol.Encoding encoding) {
    return switch (encoding) {
      case PROTOBUF -> Codecs.protobuf();
      case BASE64 -> Codecs.base64();
      case JSON, DETECT -> Codecs.json();
    };
  }
}
