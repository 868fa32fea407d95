package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RawWebSocket;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Node-wide limits (docs/protocol.md §17), on a node with small ones so that a test reaches them:
 * logins per source address (4113), connections per node (HTTP 503 with JSON), and a {@code login}
 * command that no longer keeps a connection without a session alive (4108). Ordered: the address's
 * login budget is shared by the class.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeLimitsIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @RegisterExtension
  static final NodeCluster cluster =
      new NodeCluster(
          1,
          String.join(
              "\n",
              "parley.limits.logins-per-address-per-minute = 5",
              "parley.limits.connections-per-node = 4",
              "parley.session.login-timeout = 2s"));

  private static ImClient connect() {
    return ImClient.connect(
        cluster.first().webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
  }

  @Test
  @Order(1)
  void logins_per_source_address_are_limited_and_the_connection_serves_on() {
    try (ImClient client = connect()) {
      for (int n = 0; n < 5; n++) {
        assertEquals(
            OpType.opened,
            client.call(Commands.sessionOpen("parley-dev", "addr" + n), WAIT).getOp());
      }
      GenericCommand sixth = client.call(Commands.sessionOpen("parley-dev", "addr5"), WAIT);
      assertEquals(CommandType.error, sixth.getCmd(), sixth::toString);
      assertEquals(4113, sixth.getErrorMessage().getCode());
      assertEquals("APP_QUOTA_EXCEEDED", sixth.getErrorMessage().getReason());
      assertEquals(
          CommandType.echo,
          client.call(Commands.echo(), WAIT).getCmd(),
          "the logged-in clients are served on");
    }
  }

  /**
   * Review H3: a `login` (the Java SDK's push service) used to stop the login timeout without
   * opening a session.
   */
  @Test
  @Order(2)
  void a_push_service_login_does_not_stop_the_login_timeout() {
    try (ImClient client = connect()) {
      client.send(
          GenericCommand.newBuilder().setCmd(CommandType.login).setAppId("parley-dev").build());
      ImClient.CloseStatus close = client.awaitClose(WAIT);
      assertEquals(4108, close.code());
      assertEquals("LOGIN_TIMEOUT", close.reason());
    }
  }

  @Test
  @Order(3)
  void connections_beyond_the_node_cap_get_a_clear_answer_and_the_router_still_works()
      throws Exception {
    List<RawWebSocket> held = new ArrayList<>();
    try {
      IOException refused = null;
      for (int n = 0; n < 8 && refused == null; n++) {
        try {
          held.add(RawWebSocket.connect(cluster.first().ports().http(), "lc.protobuf2.3", 65536));
        } catch (IOException e) {
          refused = e;
        }
      }
      assertTrue(
          refused != null && refused.getMessage().contains(" 503 "),
          "refused with 503: " + refused);
      assertTrue(held.size() <= 4, "at most 4 held: " + held.size());
      HttpResponse<String> route =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(cluster.first().httpBase() + "/v1/route?appId=parley-dev"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, route.statusCode(), "the router answers while the WebSockets are full");
    } finally {
      for (RawWebSocket socket : held) {
        socket.close();
      }
    }
  }
}
