package io.parley.node.session;

import io.parley.protocol.Frame;

/** What a session sends towards its socket; the gateway owns the socket and renders these. */
public sealed interface Outbound {

  /** One frame to the client. */
  record Send(Frame frame) implements Outbound {}

  /**
   * Frames to the client back to back, held by the socket as one item of its outbound buffer (a
   * bounded batch: a v1 login's offline queue).
   */
  record SendAll(java.util.List<Frame> frames) implements Outbound {}

  /** Close the connection with a LeanCloud close code; nothing is sent after it. */
  record Close(int code, String reason) implements Outbound {}
}
