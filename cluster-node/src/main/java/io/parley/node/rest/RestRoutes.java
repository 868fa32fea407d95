package io.parley.node.rest;

import io.parley.node.settings.NodeSettings;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * The REST API's route tree, mounted on the gateway's single listener (same port and TLS as the
 * router): everything under {@code /1.1} and {@code /1.2}. In order: CORS preflights are answered
 * without authentication (REST-AND-HOOKS §1); then the caller is authenticated ({@link RestAuth}),
 * the app's request budget is taken ({@link RestLimiter}), and the endpoint groups are tried in
 * turn. Every refusal, including an unknown endpoint, a body over the size limit and a failure
 * inside an endpoint, is answered with LeanCloud's JSON error; every answer allows any origin.
 */
public final class RestRoutes extends AllDirectives {

  /**
   * The headers browsers may send cross-origin: the LeanEngine CORS list plus the IM session token.
   */
  private static final String ALLOWED_HEADERS =
      String.join(
          ", ",
          "Content-Type",
          "X-LC-Id",
          "X-LC-Key",
          "X-LC-Session",
          "X-LC-Sign",
          "X-LC-Prod",
          "X-LC-UA",
          "X-LC-Hook-Key",
          RestAuth.SESSION_TOKEN_HEADER,
          "X-AVOSCloud-Application-Id",
          "X-AVOSCloud-Application-Key",
          "X-AVOSCloud-Request-Sign",
          "X-AVOSCloud-Session-Token",
          "X-Requested-With");

  private static final List<org.apache.pekko.http.javadsl.model.HttpHeader> CORS =
      List.of(RawHeader.create("Access-Control-Allow-Origin", "*"));

  private static final HttpResponse PREFLIGHT =
      HttpResponse.create()
          .withStatus(StatusCodes.OK)
          .addHeader(
              RawHeader.create("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"))
          .addHeader(RawHeader.create("Access-Control-Allow-Headers", ALLOWED_HEADERS))
          .addHeader(RawHeader.create("Access-Control-Max-Age", "86400"));

  private final RestAuth auth;
  private final RestLimiter limiter;
  private final NodeSettings.Rest settings;
  private final List<RestEndpoints> groups;

  public RestRoutes(
      RestAuth auth, RestLimiter limiter, NodeSettings.Rest settings, List<RestEndpoints> groups) {
    this.auth = auth;
    this.limiter = limiter;
    this.settings = settings;
    this.groups = List.copyOf(groups);
  }

  public Route routes() {
    return concat(pathPrefix("1.1", this::api), pathPrefix("1.2", this::api));
  }

  private Route api() {
    return respondWithHeaders(
        CORS,
        () ->
            concat(
                options(() -> complete(PREFLIGHT)),
                guarded(
                    () ->
                        extractRequest(
                            request -> {
                              Caller caller = auth.authenticate(request);
                              limiter.acquire(caller.app(), RestLimiter.Budget.REQUESTS);
                              Route[] endpoints =
                                  groups.stream()
                                      .map(group -> group.routes(caller))
                                      .toArray(Route[]::new);
                              Route served =
                                  concat(
                                      concat(
                                          endpoints[0],
                                          java.util.Arrays.copyOfRange(
                                              endpoints, 1, endpoints.length)),
                                      extractMethod(
                                          method ->
                                              extractUnmatchedPath(
                                                  path ->
                                                      complete(
                                                          RestError.response(
                                                              StatusCodes.NOT_FOUND,
                                                              RestError.NO_SUCH_ENDPOINT,
                                                              "No such endpoint: "
                                                                  + method.value()
                                                                  + " "
                                                                  + path)))));
                              return onSuccess(
                                  auth.revoked(caller),
                                  revoked ->
                                      revoked
                                          ? complete(RestAuth.invalidToken().toResponse())
                                          : served);
                            }))));
  }

  /** Errors thrown anywhere inside, and rejections, become LeanCloud's JSON errors. */
  private Route guarded(Supplier<Route> inner) {
    ExceptionHandler errors =
        ExceptionHandler.newBuilder()
            .match(RestError.class, error -> complete(error.toResponse()))
            .match(
                EntityStreamSizeException.class,
                tooLarge ->
                    complete(
                        RestError.response(
                            StatusCodes.PAYLOAD_TOO_LARGE,
                            RestError.BAD_PARAMETER,
                            "Request body over " + settings.maxBodyBytes() + " bytes.")))
            .matchAny(failure -> complete(RestEndpoints.errorResponse(failure)))
            .build();
    RejectionHandler rejections =
        RejectionHandler.newBuilder()
            .handle(
                MalformedRequestContentRejection.class,
                malformed ->
                    complete(
                        malformed.getCause() instanceof EntityStreamSizeException
                            ? RestError.response(
                                StatusCodes.PAYLOAD_TOO_LARGE,
                                RestError.BAD_PARAMETER,
                                "Request body over " + settings.maxBodyBytes() + " bytes.")
                            : RestError.malformedJson().toResponse()))
            .handleAll(
                org.apache.pekko.http.javadsl.server.Rejection.class,
                all ->
                    complete(
                        RestError.response(
                            StatusCodes.BAD_REQUEST, RestError.BAD_PARAMETER, "Bad request.")))
            .build();
    return handleExceptions(
        errors,
        () -> handleRejections(rejections, () -> withSizeLimit(settings.maxBodyBytes(), inner)));
  }
}
