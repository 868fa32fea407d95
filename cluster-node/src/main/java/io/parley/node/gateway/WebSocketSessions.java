package io.parley.node.gateway;

import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.protocol.Subprotocol;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Flow;

/** What either WebSocket edge asks the node: may this handshake go on, and the session to run. */
interface WebSocketSessions {

  /** A WebSocket opening handshake's outcome: refused with an HTTP error, or accepted. */
  sealed interface Handshake {
    record Refused(int status, int code, String error) implements Handshake {}

    /** {@code echo}: the subprotocol to name in the answer, or null. */
    record Accepted(Subprotocol subprotocol, String echo) implements Handshake {}
  }

  /**
   * {@code offered}: the {@code Sec-WebSocket-Protocol} values; {@code queried}: the URL's {@code
   * subprotocol} parameter.
   */
  Handshake handshake(List<String> offered, Optional<String> queried);

  /**
   * The stream of one accepted connection's session: it starts the session actor when it starts.
   * {@code lastInbound} is the read-idle clock the edge sets on everything the client sends.
   */
  Flow<SessionActor.Inbound, Outbound, NotUsed> session(
      Subprotocol subprotocol, String remoteAddress, AtomicLong lastInbound);

  /**
   * The lean edge's way in, with no stream: starts the session actor of one accepted connection,
   * which sends to {@code out} and acks each {@link SessionActor.FrameReceived}; the edge feeds it
   * as {@link ConnectionFlow} does and calls {@link #ended} when the connection ends.
   */
  ActorRef<SessionActor.Command> start(
      Subprotocol subprotocol,
      String remoteAddress,
      AtomicLong lastInbound,
      ActorRef<Outbound> out);

  /** The connection of {@code session} (from {@link #start}) ended. */
  void ended(ActorRef<SessionActor.Command> session);

  /**
   * Frames a session may have waiting for its socket; beyond, the client stopped reading and is
   * closed with 1008.
   */
  int outboundBuffer();
}
