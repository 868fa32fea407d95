package io.parley.node.session;

import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.util.Locale;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * How one socket refuses a request (docs/protocol.md §17), owned by its {@link SessionActor}: a
 * request over a limit is answered in the form its SDK expects, and a connection refused more than
 * {@code refusals-per-minute} times is closed with 4116 (the others on the node are not affected).
 * Every refusal answers through the actor's {@code reply}, which counts quota refusals here.
 */
final class Refusals {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Refusals.class);

  private final SessionActor session;
  private final ClientRates rates;
  private final int refusalsPerMinute;
  private final String remoteAddress;

  Refusals(SessionActor session, ClientRates rates, int refusalsPerMinute, String remoteAddress) {
    this.session = session;
    this.rates = rates;
    this.refusalsPerMinute = refusalsPerMinute;
    this.remoteAddress = remoteAddress;
  }

  /** Over its rate (§17): refused with 4116, a {@code direct} in its ack as the SDKs expect. */
  Behavior<SessionActor.Command> overRate(
      GenericCommand command, String clientId, ClientRates.Kind kind) {
    return refuse(
        command,
        clientId,
        ErrorCode.MESSAGE_SENT_QUOTA_EXCEEDED,
        "over the rate of "
            + kind.name().toLowerCase(Locale.ROOT)
            + " requests per minute, retry later");
  }

  /**
   * A request refused for a limit: answered with {@code code} when it has an {@code i} (a {@code
   * direct} in its {@code ack}); one without is only counted.
   */
  Behavior<SessionActor.Command> refuse(
      GenericCommand command, String clientId, ErrorCode code, String detail) {
    if (command.hasI()) {
      return session.reply(
          command.getCmd() == CommandType.direct
              ? Replies.replyTo(command, CommandType.ack, null, clientId)
                  .setAckMessage(
                      AckCommand.newBuilder().setCode(code.code()).setReason(code.reason()))
                  .build()
              : Replies.error(command.getI(), clientId, code, detail));
    }
    if (command.getCmd() == CommandType.session && command.getOp() == OpType.open) {
      // The Java SDK re-opens without `i` and expects the error with the peerId (§16.1).
      return session.reply(Replies.error(null, clientId, code, detail));
    }
    return counted();
  }

  /** One more refusal for this connection: past {@code refusals-per-minute} it is closed (§17). */
  Behavior<SessionActor.Command> counted() {
    if (!rates.refused()) {
      LOG.info("Closing {}: over {} refused requests per minute", remoteAddress, refusalsPerMinute);
      return session.close(ErrorCode.MESSAGE_SENT_QUOTA_EXCEEDED, "too many refused requests");
    }
    return Behaviors.same();
  }

  /** A request for a client not logged in here: 4105 when it has an {@code i}, else dropped. */
  Behavior<SessionActor.Command> sessionRequired(GenericCommand command) {
    if (!command.hasI()) {
      return Behaviors.same();
    }
    return session.reply(
        Replies.error(
            command.getI(),
            command.hasPeerId() ? command.getPeerId() : null,
            ErrorCode.SESSION_REQUIRED,
            "no open session" + (command.hasPeerId() ? " for " + command.getPeerId() : "")));
  }
}
