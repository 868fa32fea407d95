package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.parley.node.settings.NodeSettings;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The router ({@code GET /v1/route}, docs/protocol.md §1.1) as a unit: requests go straight into
 * the listener's handler, with no socket, node or Cassandra. {@code GatewayIT} keeps one check over
 * the real network.
 */
class GatewayRoutesTest {

  private static final String APP = "parley-dev";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ActorTestKit TEST_KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static GatewayRoutes gateway(String config) {
    NodeSettings settings =
        NodeSettings.fromConfig(
            ConfigFactory.parseString(config).withFallback(ConfigFactory.load()).resolve());
    // The router needs neither sessions nor the session stack: those serve WebSocket upgrades only;
    // no REST API.
    return new GatewayRoutes(
        TEST_KIT.system(),
        settings,
        null,
        null,
        new org.apache.pekko.http.javadsl.server.AllDirectives() {}.reject());
  }

  private static final GatewayRoutes PLAIN = gateway("");

  /**
   * The answer of {@code gateway} to {@code request}: its status in {@code _status}, then its JSON
   * body.
   */
  private static JsonNode answer(GatewayRoutes gateway, HttpRequest request) throws Exception {
    HttpResponse response =
        gateway.handler().apply(request).toCompletableFuture().get(5, TimeUnit.SECONDS);
    String body =
        response
            .entity()
            .toStrict(5_000, Materializer.matFromSystem(TEST_KIT.system()))
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS)
            .getData()
            .utf8String();
    JsonNode json = JSON.readTree(body);
    ((com.fasterxml.jackson.databind.node.ObjectNode) json)
        .put("_status", response.status().intValue());
    return json;
  }

  /** A request as the server sees it: an absolute URI and the Host header the client sent. */
  private static HttpRequest get(String hostAndPort, String pathAndQuery) {
    return HttpRequest.GET("http://" + hostAndPort + pathAndQuery)
        .addHeader(RawHeader.create("Host", hostAndPort));
  }

  @Test
  void the_answer_carries_every_field_the_sdks_read() throws Exception {
    JsonNode plain =
        answer(PLAIN, get("127.0.0.1:8080", "/v1/route?appId=" + APP + "&secure=0&_t=123"));
    assertEquals(200, plain.get("_status").asInt());
    assertEquals("ws://127.0.0.1:8080/", plain.get("server").asText());
    assertEquals("ws://127.0.0.1:8080/", plain.get("secondary").asText());
    assertEquals("g0", plain.get("groupId").asText());
    assertEquals("http://127.0.0.1:8080/v1/route", plain.get("groupUrl").asText());
    assertTrue(plain.get("ttl").isNumber(), "ttl must be a number");
  }

  /**
   * Without configured URLs the router answers with the host the client used (e.g. a proxy's name).
   */
  @Test
  void the_websocket_url_is_derived_from_the_host_the_client_asked() throws Exception {
    JsonNode body =
        answer(PLAIN, get("chat.example.com:8443", "/v1/route?appId=" + APP + "&secure=0"));
    assertEquals("ws://chat.example.com:8443/", body.get("server").asText());
    assertEquals("http://chat.example.com:8443/v1/route", body.get("groupUrl").asText());
  }

  /** A plain listener never hands out a wss URL it cannot serve; behind a TLS proxy it does. */
  @Test
  void wss_is_handed_out_only_when_tls_is_really_there() throws Exception {
    String secure = "/v1/route?appId=" + APP + "&secure=1";
    assertEquals(
        "ws://127.0.0.1:8080/",
        answer(PLAIN, get("127.0.0.1:8080", secure)).get("server").asText());
    HttpRequest proxied =
        get("chat.example.com", secure).addHeader(RawHeader.create("X-Forwarded-Proto", "https"));
    assertEquals("wss://chat.example.com/", answer(PLAIN, proxied).get("server").asText());
    // Without `secure` the SDK gets what the request arrived over.
    assertEquals(
        "wss://chat.example.com/",
        answer(
                PLAIN,
                get("chat.example.com", "/v1/route?appId=" + APP)
                    .addHeader(RawHeader.create("X-Forwarded-Proto", "https")))
            .get("server")
            .asText());
  }

  /** Behind a load balancer the router hands out the balancer's addresses, per scheme. */
  @Test
  void configured_load_balancer_urls_win_per_scheme() throws Exception {
    GatewayRoutes balanced =
        gateway(
            String.join(
                "\n",
                "parley.gateway.advertised-ws-url = \"ws://chat.example.invalid/ws\"",
                "parley.gateway.advertised-wss-url = \"wss://chat.example.invalid/ws\"",
                "parley.gateway.secondary-wss-url = \"wss://chat2.example.invalid/ws\""));
    JsonNode secure =
        answer(balanced, get("10.0.0.7:8080", "/v1/route?appId=" + APP + "&secure=1"));
    assertEquals("wss://chat.example.invalid/ws", secure.get("server").asText());
    assertEquals("wss://chat2.example.invalid/ws", secure.get("secondary").asText());
    JsonNode plain = answer(balanced, get("10.0.0.7:8080", "/v1/route?appId=" + APP + "&secure=0"));
    assertEquals("ws://chat.example.invalid/ws", plain.get("server").asText());
    assertEquals("ws://chat.example.invalid/ws", plain.get("secondary").asText());
  }

  @Test
  void unknown_and_missing_app_ids_get_a_json_error() throws Exception {
    JsonNode unknown = answer(PLAIN, get("127.0.0.1:8080", "/v1/route?appId=nope&secure=1"));
    assertEquals(404, unknown.get("_status").asInt());
    assertEquals(4100, unknown.get("code").asInt());
    assertTrue(unknown.get("error").asText().contains("nope"), unknown::toString);
    JsonNode missing = answer(PLAIN, get("127.0.0.1:8080", "/v1/route"));
    assertEquals(400, missing.get("_status").asInt());
    assertTrue(missing.get("error").asText().contains("appId"), missing::toString);
  }
}
