package io.parley.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import io.parley.protocol.wire.GenericCommand;

/**
 * {@code lc.protobuf2.N}: one binary WebSocket message = one serialized {@link GenericCommand}, no
 * length prefix (docs/protocol.md §2.1). Stateless and thread-safe.
 */
public final class ProtobufCodec implements CommandCodec {

  /** The one instance; reached through {@link Codecs#protobuf()}. */
  static final ProtobufCodec INSTANCE = new ProtobufCodec();

  private ProtobufCodec() {}

  @Override
  public GenericCommand decode(Frame frame) throws ProtocolException {
    if (frame instanceof Frame.Binary binary && binary.bytes() != null) {
      return parse(binary.bytes());
    }
    throw unparseable("expected a binary frame (protobuf subprotocol), got " + describe(frame));
  }

  @Override
  public Frame encode(GenericCommand command) {
    return new Frame.Binary(toBytes(command));
  }

  /**
   * Parses protobuf bytes. Garbage, truncated input and missing proto2 {@code required} fields are
   * rejected with {@link ErrorCode#UNPARSEABLE_RAW_MESSAGE}; unknown fields are kept (and
   * re-serialized) as protobuf does.
   */
  static GenericCommand parse(byte[] bytes) throws ProtocolException {
    try {
      return GenericCommand.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(
          ErrorCode.UNPARSEABLE_RAW_MESSAGE,
          "invalid protobuf GenericCommand: " + e.getMessage(),
          e);
    } catch (RuntimeException | StackOverflowError e) {
      throw new ProtocolException(
          ErrorCode.UNPARSEABLE_RAW_MESSAGE, "invalid protobuf GenericCommand: " + e, e);
    }
  }

  /**
   * Serializes a command, refusing one that lacks proto2 {@code required} fields: protobufjs (JS
   * SDK) and Java's {@code parseFrom} would drop or fail on such a frame (§2.1).
   *
   * @throws IllegalArgumentException if a required field is missing (a bug in the caller)
   */
  static byte[] toBytes(GenericCommand command) {
    requireInitialized(command);
    return command.toByteArray();
  }

  static void requireInitialized(GenericCommand command) {
    if (command == null) {
      throw new IllegalArgumentException("command is null");
    }
    if (!command.isInitialized()) {
      throw new IllegalArgumentException(
          "GenericCommand lacks required fields "
              + command.findInitializationErrors()
              + ": "
              + command);
    }
  }

  static ProtocolException unparseable(String detail) {
    return new ProtocolException(ErrorCode.UNPARSEABLE_RAW_MESSAGE, detail);
  }

  static String describe(Frame frame) {
    if (frame == null) {
      return "no frame";
    }
    if (frame instanceof Frame.Text text) {
      return text.text() == null ? "a text frame without text" : "a text frame";
    }
    return "a binary frame";
  }
}
