package io.parley.node.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain HTTP client for the REST API, as an app server calls it: {@code X-LC-Id} plus one way of
 * proving a key ({@link #master}, {@link #appKey}, {@link #signed}, or any headers), and the raw
 * answer.
 */
public final class RestClient {

  public static final String APP = "parley-dev";
  public static final String APP_KEY = "parley-dev-key";
  public static final String MASTER_KEY = "parley-dev-master";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Status and body (parsed when JSON, else missing) of one answer, and its headers. */
  public record Response(
      int status, JsonNode body, String text, Map<String, java.util.List<String>> headers) {
    public int code() {
      return body.path("code").asInt(-1);
    }

    @Override
    public String toString() {
      return status + " " + text;
    }
  }

  private final String base;
  private final Map<String, String> headers;

  private RestClient(String base, Map<String, String> headers) {
    this.base = base;
    this.headers = headers;
  }

  /** No credentials at all. */
  public static RestClient anonymous(TestNode node) {
    return new RestClient(node.httpBase(), Map.of());
  }

  public static RestClient master(TestNode node) {
    return with(node, Map.of("X-LC-Id", APP, "X-LC-Key", MASTER_KEY + ",master"));
  }

  public static RestClient appKey(TestNode node) {
    return with(node, Map.of("X-LC-Id", APP, "X-LC-Key", APP_KEY));
  }

  /** {@code X-LC-Sign: md5(timestamp + key),timestamp[,master]}. */
  public static RestClient signed(TestNode node, String key, boolean master) {
    String timestamp = Long.toString(System.currentTimeMillis());
    return with(
        node,
        Map.of(
            "X-LC-Id",
            APP,
            "X-LC-Sign",
            md5(timestamp + key) + "," + timestamp + (master ? ",master" : "")));
  }

  public static RestClient with(TestNode node, Map<String, String> headers) {
    return new RestClient(node.httpBase(), new LinkedHashMap<>(headers));
  }

  /**
   * Waits until {@code node} stores a conversation (at most 60 s): on a fresh keyspace the first
   * entity of a cluster may fail to recover while two nodes create the journal's tables at once
   * (Cassandra's "Unknown CF" until the schema agrees), which a first REST call sees as 503.
   */
  public static void awaitWritable(TestNode node) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Response last;
    do {
      last = master(node).post("/1.2/rtm/conversations", "{\"name\":\"warm-up\"}");
      if (last.status() == 200) {
        return;
      }
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException("node never stored a conversation: " + last);
  }

  public Response get(String path) {
    return send("GET", path, null);
  }

  public Response post(String path, String body) {
    return send("POST", path, body);
  }

  public Response put(String path, String body) {
    return send("PUT", path, body);
  }

  public Response delete(String path, String body) {
    return send("DELETE", path, body);
  }

  public Response send(String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    headers.forEach(request::header);
    try {
      HttpResponse<String> response =
          HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      JsonNode parsed;
      try {
        parsed =
            response.body().isEmpty() ? MissingNode.getInstance() : JSON.readTree(response.body());
      } catch (Exception notJson) {
        parsed = MissingNode.getInstance();
      }
      return new Response(response.statusCode(), parsed, response.body(), response.headers().map());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    }
  }

  public static String encode(String value) {
    return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  public static java.util.List<String> texts(JsonNode array) {
    java.util.List<String> values = new java.util.ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  public static String md5(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
