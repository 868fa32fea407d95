package io.parley.protocol;

import java.util.Arrays;
import java.util.Optional;

/**
 * The WebSocket subprotocols the LeanCloud SDKs offer (docs/protocol.md §1.4), each with its frame
 * encoding and the protocol semantics version (the trailing digit, §2.4) that decides offline
 * delivery at login.
 */
public enum Subprotocol {
  PROTOBUF_3("lc.protobuf2.3", Encoding.PROTOBUF, 3),
  PROTOBUF_2("lc.protobuf2.2", Encoding.PROTOBUF, 2),
  PROTOBUF_1("lc.protobuf2.1", Encoding.PROTOBUF, 1),
  BASE64_3("lc.proto2base64.3", Encoding.BASE64, 3),
  JSON_3("lc.json.3", Encoding.JSON, 3),
  JSON_2("lc.json.2", Encoding.JSON, 2),
  JSON_1("lc.json.1", Encoding.JSON, 1),
  /**
   * No subprotocol offered (.NET NetCore client, legacy JS v2). DECISION (§1.4 rule 3): JSON,
   * version 1, but the first data frame may switch the connection to protobuf (binary) or base64
   * (non-JSON text).
   */
  LEGACY(null, Encoding.DETECT, 1);

  /** How frames of a subprotocol are encoded. */
  public enum Encoding {
    PROTOBUF,
    BASE64,
    JSON,
    DETECT
  }

  private final String id;
  private final Encoding encoding;
  private final int version;

  Subprotocol(String id, Encoding encoding, int version) {
    this.id = id;
    this.encoding = encoding;
    this.version = version;
  }

  /** The name offered in {@code Sec-WebSocket-Protocol}; empty for {@link #LEGACY}. */
  public Optional<String> id() {
    return Optional.ofNullable(id);
  }

  public Encoding encoding() {
    return encoding;
  }

  /** Protocol semantics version: 1 pushes offline messages at login, 2 and 3 send unread counts. */
  public int version() {
    return version;
  }

  /** Whether frames are binary WebSocket messages (otherwise text). */
  public boolean binaryFrames() {
    return encoding == Encoding.PROTOBUF;
  }

  /** The subprotocol with this exact name, if we speak it. */
  public static Optional<Subprotocol> byName(String name) {
    return Arrays.stream(values()).filter(p -> p.id != null && p.id.equals(name)).findFirst();
  }
}
