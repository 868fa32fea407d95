package io.parley.node.session;

import io.parley.node.session.SocketClients.LoggedIn;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.wire.GenericCommand;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What a logged-in client's request (every command but {@code session}, {@code echo} and {@code
 * login}) passes on one socket before its handler, owned by its {@link SessionActor}: the client it
 * names must be logged in here (§3.3), within its rate (§17), and signed where the app asks for
 * signatures (§14, checked asynchronously: {@link SessionActor.RequestChecked}); then {@link
 * CommandRoutes} hands it to its handler.
 */
final class Requests {

  /** What a signed request's accepted check carries: nothing but the go-ahead. */
  private static final Credentials.Accepted ROUTE = new Credentials.Accepted(null, null);

  private final SessionActor session;
  private final ActorContext<SessionActor.Command> context;
  private final SocketClients clients;
  private final ClientRates rates;
  private final Refusals refusals;
  private final Credentials credentials;
  private final CommandRoutes routes;

  Requests(
      SessionActor session,
      ActorContext<SessionActor.Command> context,
      SocketClients clients,
      ClientRates rates,
      Refusals refusals,
      Credentials credentials,
      CommandRoutes routes) {
    this.session = session;
    this.context = context;
    this.clients = clients;
    this.rates = rates;
    this.refusals = refusals;
    this.credentials = credentials;
    this.routes = routes;
  }

  Behavior<SessionActor.Command> onRequest(GenericCommand command) {
    LoggedIn login = clients.resolve(command);
    if (login == null) {
      return refusals.sessionRequired(command);
    }
    String clientId = login.clientId();
    ClientRates.Kind kind = ClientRates.kindOf(command);
    if (kind == ClientRates.Kind.RECEIPTS
        && !rates.tryTake(clientId, kind, ClientRates.idsNamed(command))) {
      // Acks and reads are cumulative positions: one over the rate is skipped (a later one carries
      // it), never refused, so a busy client is never disconnected for acking what it receives.
      // Requests with `i` get their usual empty answer.
      return command.hasI()
          ? session.reply(Replies.replyTo(command, command.getCmd(), null, clientId).build())
          : Behaviors.same();
    }
    if (kind != null
        && kind != ClientRates.Kind.RECEIPTS
        && !rates.tryTake(clientId, kind, ClientRates.idsNamed(command))) {
      return refusals.overRate(command, clientId, kind);
    }
    NodeSettings.App app = clients.app();
    if (credentials.needsSignature(app, clientId, command)) {
      context.pipeToSelf(
          credentials.checkSignature(app, clientId, command, ROUTE),
          (checked, failure) -> new SessionActor.RequestChecked(command, clientId, checked));
      return Behaviors.same();
    }
    return route(command, login);
  }

  /**
   * A signed request's signature was checked: routed now if accepted and its client is still logged
   * in here, else refused.
   */
  Behavior<SessionActor.Command> onChecked(SessionActor.RequestChecked checked) {
    GenericCommand command = checked.command();
    if (checked.check() instanceof Credentials.Refused refused) {
      return session.reply(
          Replies.error(
              command.hasI() ? command.getI() : null,
              checked.clientId(),
              refused.code(),
              refused.detail()));
    }
    LoggedIn login = clients.get(checked.clientId());
    if (login == null) {
      return refusals.sessionRequired(command);
    }
    return route(command, login);
  }

  private Behavior<SessionActor.Command> route(GenericCommand command, LoggedIn login) {
    if (routes.route(clients.app().appId(), login.clientId(), command)) {
      return Behaviors.same();
    }
    return command.hasI()
        ? session.reply(Replies.unsupported(command, login.clientId()))
        : Behaviors.same();
  }
}
