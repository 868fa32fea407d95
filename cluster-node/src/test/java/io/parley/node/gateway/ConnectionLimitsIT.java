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
import io.parley.protocol.wire.OpType;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connection supervision on a node with short limits: no login (4108), silence (4107, where pings
 * count as traffic), and a client that stops reading is dropped instead of being buffered without
 * limit.
 */
class ConnectionLimitsIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @RegisterExtension
  static final NodeCluster CLUSTER =
      new NodeCluster(
          1,
          String.join(
              "\n",
              "parley.session.login-timeout = 1500ms",
              "parley.session.read-idle-timeout = 3s",
              "parley.session.outbound-buffer = 64"));

  private static ImClient connect() {
    return ImClient.connect(
        CLUSTER.first().webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
  }

  @Test
  void a_connection_without_login_is_closed_with_login_timeout() {
    try (ImClient client = connect()) {
      ImClient.CloseStatus close = client.awaitClose(WAIT);
      assertEquals(4108, close.code());
      assertEquals("LOGIN_TIMEOUT", close.reason());
    }
  }

  @Test
  void a_silent_connection_is_closed_with_read_timeout() {
    try (ImClient client = connect()) {
      client.call(Commands.sessionOpen("parley-dev", "quiet"), WAIT);
      ImClient.CloseStatus close = client.awaitClose(WAIT);
      assertEquals(4107, close.code());
      assertEquals("READ_TIMEOUT", close.reason());
    }
  }

  /** The Java SDK's heartbeat is a WebSocket ping: it must keep the connection alive on its own. */
  @Test
  void pings_alone_keep_a_logged_in_connection_alive() throws Exception {
    try (ImClient client = connect()) {
      client.call(Commands.sessionOpen("parley-dev", "pinger"), WAIT);
      long until = System.nanoTime() + Duration.ofSeconds(7).toNanos();
      while (System.nanoTime() < until) {
        assertTrue(client.ping(WAIT), "pong");
        Thread.sleep(700);
      }
      assertTrue(client.isOpen(), "7 s of pings outlive a 3 s read timeout");
    }
  }

  @Test
  void a_client_that_stops_reading_is_disconnected_and_others_are_still_served() throws Exception {
    int requests = 40_000;
    try (RawWebSocket stalled =
            RawWebSocket.connect(CLUSTER.first().ports().http(), "lc.json.3", 4096);
        ImClient bystander = connect()) {
      bystander.call(Commands.sessionOpen("parley-dev", "bystander"), WAIT);
      // Every session/open is answered with ~250 bytes: far more than socket buffers and the
      // outbound buffer.
      AtomicInteger written = new AtomicInteger();
      Thread writer =
          new Thread(
              () -> {
                try {
                  for (int n = 1; n <= requests; n++) {
                    stalled.sendText(
                        "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"parley-dev\",\"peerId\":\"stalled\",\"i\":"
                            + n
                            + "}");
                    written.incrementAndGet();
                  }
                } catch (IOException expected) {
                  // the server stopped reading from us: that is the point
                }
              });
      writer.setDaemon(true);
      writer.start();
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (writer.isAlive() && System.nanoTime() < until) {
        // the bystander keeps talking (this node's read timeout is 3 s) and is served meanwhile
        assertEquals(
            CommandType.echo,
            bystander.call(Commands.echo(), WAIT).getCmd(),
            "the node serves others meanwhile");
        writer.join(500);
      }

      int replies = 0;
      Integer closeCode = null;
      RawWebSocket.Received frame;
      while ((frame = stalled.read()) != null) {
        if (frame.opcode() == 0x8) {
          closeCode = frame.closeCode();
          break;
        }
        replies++;
      }
      assertTrue(
          replies < requests,
          "the server dropped the stalled client after "
              + replies
              + " of "
              + written.get()
              + " replies");
      assertEquals(1008, closeCode, "closed as a slow consumer");
      try (ImClient after = connect()) {
        assertEquals(
            OpType.opened, after.call(Commands.sessionOpen("parley-dev", "after"), WAIT).getOp());
      }
    }
  }
}
