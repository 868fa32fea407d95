package io.parley.node.session;

import io.parley.node.metrics.NodeMetrics;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The write side of one socket, owned by its {@link SessionActor}: encodes frames with the
 * connection's codec, hands them to the gateway's outbound stream ({@link Outbound}) and counts
 * what operators see of them in the metrics (pushes, logins, every refusal by its code). It knows
 * nothing of order: the actor tells its {@link DeliveryGate} about every frame written.
 */
final class FrameWriter {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FrameWriter.class);

  private final CommandCodec codec;
  private final ActorRef<Outbound> out;
  private final NodeMetrics metrics;
  private final String remoteAddress;

  FrameWriter(
      CommandCodec codec, ActorRef<Outbound> out, NodeMetrics metrics, String remoteAddress) {
    this.codec = codec;
    this.out = out;
    this.metrics = metrics;
    this.remoteAddress = remoteAddress;
  }

  /** One frame to the socket. */
  void write(GenericCommand command) {
    if (LOG.isTraceEnabled()) {
      LOG.trace("{} -> {}", remoteAddress, command);
    }
    out.tell(new Outbound.Send(codec.encode(command)));
    count(command);
  }

  /**
   * {@code commands} to the socket as one batch (a v1 login's offline queue comes in batches of
   * {@code LoginCatchUp.OFFLINE_BATCH} frames, back to back), so that the burst counts once per
   * batch against the socket's outbound buffer instead of closing it as a slow reader.
   */
  void writeAll(List<GenericCommand> commands) {
    List<Frame> frames = new ArrayList<>(commands.size());
    for (GenericCommand command : commands) {
      if (LOG.isTraceEnabled()) {
        LOG.trace("{} -> {}", remoteAddress, command);
      }
      frames.add(codec.encode(command));
    }
    out.tell(new Outbound.SendAll(frames));
    for (GenericCommand command : commands) {
      count(command);
    }
  }

  /** The socket closes with a LeanCloud code; nothing is written after it. */
  void close(ErrorCode code, String detail) {
    metrics.refused("close", code.code());
    LOG.debug("Closing {} with {} {}: {}", remoteAddress, code.code(), code.reason(), detail);
    out.tell(new Outbound.Close(code.code(), code.reason()));
  }

  /** The socket closes with WebSocket's 1001: the node is going away (no refusal). */
  void goingAway() {
    out.tell(new Outbound.Close(1001, "GOING_AWAY"));
  }

  /** What the metrics count of a frame going out: pushes, logins and every refusal by its code. */
  private void count(GenericCommand command) {
    switch (command.getCmd()) {
      case direct -> metrics.messageOut();
      case error -> metrics.refused("error", command.getErrorMessage().getCode());
      case ack -> {
        if (command.hasAckMessage() && command.getAckMessage().hasCode()) {
          metrics.refused("ack", command.getAckMessage().getCode());
        }
      }
      case session -> {
        if (command.getOp() == OpType.opened) {
          metrics.loginOpened();
        } else if (command.getOp() == OpType.closed && command.getSessionMessage().hasCode()) {
          // With an `i` it answers a login (4100 unknown app), without one it ends a session (4111,
          // 4115).
          metrics.refused(command.hasI() ? "error" : "kick", command.getSessionMessage().getCode());
        }
      }
      default -> {}
    }
  }
}
