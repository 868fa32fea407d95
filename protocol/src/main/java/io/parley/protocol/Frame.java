package io.parley.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** One WebSocket data message, as the transport sees it: text or binary. Transport-agnostic. */
public sealed interface Frame {

  /** Size in bytes on the wire (UTF-8 for text); used for size caps. */
  int size();

  record Text(String text) implements Frame {
    @Override
    public int size() {
      return text.getBytes(StandardCharsets.UTF_8).length;
    }
  }

  record Binary(byte[] bytes) implements Frame {
    @Override
    public int size() {
      return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Binary binary && Arrays.equals(bytes, binary.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Binary[" + bytes.length + " bytes]";
    }
  }
}
