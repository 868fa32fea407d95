package io.parley.protocol;

import java.util.Objects;

/**
 * Factory of {@link CommandCodec}s (docs/protocol.md §2). The protobuf, base64 and JSON codecs are
 * stateless and shared; the {@link Subprotocol#LEGACY} codec remembers the encoding detected on its
 * connection's first frame, so every call returns a new one.
 */
public final class Codecs {

  private Codecs() {}

  /** A codec for one connection that negotiated {@code subprotocol}. */
  public static CommandCodec forSubprotocol(Subprotocol subprotocol) {
    Objects.requireNonNull(subprotocol, "subprotocol");
    return switch (subprotocol.encoding()) {
      case PROTOBUF -> protobuf();
      case BASE64 -> base64();
      case JSON -> json();
      case DETECT -> detecting();
    };
  }

  /** Binary frames, each one serialized {@code GenericCommand} (§2.1). */
  public static ProtobufCodec protobuf() {
    return ProtobufCodec.INSTANCE;
  }

  /** Text frames, each the standard base64 of one serialized {@code GenericCommand} (§2.2). */
  public static Base64Codec base64() {
    return Base64Codec.INSTANCE;
  }

  /** Text frames, each one flat JSON object (§2.3). */
  public static JsonCodec json() {
    return JsonCodec.INSTANCE;
  }

  /**
   * A new codec for a connection without subprotocol: the first data frame picks the encoding (§1.4
   * rule 3).
   */
  public static DetectingCodec detecting() {
    return new DetectingCodec();
  }
}
