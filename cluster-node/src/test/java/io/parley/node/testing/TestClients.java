package io.parley.node.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Logged-in test clients: connect to a node, open a session, and remember the client for closing.
 */
public final class TestClients {

  private TestClients() {}

  /** A logged-in client and the server's {@code session/opened} reply (session token…). */
  public record Session(ImClient client, GenericCommand opened) {
    /** The session token ({@code st}) the server issued. */
    public String token() {
      return opened.getSessionMessage().getSt();
    }
  }

  /**
   * A protobuf (v3) client logged in as {@code peerId} of {@code appId} on {@code node}, added to
   * {@code open}.
   */
  public static ImClient login(
      TestNode node, String appId, String peerId, List<ImClient> open, Duration wait) {
    return open(node, Subprotocol.PROTOBUF_3, appId, peerId, open, wait).client();
  }

  /** A protobuf (v3) client logged in as {@code peerId} on {@code node}; the caller closes it. */
  public static ImClient login(TestNode node, String appId, String peerId, Duration wait) {
    return login(node, appId, peerId, new ArrayList<>(), wait);
  }

  /** A protobuf (v3) client logged in as {@code peerId} on {@code node}, and its session. */
  public static Session open(
      TestNode node, String appId, String peerId, List<ImClient> open, Duration wait) {
    return open(node, Subprotocol.PROTOBUF_3, appId, peerId, open, wait);
  }

  /**
   * A client on {@code protocol} (offered in the header) logged in as {@code peerId} of {@code
   * appId} on {@code node}, added to {@code open}: the one login every IT goes through.
   */
  public static Session open(
      TestNode node,
      Subprotocol protocol,
      String appId,
      String peerId,
      List<ImClient> open,
      Duration wait) {
    ImClient client = ImClient.connect(node.webSocketUri(), protocol, OfferMode.HEADER, wait);
    open.add(client);
    return new Session(client, open(client, appId, peerId, wait));
  }

  /** Opens a session for {@code peerId} on a connected {@code client}; fails unless opened. */
  public static GenericCommand open(ImClient client, String appId, String peerId, Duration wait) {
    GenericCommand opened = client.call(Commands.sessionOpen(appId, peerId), wait);
    assertEquals(CommandType.session, opened.getCmd(), () -> "expected opened, got " + opened);
    assertEquals(OpType.opened, opened.getOp(), opened::toString);
    return opened;
  }

  /**
   * The next push of {@code cmd} (and {@code op}, unless null), skipping others; fails after {@code
   * wait}.
   */
  public static GenericCommand nextPush(
      ImClient client, CommandType cmd, OpType op, Duration wait) {
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
  public static Optional<GenericCommand> pollPush(
      ImClient client, CommandType cmd, Duration quiet) {
    while (true) {
      Optional<GenericCommand> push = client.pollPush(quiet);
      if (push.isEmpty() || push.get().getCmd() == cmd) {
        return push;
      }
    }
  }
}
