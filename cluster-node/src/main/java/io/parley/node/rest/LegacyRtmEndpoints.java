package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The legacy {@code /1.1/rtm/*} routes of old app servers (REST-AND-HOOKS §3.6) that have a v1.2
 * twin: each only renames its parameters and calls the twin's handler.
 *
 * <ul>
 *   <li>{@code DELETE /1.1/rtm/messages/logs?convid&msgid&timestamp[&from]}: deletes a stored
 *       message ({@code DELETE /1.2/rtm/conversations/{id}/messages/{msg}});
 *   <li>{@code PUT /1.1/rtm/messages/logs} with a history record ({@code conv-id}, {@code msg-id},
 *       {@code from}, {@code timestamp}, {@code data}): edits the message ({@code PUT
 *       .../messages/{msg}}). LeanCloud changed only the stored copy; Parley's edit also pushes
 *       {@code patch/modify} to the members, as the v1.2 edit does;
 *   <li>{@code POST /1.1/rtm/patch/message} ({@code from_peer}, {@code conv_id}, {@code msg_id},
 *       {@code timestamp}, {@code message}, {@code recall}): edit or recall;
 *   <li>{@code GET /1.1/rtm/messages/unread/{client}[/{conv}]} ⇒ {@code {"count": n}} (app key, as
 *       {@code /1.2/rtm/clients/{id}/unread-count});
 *   <li>{@code POST /1.1/rtm/online {"peers": [≤ 20]}} ⇒ {@code {"results": [...]}} ({@code
 *       /1.2/rtm/clients/check-online});
 *   <li>{@code POST /1.1/rtm/client/kick {"client_id", "reason"}} ({@code
 *       /1.2/rtm/clients/{id}/kick}).
 * </ul>
 *
 * Master key unless said otherwise. {@code to_peers} (a message to some subscribers of a system
 * conversation) is refused with 400, as on {@code POST /1.1/rtm/messages}.
 */
public final class LegacyRtmEndpoints extends RestEndpoints {

  private final MessageEndpoints messages;
  private final ClientEndpoints clients;

  public LegacyRtmEndpoints(MessageEndpoints messages, ClientEndpoints clients) {
    this.messages = messages;
    this.clients = clients;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        path(
            rtm("messages", "logs"),
            () ->
                concat(
                    delete(() -> deleteLog(caller.requireMaster())),
                    put(() -> jsonBody(body -> editLog(caller.requireMaster(), body))))),
        path(
            rtm("patch", "message"),
            () -> post(() -> jsonBody(body -> patch(caller.requireMaster(), body)))),
        pathPrefix(
            rtm("messages", "unread").slash(PathMatchers.segment()),
            client ->
                concat(
                    pathEnd(
                        () -> get(() -> reply(clients.unread(caller, client, Optional.empty())))),
                    path(
                        PathMatchers.segment(),
                        cid ->
                            get(() -> reply(clients.unread(caller, client, Optional.of(cid))))))),
        path(
            rtm("online"),
            () ->
                postJson(
                    body ->
                        clients.online(
                            caller.requireMaster(),
                            clientIds(body, "peers", ClientEndpoints.MAX_CHECKED)))),
        path(
            rtm("client", "kick"),
            () ->
                postJson(
                    body ->
                        clients.kick(
                            caller.requireMaster(),
                            requiredText(body, "client_id"),
                            optionalText(body, "reason")))));
  }

  private Route deleteLog(Caller caller) {
    return parameterOptional(
        "convid",
        cid ->
            parameterOptional(
                "msgid",
                msgid ->
                    parameterOptional(
                        "timestamp",
                        timestamp ->
                            reply(
                                messages.deleteStored(
                                    caller,
                                    requiredParameter(cid, "convid"),
                                    requiredParameter(msgid, "msgid"),
                                    longParameter(
                                        Optional.of(requiredParameter(timestamp, "timestamp")),
                                        "timestamp",
                                        0))))));
  }

  /** A history record (§5.3) whose {@code data} replaces the stored message's. */
  private Route editLog(Caller caller, ObjectNode record) {
    return reply(
        messages.edit(
            caller,
            requiredText(record, "conv-id"),
            requiredText(record, "msg-id"),
            requiredText(record, "from"),
            requiredTimestamp(record, "timestamp"),
            false,
            requiredText(record, "data")));
  }

  private Route patch(Caller caller, ObjectNode body) {
    if (body.has("to_peers")) {
      throw RestError.badParameter(
          "to_peers (messages to some subscribers of a system conversation) is not supported");
    }
    boolean recall = optionalBoolean(body, "recall").orElse(false);
    return reply(
        messages.edit(
            caller,
            requiredText(body, "conv_id"),
            requiredText(body, "msg_id"),
            requiredText(body, "from_peer"),
            requiredTimestamp(body, "timestamp"),
            recall,
            recall ? "" : requiredText(body, "message")));
  }
}
