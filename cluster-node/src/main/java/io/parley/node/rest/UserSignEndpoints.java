package io.parley.node.rest;

import io.parley.node.session.UserLogins;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Login signatures for the app's users (REST-AND-HOOKS §2.1, §3.4, §4.6): {@code POST /1.1/rtm/sign
 * {"session_token"}} (what {@code createIMClient(AV.User)} of the JS SDK, the Java SDK's {@code
 * LCUserSignatureFactory} and .NET call) and {@code GET /1.2/rtm/clients/sign?session_token=}, with
 * the app key. The answer {@code {"signature", "timestamp" (ms, a number), "nonce", "client_id"}}
 * signs the login of the user's objectId; see {@link UserLogins}. Refusals: an unknown token 400 /
 * 211, {@code _rtmClientSign} saying no 403 / 142, its failure 503 / 142, the store down 503 / 1,
 * no store configured 501 / 1.
 */
public final class UserSignEndpoints extends RestEndpoints {

  private final UserLogins logins;

  public UserSignEndpoints(UserLogins logins) {
    this.logins = logins;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        path(
            rtm("sign"),
            () ->
                post(
                    () ->
                        jsonBody(
                            body ->
                                sign(caller, Optional.of(requiredText(body, "session_token")))))),
        path(
            rtm("clients", "sign"),
            () -> get(() -> parameterOptional("session_token", token -> sign(caller, token)))));
  }

  private Route sign(Caller caller, Optional<String> token) {
    String sessionToken =
        token
            .filter(value -> !value.isEmpty())
            .orElseThrow(() -> RestError.badParameter("session_token is required"));
    return reply(
        logins
            .sign(caller.app(), sessionToken)
            .thenApply(
                outcome -> {
                  if (outcome instanceof UserLogins.Outcome.Refused refused) {
                    throw refusal(refused.reason());
                  }
                  UserLogins.Outcome.Signed signed = (UserLogins.Outcome.Signed) outcome;
                  return JSON.createObjectNode()
                      .put("signature", signed.signature())
                      .put("timestamp", signed.timestamp())
                      .put("nonce", signed.nonce())
                      .put("client_id", signed.clientId());
                }));
  }

  private static RestError refusal(UserLogins.Reason reason) {
    return switch (reason) {
      case UNKNOWN_TOKEN ->
          error(StatusCodes.BAD_REQUEST, RestError.USER_NOT_FOUND, "Could not find user.");
      case REFUSED_BY_APP ->
          error(
              StatusCodes.FORBIDDEN,
              RestError.REFUSED_BY_CLOUD_CODE,
              "The app's _rtmClientSign refused to sign this user's login.");
      case HOOK_FAILED ->
          error(
              StatusCodes.SERVICE_UNAVAILABLE,
              RestError.REFUSED_BY_CLOUD_CODE,
              "The app's _rtmClientSign hook failed; retry later.");
      case STORE_UNAVAILABLE ->
          error(
              StatusCodes.SERVICE_UNAVAILABLE,
              RestError.BAD_PARAMETER,
              "The app's user store did not answer; retry later.");
      case NOT_CONFIGURED ->
          error(
              StatusCodes.NOT_IMPLEMENTED,
              RestError.BAD_PARAMETER,
              "Login signatures for AV.User need the app's user store, which is not configured"
                  + " (parley.apps[].user-store.url, PARLEY_USER_STORE_URL).");
    };
  }

  private static RestError error(StatusCode status, int code, String message) {
    return new RestError(status, code, message);
  }
}
