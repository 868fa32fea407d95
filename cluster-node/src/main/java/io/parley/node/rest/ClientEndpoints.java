package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Notice;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.security.TokenRevocation;
import io.parley.protocol.ErrorCode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * IM clients (REST-AND-HOOKS §3.4): {@code /1.2/rtm/clients/check-online} (master key), {@code
 * /1.2/rtm/clients/{client_id}/unread-count} (app key) and {@code
 * /1.2/rtm/clients/{client_id}/kick} (master key: the client's session tokens and earlier login
 * signatures are revoked on every node, then every session of the client, on any node, gets {@code
 * session/closed} 4115 with the reason; a re-login with an old token gets 4112).
 */
public final class ClientEndpoints extends RestEndpoints {

  /** {@code client_ids} per online check, as on LeanCloud. */
  static final int MAX_CHECKED = 20;

  /** Characters of a kick's reason, as on LeanCloud. */
  static final int MAX_REASON = 20;

  /** Subscriptions per listing page, at most (LeanCloud: 50). */
  static final int MAX_SUBSCRIPTIONS_PAGE = 50;

  private final ConversationFinder finder;
  private final NodeDirectory directory;
  private final TokenRevocation revocations;

  public ClientEndpoints(
      ConversationFinder finder, NodeDirectory directory, TokenRevocation revocations) {
    this.finder = finder;
    this.directory = directory;
    this.revocations = revocations;
  }

  @Override
  public Route routes(Caller caller) {
    return pathPrefix(
        rtm("clients"),
        () ->
            concat(
                path("check-online", () -> post(() -> checkOnline(caller.requireMaster()))),
                path(
                    PathMatchers.segment().slash("unread-count"),
                    clientId ->
                        get(
                            () ->
                                parameterOptional(
                                    "conv_id", cid -> unreadCount(caller, clientId, cid)))),
                path(
                    PathMatchers.segment().slash("kick"),
                    clientId -> post(() -> kick(caller.requireMaster(), clientId))),
                path(
                    PathMatchers.segment().slash("service-conversations"),
                    clientId ->
                        get(
                            () ->
                                parameterOptional(
                                    "limit",
                                    limit ->
                                        parameterOptional(
                                            "conv_id",
                                            after ->
                                                subscriptions(
                                                    caller.requireMaster(),
                                                    clientId,
                                                    limit,
                                                    after)))))));
  }

  /** {@code {"client_ids": [...]}} ⇒ {@code {"results": [the online ones, in the order asked]}}. */
  private Route checkOnline(Caller caller) {
    return jsonBody(body -> reply(online(caller, clientIds(body, "client_ids", MAX_CHECKED))));
  }

  /**
   * Which of {@code asked} are online on any node, in the order asked; also the legacy {@code POST
   * /1.1/rtm/online} ({@link LegacyRtmEndpoints}).
   */
  CompletionStage<JsonNode> online(Caller caller, List<String> asked) {
    return directory
        .online(caller.appId(), asked)
        .thenApply(
            online -> {
              ObjectNode answer = JSON.createObjectNode();
              ArrayNode results = answer.putArray("results");
              asked.stream().distinct().filter(online::contains).forEach(results::add);
              return answer;
            });
  }

  private Route unreadCount(Caller caller, String clientId, Optional<String> cid) {
    return reply(unread(caller, clientId, cid));
  }

  /**
   * {@code {"count": n}}: what {@code clientId} has not read, everywhere or in {@code cid}; also
   * the legacy {@code GET /1.1/rtm/messages/unread/{client}[/{conv}]}.
   */
  CompletionStage<JsonNode> unread(Caller caller, String clientId, Optional<String> cid) {
    return finder
        .unreadCount(caller.appId(), clientId, cid.filter(id -> !id.isEmpty()))
        .thenApply(count -> JSON.createObjectNode().put("count", count));
  }

  /**
   * {@code GET .../{client_id}/service-conversations?limit=&conv_id=}: the service conversations
   * the client subscribes to, {@code [{"subscriber", "conv_id"}]} in conversation id order after
   * {@code conv_id} (exclusive). LeanCloud orders by subscription time and adds it; Parley does not
   * keep it.
   */
  private Route subscriptions(
      Caller caller, String clientId, Optional<String> limit, Optional<String> after) {
    int pageSize = intParameter(limit, "limit", MAX_SUBSCRIPTIONS_PAGE, 1, MAX_SUBSCRIPTIONS_PAGE);
    return reply(
        finder
            .subscriptions(caller.appId(), clientId)
            .thenApply(
                found -> {
                  ArrayNode page = JSON.createArrayNode();
                  found.stream()
                      .filter(
                          conversation ->
                              after.isEmpty()
                                  || after.get().isEmpty()
                                  || conversation.id().compareTo(after.get()) > 0)
                      .limit(pageSize)
                      .forEach(
                          conversation ->
                              page.addObject()
                                  .put("subscriber", clientId)
                                  .put("conv_id", conversation.id()));
                  return page;
                }));
  }

  /** {@code {"reason": "≤ 20 characters"}} (optional) ⇒ {@code {}}. */
  private Route kick(Caller caller, String clientId) {
    return jsonBody(body -> reply(kick(caller, clientId, optionalText(body, "reason"))));
  }

  /**
   * Revokes the client's session tokens on every node, then closes each of its sessions with 4115
   * and the reason; also the legacy {@code POST /1.1/rtm/client/kick} ({@link LegacyRtmEndpoints}).
   */
  CompletionStage<JsonNode> kick(Caller caller, String clientId, Optional<String> given) {
    String reason = given.orElse("");
    if (reason.codePointCount(0, reason.length()) > MAX_REASON) {
      throw RestError.badParameter("reason has at most " + MAX_REASON + " characters");
    }
    return revocations
        .revokeClient(caller.appId(), clientId)
        .thenApply(
            revoked -> {
              directory.send(
                  caller.appId(),
                  List.of(clientId),
                  new Notice.SessionClosed("", ErrorCode.KICKED_BY_APP.code(), reason));
              return JSON.createObjectNode();
            });
  }
}
