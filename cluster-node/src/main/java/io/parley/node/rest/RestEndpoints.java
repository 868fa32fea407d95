package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * A group of REST endpoints: {@link #routes} is given the authenticated {@link Caller} and matches
 * the path below {@code /1.1} or {@code /1.2}. The helpers read a JSON body (malformed: 400, code
 * 107), check parameters (400, code 1) and turn an answer, or its failure, into LeanCloud's
 * response. Each endpoint makes the same entity call as the client command it mirrors and only
 * translates around it.
 */
public abstract class RestEndpoints extends AllDirectives {

  protected static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(RestEndpoints.class);

  /** The endpoints of this group for {@code caller}; paths are relative to the version prefix. */
  public abstract Route routes(Caller caller);

  /** The path {@code rtm/first/...} (the IM API's paths below the version prefix). */
  protected static PathMatcher0 rtm(String first, String... more) {
    PathMatcher0 matcher = PathMatchers.segment("rtm").slash(first);
    for (String segment : more) {
      matcher = matcher.slash(segment);
    }
    return matcher;
  }

  /**
   * The request body as a JSON object; anything else is refused with 400 / 107 before {@code inner}
   * runs.
   */
  protected Route jsonBody(Function<ObjectNode, Route> inner) {
    return entity(
        Unmarshaller.entityToString(),
        body -> {
          JsonNode parsed;
          try {
            parsed = body.isBlank() ? JsonNodeFactory.instance.objectNode() : JSON.readTree(body);
          } catch (Exception malformed) {
            throw RestError.malformedJson();
          }
          if (!(parsed instanceof ObjectNode object)) {
            throw RestError.malformedJson();
          }
          return inner.apply(object);
        });
  }

  /** 200 with {@code body} once {@code answer} completes; a failure becomes its LeanCloud error. */
  protected Route reply(CompletionStage<? extends JsonNode> answer) {
    return completeWithFuture(
        Futures.direct(answer)
            .handle((body, failure) -> failure == null ? ok(body) : errorResponse(failure)));
  }

  /** {@code POST} with a JSON object body, answered 200 with what {@code call} makes of it. */
  protected Route postJson(Function<ObjectNode, CompletionStage<? extends JsonNode>> call) {
    return post(() -> jsonBody(body -> reply(call.apply(body))));
  }

  /** 201 Created with {@code body} (the storage API's answer to a new object). */
  protected Route replyCreated(CompletionStage<? extends JsonNode> answer) {
    return completeWithFuture(
        Futures.direct(answer)
            .handle(
                (body, failure) ->
                    failure == null
                        ? ok(body)
                            .withStatus(org.apache.pekko.http.javadsl.model.StatusCodes.CREATED)
                        : errorResponse(failure)));
  }

  protected static HttpResponse ok(JsonNode body) {
    return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body.toString());
  }

  static HttpResponse errorResponse(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof RestError error) {
      return error.toResponse();
    }
    if (cause instanceof TimeoutException) {
      return RestError.unavailable().toResponse();
    }
    LOG.warn("REST call failed: {}", cause.toString());
    return RestError.internalError().toResponse();
  }

  // ------------------------------------------------------------------------------------------
  // parameters

  /**
   * The request's query parameters, for routes that read several: one directive instead of a {@code
   * parameterOptional} per name.
   */
  protected Route withParameters(Function<Parameters, Route> inner) {
    return extractUri(uri -> inner.apply(new Parameters(uri.query())));
  }

  /** The query parameters of one request; a repeated name gives its first value. */
  protected record Parameters(Query query) {

    public Optional<String> optional(String name) {
      return query.get(name);
    }

    /** A required non-empty parameter (400 / 1 when missing). */
    public String required(String name) {
      return requiredParameter(optional(name), name);
    }
  }

  /** A required non-empty string field. */
  protected static String requiredText(ObjectNode body, String field) {
    return optionalText(body, field)
        .filter(value -> !value.isEmpty())
        .orElseThrow(() -> RestError.badParameter(field + " is required (a non-empty string)"));
  }

  /** A required non-empty query parameter. */
  protected static String requiredParameter(Optional<String> value, String name) {
    return value
        .filter(text -> !text.isEmpty())
        .orElseThrow(() -> RestError.badParameter(name + " is required (a non-empty string)"));
  }

  /** A message's timestamp (ms), required. */
  protected static long requiredTimestamp(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || !value.canConvertToLong()) {
      throw RestError.badParameter(field + " is required (the message's timestamp in ms)");
    }
    return value.longValue();
  }

  /** An optional string field; a present non-string is a bad parameter. */
  protected static Optional<String> optionalText(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw RestError.badParameter(field + " must be a string");
    }
    return Optional.of(value.textValue());
  }

  /** An optional boolean field (JSON boolean, or "true"/"false"). */
  protected static Optional<Boolean> optionalBoolean(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (value.isBoolean()) {
      return Optional.of(value.booleanValue());
    }
    if (value.isTextual()
        && (value.textValue().equals("true") || value.textValue().equals("false"))) {
      return Optional.of(Boolean.parseBoolean(value.textValue()));
    }
    throw RestError.badParameter(field + " must be a boolean");
  }

  /** A required array of 1 to {@code max} non-empty client ids. */
  protected static List<String> clientIds(ObjectNode body, String field, int max) {
    JsonNode value = body.get(field);
    if (value == null || !value.isArray() || value.isEmpty()) {
      throw RestError.badParameter(field + " is required (a non-empty array of client ids)");
    }
    if (value.size() > max) {
      throw RestError.badParameter(field + " has " + value.size() + " client ids, at most " + max);
    }
    List<String> ids = new ArrayList<>();
    for (JsonNode id : value) {
      if (!id.isTextual() || id.textValue().isEmpty()) {
        throw RestError.badParameter(field + " must contain non-empty strings");
      }
      ids.add(id.textValue());
    }
    return ids;
  }

  /** A query parameter as an int within [min, max], or {@code fallback} when absent. */
  protected static int intParameter(
      Optional<String> raw, String name, int fallback, int min, int max) {
    if (raw.isEmpty() || raw.get().isEmpty()) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value < min || value > max) {
        throw RestError.badParameter(name + " must be between " + min + " and " + max);
      }
      return value;
    } catch (NumberFormatException notANumber) {
      throw RestError.badParameter(name + " must be an integer");
    }
  }

  /** A query parameter as a long, or {@code fallback} when absent. */
  protected static long longParameter(Optional<String> raw, String name, long fallback) {
    if (raw.isEmpty() || raw.get().isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(raw.get());
    } catch (NumberFormatException notANumber) {
      throw RestError.badParameter(name + " must be an integer");
    }
  }
}
