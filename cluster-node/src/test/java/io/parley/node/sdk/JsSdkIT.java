package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestNode;
import io.parley.node.testing.TestTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The unmodified official JS SDKs (leancloud-realtime 4.3.1 and 5.0.0-rc.8 from npm) log in to a
 * two-node Parley cluster: one node plain (ws/http), one with TLS (wss/https) on the same listener.
 */
@ExtendWith(SharedCassandra.class)
class JsSdkIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static TestNode plain;
  private static TestNode tls;
  private static TestTls certificate;

  @BeforeAll
  static void startNodes() {
    plain = TestNode.start(TestNode.Ports.free());
    certificate = TestTls.create();
    tls = TestNode.start(TestNode.Ports.free(), plain.ports(), certificate.nodeConfig());
  }

  @AfterAll
  static void stopNodes() {
    tls.close();
    plain.close();
  }

  private static List<String> args(int sdk, boolean binary, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--sdk",
                Integer.toString(sdk),
                "--app-id",
                "parley-dev",
                "--app-key",
                "parley-dev-key"));
    if (!binary) {
      args.add("--no-binary");
    }
    args.addAll(List.of(more));
    return args;
  }

  private static JsonNode assertOk(JsonNode result) {
    assertTrue(result.path("ok").asBoolean(), () -> "SDK scenario failed: " + result);
    return result;
  }

  private static String expectedSubprotocol(boolean binary) {
    return binary ? "lc.protobuf2.3" : "lc.proto2base64.3";
  }

  @ParameterizedTest(name = "sdk {0}, binary {1}")
  @CsvSource({"4,true", "4,false", "5,true", "5,false"})
  void two_clients_log_in_through_rtm_servers(int sdk, boolean binary) {
    String rtm = plain.webSocketUri().toString();
    JsonNode result =
        assertOk(
            JsSdk.run("login-two", args(sdk, binary, "--rtm", rtm, "--ids", "Tom,Jerry"), TIMEOUT));
    assertEquals("[\"Tom\",\"Jerry\"]", result.get("clientIds").toString());
    assertEquals(expectedSubprotocol(binary), result.get("subprotocol").asText());
    assertTrue(!result.path("routerCalled").asBoolean(), "RTMServers must skip the router");
  }

  @ParameterizedTest(name = "binary {0}")
  @CsvSource({"true", "false"})
  void sdk5_logs_in_through_the_plain_http_router(boolean binary) {
    JsonNode result =
        assertOk(
            JsSdk.run(
                "login-two",
                args(5, binary, "--server", plain.httpBase(), "--ids", "Ann,Ben"),
                TIMEOUT));
    assertTrue(result.get("routerCalled").asBoolean());
    assertEquals(expectedSubprotocol(binary), result.get("subprotocol").asText());
  }

  /** JS 4.3.1 always calls its router over https, so it needs the TLS listener. */
  @ParameterizedTest(name = "sdk {0}")
  @CsvSource({"4", "5"})
  void router_over_https_hands_out_wss_on_the_tls_listener(int sdk) {
    String server = "https://127.0.0.1:" + tls.ports().http();
    JsonNode result =
        assertOk(
            JsSdk.run(
                "login-two",
                args(
                    sdk,
                    true,
                    "--server",
                    server,
                    "--ca",
                    certificate.certificatePem().toString(),
                    "--ids",
                    "Cat,Dan"),
                TIMEOUT));
    assertTrue(result.get("routerCalled").asBoolean());
    assertTrue(
        result
            .get("routerRequests")
            .get(0)
            .asText()
            .startsWith("https://127.0.0.1:" + tls.ports().http() + "/v1/route"),
        () -> "router request " + result.get("routerRequests"));
    assertTrue(
        result.get("connections").get(0).get("url").asText().startsWith("wss://"),
        () -> "connections " + result.get("connections"));
  }

  @ParameterizedTest(name = "sdk {0}, binary {1}")
  @CsvSource({"4,true", "5,true", "5,false"})
  void a_client_closes_and_another_reconnects_with_its_session_token(int sdk, boolean binary) {
    String rtm = plain.webSocketUri().toString();
    JsonNode result =
        assertOk(
            JsSdk.run(
                "close-then-other-reconnects",
                args(sdk, binary, "--rtm", rtm, "--ids", "Eve,Fay"),
                TIMEOUT));
    JsonNode reconnect = result.get("reconnect");
    assertTrue(reconnect.get("reopenCarriedSt").asBoolean(), reconnect::toString);
    assertTrue(reconnect.get("reopen").get("r").asBoolean(), reconnect::toString);
    assertTrue(reconnect.get("newConnection").asBoolean(), reconnect::toString);
    assertTrue(reconnect.get("usableAfterReconnect").asBoolean(), reconnect::toString);
    assertEquals(
        0, reconnect.path("errorsAfterDrop").size(), () -> "re-login was refused: " + reconnect);
  }

  @Test
  void a_token_reconnect_lands_on_the_other_node_of_the_cluster() {
    String rtm = plain.webSocketUri() + ",wss://127.0.0.1:" + tls.ports().http() + "/";
    JsonNode result =
        assertOk(
            JsSdk.run(
                "reconnect-with-token",
                args(
                    5,
                    true,
                    "--rtm",
                    rtm,
                    "--ca",
                    certificate.certificatePem().toString(),
                    "--ids",
                    "Gus"),
                TIMEOUT));
    JsonNode reconnect = result.get("reconnect");
    assertTrue(reconnect.get("usableAfterReconnect").asBoolean(), reconnect::toString);
    assertEquals(0, reconnect.path("errorsAfterDrop").size(), reconnect::toString);
  }
}
