package io.parley.node.gateway;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.apache.pekko.util.ByteString;

/**
 * RFC 6455 framing for the lean edge: the header of a client's frame, its unmasked payload, and the
 * server's own (unmasked) frames. Values only; {@link LeanConnection} decides what they mean.
 */
final class WebSocketFrames {

  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;

  /** RFC 6455 §7.4.1 close codes the edge itself sends. */
  static final int NORMAL_CLOSURE = 1000;

  static final int PROTOCOL_ERROR = 1002;
  static final int INVALID_PAYLOAD = 1007;

  /** A control frame's payload limit (RFC 6455 §5.5). */
  static final int MAX_CONTROL_PAYLOAD = 125;

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private WebSocketFrames() {}

  /**
   * A frame's header. {@code length} is the payload's, {@code headerLength} the bytes before it;
   * {@code mask} is 0 for an unmasked frame.
   */
  record Header(
      boolean fin, int rsv, int opcode, boolean masked, int mask, long length, int headerLength) {

    boolean control() {
      return (opcode & 0x8) != 0;
    }

    /** Opcodes RFC 6455 defines; everything else is a protocol error. */
    boolean knownOpcode() {
      return opcode <= BINARY || (opcode >= CLOSE && opcode <= PONG);
    }
  }

  /** The header at the start of {@code buffer}, or null while not all of it has arrived. */
  static Header header(ByteString buffer) {
    int available = buffer.size();
    if (available < 2) {
      return null;
    }
    int first = buffer.apply(0) & 0xff;
    int second = buffer.apply(1) & 0xff;
    boolean masked = (second & 0x80) != 0;
    long length = second & 0x7f;
    int position = 2;
    if (length == 126) {
      if (available < 4) {
        return null;
      }
      length = ((buffer.apply(2) & 0xff) << 8) | (buffer.apply(3) & 0xff);
      position = 4;
    } else if (length == 127) {
      if (available < 10) {
        return null;
      }
      length = 0;
      for (int i = 2; i < 10; i++) {
        length = (length << 8) | (buffer.apply(i) & 0xff);
      }
      position = 10;
      if (length < 0) {
        length = Long.MAX_VALUE; // the most significant bit must be 0: over any cap anyway
      }
    }
    int mask = 0;
    if (masked) {
      if (available < position + 4) {
        return null;
      }
      for (int i = position; i < position + 4; i++) {
        mask = (mask << 8) | (buffer.apply(i) & 0xff);
      }
      position += 4;
    }
    return new Header(
        (first & 0x80) != 0, (first >> 4) & 0x7, first & 0x0f, masked, mask, length, position);
  }

  /** The payload of the frame at the start of {@code buffer} (all of it there), unmasked. */
  static byte[] payload(ByteString buffer, Header header) {
    byte[] bytes = new byte[(int) header.length()];
    buffer.slice(header.headerLength(), header.headerLength() + bytes.length).copyToArray(bytes);
    int mask = header.mask();
    if (mask != 0) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
      }
    }
    return bytes;
  }

  /** A final, unmasked server frame. */
  static ByteString frame(int opcode, byte[] payload) {
    int length = payload.length;
    int headerLength = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
    byte[] bytes = new byte[headerLength + length];
    bytes[0] = (byte) (0x80 | opcode);
    if (length < 126) {
      bytes[1] = (byte) length;
    } else if (length <= 0xffff) {
      bytes[1] = 126;
      bytes[2] = (byte) (length >>> 8);
      bytes[3] = (byte) length;
    } else {
      bytes[1] = 127;
      for (int i = 0; i < 8; i++) {
        bytes[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
      }
    }
    System.arraycopy(payload, 0, bytes, headerLength, length);
    return ByteString.fromArrayUnsafe(bytes);
  }

  /** A close frame with {@code code} and {@code reason} (cut to fit a control frame). */
  static ByteString close(int code, String reason) {
    byte[] text = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
    int textLength = Math.min(text.length, MAX_CONTROL_PAYLOAD - 2);
    byte[] payload = new byte[2 + textLength];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, textLength);
    return frame(CLOSE, payload);
  }

  /** The code of a close frame's payload, or -1 when it carries none. */
  static int closeCode(byte[] payload) {
    return payload.length < 2 ? -1 : ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
  }

  /** Strict UTF-8 (RFC 6455 §8.1: invalid text fails the connection with 1007). */
  static String utf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  /** The {@code Sec-WebSocket-Accept} answer to a client's key (RFC 6455 §4.2.2). */
  static String accept(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1")
              .digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
