package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

  /** LeanCloud's "Malformed json object" code. */
  public static final int MALFORMED_JSON = 107;

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
    return new RestError(StatusCodes.UNAUTHORIZED, 401, "Unauthorized.");
  }

  /** The call needs the master key and got the app key. */
  public static RestError masterKeyRequired() {
    return new RestError(
        StatusCodes.UNAUTHORIZED, 401, "Unauthorized. The master key is required.");
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
        StatusCodes.TOO_MANY_REQUESTS, 429, "Too many requests: " + what + " rate limit exceeded.");
  }

  /**
   * A conversation's refusal with its LeanCloud code: not found is 404, a missing right 403,
   * anything else 400.
   */
  public static RestError refused(int code, String error) {
    StatusCode status =
        switch (code) {
          case 4303, 4404, 4323 -> StatusCodes.NOT_FOUND;
          case 4308, 4312, 4317, 4320, 4324, 4325, 4402, 4403, 4405, 4544 -> StatusCodes.FORBIDDEN;
          case 4301 -> StatusCodes.SERVICE_UNAVAILABLE;
          default -> StatusCodes.BAD_REQUEST;
        };
    return new RestError(status, code, error);
  }

  public static RestError unavailable() {
    return new RestError(
        StatusCodes.SERVICE_UNAVAILABLE, 4301, "The cluster did not answer in time, retry.");
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
