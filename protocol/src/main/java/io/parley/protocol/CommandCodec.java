package io.parley.protocol;

import io.parley.protocol.wire.GenericCommand;

/**
 * Turns frames of one subprotocol into {@link GenericCommand}s and back. Instances may keep
 * per-connection state (the legacy no-subprotocol codec detects the encoding on the first frame),
 * so use one instance per connection, from {@link Codecs#forSubprotocol(Subprotocol)}.
 *
 * <p>A JSON heartbeat frame {@code {}} decodes to an empty command (no {@code cmd}); an empty
 * command encodes back to {@code {}} on JSON subprotocols.
 */
public interface CommandCodec {

  /**
   * Decodes one frame; malformed input raises a {@link ProtocolException}, never an unchecked
   * exception.
   */
  GenericCommand decode(Frame frame) throws ProtocolException;

  /** Encodes one command into the frame kind of this subprotocol. */
  Frame encode(GenericCommand command);
}
