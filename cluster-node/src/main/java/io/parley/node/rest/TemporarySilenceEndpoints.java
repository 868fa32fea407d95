package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.Conversations;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Silences for a while (REST-AND-HOOKS §3.1, §3.2, §3.6): {@code POST}/{@code DELETE
 * /1.2/rtm/conversations/{id}/temporary-silenceds} (and {@code /1.2/rtm/chatrooms/...}), {@code
 * {"client_id", "ttl"}} with the ttl in seconds, at most 24 hours, the client id of a {@code
 * DELETE} in the query; and the legacy {@code POST|DELETE /1.1/rtm/conversation/blacklist} with
 * {@code client_id}, {@code conv_id}, {@code ttl}. Until the ttl passes, or the silence is lifted,
 * the client's sends in that conversation are refused with 4315. Master key only.
 */
public final class TemporarySilenceEndpoints extends RestEndpoints {

  /** LeanCloud's longest silence: 24 hours, in seconds. */
  static final long MAX_TTL_SECONDS = 24 * 60 * 60;

  private final Conversations conversations;
  private final Clock clock;

  public TemporarySilenceEndpoints(Conversations conversations, Clock clock) {
    this.conversations = conversations;
    this.clock = clock;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        path(
            rtm("conversations").slash(PathMatchers.segment()).slash("temporary-silenceds"),
            cid -> setOrLift(caller, Optional.of(cid))),
        path(
            rtm("chatrooms").slash(PathMatchers.segment()).slash("temporary-silenceds"),
            cid -> setOrLift(caller, Optional.of(cid))),
        path(rtm("conversation", "blacklist"), () -> setOrLift(caller, Optional.empty())));
  }

  /**
   * {@code POST} silences, {@code DELETE} lifts the silence. The conversation is the path's, or
   * (the legacy route) {@code conv_id}; a {@code DELETE} takes its parameters from the query or the
   * body.
   */
  private Route setOrLift(Caller caller, Optional<String> pathCid) {
    return concat(
        post(
            () ->
                jsonBody(
                    body ->
                        reply(
                            silence(
                                caller.requireMaster(),
                                pathCid.orElseGet(() -> requiredText(body, "conv_id")),
                                requiredText(body, "client_id"),
                                ttl(body))))),
        delete(
            () ->
                jsonBody(
                    body ->
                        parameterOptional(
                            "conv_id",
                            cid ->
                                parameterOptional(
                                    "client_id",
                                    clientId ->
                                        reply(
                                            silence(
                                                caller.requireMaster(),
                                                pathCid.orElseGet(
                                                    () ->
                                                        requiredParameter(
                                                            optionalText(body, "conv_id")
                                                                .or(() -> cid),
                                                            "conv_id")),
                                                requiredParameter(
                                                    optionalText(body, "client_id")
                                                        .or(() -> clientId),
                                                    "client_id"),
                                                0)))))));
  }

  /**
   * Silences {@code clientId} in {@code cid} for {@code ttlSeconds} (0: lifts the silence); answers
   * {@code {}}.
   */
  private CompletionStage<JsonNode> silence(
      Caller caller, String cid, String clientId, long ttlSeconds) {
    long now = clock.millis();
    long until = ttlSeconds == 0 ? 0 : now + ttlSeconds * 1000;
    return conversations
        .ask(
            caller.appId(),
            cid,
            replyTo -> new Conversation.SilenceTemporarily(List.of(clientId), until, now, replyTo))
        .thenApply(
            reply -> {
              ConversationEndpoints.accepted(reply);
              return JSON.createObjectNode();
            });
  }

  /** {@code ttl}: whole seconds, 1 to 24 hours (a number or a numeric string). */
  private static long ttl(ObjectNode body) {
    JsonNode ttl = body.get("ttl");
    long seconds;
    if (ttl != null && ttl.isIntegralNumber()) {
      seconds = ttl.longValue();
    } else if (ttl != null && ttl.isTextual() && ttl.textValue().matches("\\d{1,9}")) {
      seconds = Long.parseLong(ttl.textValue());
    } else {
      throw RestError.badParameter("ttl is required (seconds, 1 to " + MAX_TTL_SECONDS + ")");
    }
    if (seconds < 1 || seconds > MAX_TTL_SECONDS) {
      throw RestError.badParameter("ttl must be between 1 and " + MAX_TTL_SECONDS + " seconds");
    }
    return seconds;
  }
}
