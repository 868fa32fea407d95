package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cn.leancloud.im.v2.AVIMClient;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The unmodified official Java SDK ({@code cn.leancloud:realtime-core:6.0.5}) logs two clients in, once with
 * {@code setRtmServer} and once through the router ({@code initialize(appId, appKey, baseUrl)}); our own
 * client sees them online.
 */
@ExtendWith(SharedCassandra.class)
class JavaSdkIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = TestNode.start(TestNode.Ports.free());
  }

  @AfterAll
  static void stopNode() {
    LeanCloudJavaSdk.reset();
    node.close();
  }

  @AfterEach
  void resetSdk() {
    LeanCloudJavaSdk.reset();
  }

  private static List<String> online(String... clientIds) {
    try (ImClient observer = ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, WAIT)) {
      observer.call(ImClient.sessionOpen("parley-dev", "observer"), WAIT);
      GenericCommand result = observer.call(GenericCommand.newBuilder().setCmd(CommandType.session).setOp(OpType.query)
          .setSessionMessage(SessionCommand.newBuilder().addAllSessionPeerIds(List.of(clientIds))), WAIT);
      return result.getSessionMessage().getOnlineSessionPeerIdsList();
    }
  }

  private static void loginTwoAndLogout(String first, String second) {
    LeanCloudJavaSdk.connect(WAIT);
    AVIMClient one = LeanCloudJavaSdk.login(first, WAIT);
    AVIMClient two = LeanCloudJavaSdk.login(second, WAIT);
    assertEquals(List.of(first, second), online(first, second, "nobody"));
    LeanCloudJavaSdk.logout(one, WAIT);
    LeanCloudJavaSdk.logout(two, WAIT);
  }

  @Test
  void two_clients_log_in_with_set_rtm_server() {
    LeanCloudJavaSdk.initDirect("parley-dev", "parley-dev-key", node.httpBase(), node.webSocketUri().toString());
    loginTwoAndLogout("java-direct-1", "java-direct-2");
  }

  @Test
  void two_clients_log_in_through_the_router() {
    LeanCloudJavaSdk.initWithRouter("parley-dev", "parley-dev-key", node.httpBase());
    loginTwoAndLogout("java-router-1", "java-router-2");
  }
}
