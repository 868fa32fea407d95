package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.protocol.ErrorCode;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A refused REST call, as LeanCloud answers it: an HTTP status and a JSON body {@code {"code": n,
 * "error": "..."}} (REST-AND-HOOKS §1). Thrown anywhere below the route tree, it becomes the
 * response; nothing was changed when it is thrown before the call reached a conversation.
 */
public final class RestError extends RuntimeException {

  /**
   * LeanCloud's "internal error or bad parameter" code: a parameter is missing or has the wrong
   * type.
   */
  public static final int BAD_PARAMETER = 1;

  /** LeanCloud's code for an internal error: the same code as a bad parameter. */
  public static final int INTERNAL_ERROR = BAD_PARAMETER;

  /** LeanCloud's "Malformed json object" code. */
  public static final int MALFORMED_JSON = 107;

  /** LeanCloud's code for a missing or wrong key or signature: the HTTP status itself. */
  public static final int UNAUTHORIZED = 401;

  /** The code of a path no endpoint serves: the HTTP status itself. */
  public static final int NO_SUCH_ENDPOINT = 404;

  /** LeanCloud's code for a call over the app's rate limit: the HTTP status itself. */
  public static final int TOO_MANY_REQUESTS = 429;

  /** LeanCloud's storage code for an unknown session token ("Could not find user"). */
  public static final int USER_NOT_FOUND = 211;

  /** LeanCloud's "Cloud Code validation failed": the app's own hook refused. */
  public static final int REFUSED_BY_CLOUD_CODE = 142;

  private final StatusCode status;
  private final int code;

  public RestError(StatusCode status, int code, String error) {
    super(error, null, false, false);
    this.status = status;
    this.code = code;
  }

  public StatusCode status() {
    return status;
  }

  public int code() {
    return code;
  }

  /** No app, an unknown app, a wrong or missing key or signature. */
  public static RestError unauthorized() {
    return new RestError(StatusCodes.UNAUTHORIZED, UNAUTHORIZED, "Unauthorized.");
  }

  /** The call needs the master key and got the app key. */
  public static RestError masterKeyRequired() {
    return new RestError(
        StatusCodes.UNAUTHORIZED, UNAUTHORIZED, "Unauthorized. The master key is required.");
  }

  /** A client-scoped call with neither an IM session token nor the master key. */
  public static RestError clientRequired() {
    return new RestError(
        StatusCodes.UNAUTHORIZED,
        UNAUTHORIZED,
        "Unauthorized. An IM session token (X-LC-IM-Session-Token) or the master key is required.");
  }

  /** An IM session token that is forged, expired or revoked. */
  public static RestError invalidSessionToken() {
    return new RestError(
        StatusCodes.UNAUTHORIZED,
        ErrorCode.SESSION_TOKEN_EXPIRED.code(),
        "Invalid or expired IM session token.");
  }

  public static RestError badParameter(String error) {
    return new RestError(StatusCodes.BAD_REQUEST, BAD_PARAMETER, error);
  }

  public static RestError malformedJson() {
    return new RestError(
        StatusCodes.BAD_REQUEST,
        MALFORMED_JSON,
        "Malformed json object. A json dictionary is expected.");
  }

  public static RestError tooManyRequests(String what) {
    return new RestError(
        StatusCodes.TOO_MANY_REQUESTS,
        TOO_MANY_REQUESTS,
        "Too many requests: " + what + " rate limit exceeded.");
  }

  /**
   * A conversation's refusal with its LeanCloud code: not found is 404, a missing right 403,
   * anything else 400.
   */
  public static RestError refused(int code, String error) {
    StatusCode status = ErrorCode.of(code).map(RestError::status).orElse(StatusCodes.BAD_REQUEST);
    return new RestError(status, code, error);
  }

  public static RestError refused(ErrorCode code, String error) {
    return refused(code.code(), error);
  }

  /** {@code cid} names no conversation of the app: 404 / 4303. */
  public static RestError conversationNotFound(String cid) {
    return refused(ErrorCode.CONVERSATION_NOT_FOUND, "Conversation " + cid + " not found.");
  }

  private static StatusCode status(ErrorCode code) {
    return switch (code) {
      case CONVERSATION_NOT_FOUND, MESSAGE_NOT_FOUND, TEMPORARY_CONVERSATION_EXPIRED ->
          StatusCodes.NOT_FOUND;
      case CONVERSATION_NOT_ALLOWED,
          CONVERSATION_LOG_REJECTED,
          CONVERSATION_MEMBERSHIP_REQUIRED,
          CONVERSATION_OPERATION_UNAUTHORIZED,
          CONVERSATION_NEED_OWNER,
          CONVERSATION_MEMBER_INFO_FEATURE_DISABLED,
          MESSAGE_REJECTED_BY_APP,
          MESSAGE_OWNERSHIP_REQUIRED,
          MESSAGE_UPDATE_REJECTED_BY_APP,
          BLACKLIST_FEATURE_DISABLED ->
          StatusCodes.FORBIDDEN;
      case CONVERSATION_API_FAILED -> StatusCodes.SERVICE_UNAVAILABLE;
      default -> StatusCodes.BAD_REQUEST;
    };
  }

  /** A failure of Parley's own (logged where it happens): 500 / 1, the caller may retry. */
  public static RestError internalError() {
    return new RestError(
        StatusCodes.INTERNAL_SERVER_ERROR, INTERNAL_ERROR, "Internal server error, retry.");
  }

  public static RestError unavailable() {
    return new RestError(
        StatusCodes.SERVICE_UNAVAILABLE,
        ErrorCode.CONVERSATION_API_FAILED.code(),
        "The cluster did not answer in time, retry.");
  }

  public HttpResponse toResponse() {
    return response(status, code, getMessage());
  }

  static HttpResponse response(StatusCode status, int code, String error) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("code", code);
    body.put("error", error);
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
  }
}
