package io.parley.node.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.List;

/**
 * Logged-in test clients: connect to a node, open a session, and remember the client for closing.
 */
public final class TestClients {

  private TestClients() {}

  /**
   * A protobuf (v3) client logged in as {@code peerId} of {@code appId} on {@code node}, added to
   * {@code open}.
   */
  public static ImClient login(
      TestNode node, String appId, String peerId, List<ImClient> open, Duration wait) {
    return login(node, appId, peerId, Subprotocol.PROTOBUF_3, open, wait);
  }

  /** The same with another subprotocol (e.g. {@code PROTOBUF_1}, which gets offline pushes). */
  public static ImClient login(
      TestNode node,
      String appId,
      String peerId,
      Subprotocol protocol,
      List<ImClient> open,
      Duration wait) {
    ImClient client = ImClient.connect(node.webSocketUri(), protocol, OfferMode.HEADER, wait);
    open.add(client);
    GenericCommand opened = client.call(ImClient.sessionOpen(appId, peerId), wait);
    assertEquals(OpType.opened, opened.getOp(), opened::toString);
    return client;
  }

  /**
   * The next push of {@code cmd} (and {@code op}, unless null), skipping others; fails after {@code
   * wait}.
   */
  public static GenericCommand nextPush(
      ImClient client, io.parley.protocol.wire.CommandType cmd, OpType op, Duration wait) {
    while (true) {
      GenericCommand push = client.nextPush(wait);
      if (push.getCmd() == cmd && (op == null || push.getOp() == op)) {
        return push;
      }
    }
  }

  /**
   * A push of {@code cmd} arriving within {@code quiet} of the previous push, skipping others;
   * empty if none.
   */
  public static java.util.Optional<GenericCommand> pollPush(
      ImClient client, io.parley.protocol.wire.CommandType cmd, Duration quiet) {
    while (true) {
      java.util.Optional<GenericCommand> push = client.pollPush(quiet);
      if (push.isEmpty() || push.get().getCmd() == cmd) {
        return push;
      }
    }
  }
}
