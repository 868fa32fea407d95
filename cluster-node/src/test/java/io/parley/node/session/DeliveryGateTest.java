package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/**
 * The order of one socket's pushes ({@link DeliveryGate}): replies before the pushes their requests
 * caused, echoes dropped. No actor runs: the session is a plain record of what it awaits and what
 * it wrote.
 */
class DeliveryGateTest {

  private static final String CID = "0123456789abcdef01234567";

  /** This session's own inbox (the origin of what it sends), and another session's. */
  private final ActorRef<Delivery> self = TestInbox.<Delivery>create().getRef();

  private final ActorRef<Delivery> elsewhere = TestInbox.<Delivery>create().getRef();

  private final Map<String, Object> clients = new LinkedHashMap<>();
  private final Session session = new Session();
  private final DeliveryGate gate = new DeliveryGate(self, clients, session);

  /** What the gate sees of its session: settable counts, and the frames written. */
  private final class Session implements DeliveryGate.Session {
    int sendsInFlight;
    int patchesInFlight;
    final Map<Integer, String> unanswered = new HashMap<>();
    final List<GenericCommand> written = new ArrayList<>();

    @Override
    public boolean awaitingReply(String cid) {
      return unanswered.containsValue(cid);
    }

    @Override
    public String answered(int requestId) {
      return unanswered.remove(requestId);
    }

    @Override
    public int sendsInFlight() {
      return sendsInFlight;
    }

    @Override
    public int patchesInFlight() {
      return patchesInFlight;
    }

    @Override
    public void send(GenericCommand push) {
      write(push);
    }
  }

  /** The session writes a frame: the socket gets it, then the gate hears of it. */
  private void write(GenericCommand frame) {
    session.written.add(frame);
    gate.sent(frame);
  }

  private void loggedIn(String... clientIds) {
    for (String clientId : clientIds) {
      clients.put(clientId, clientId);
    }
  }

  private static StoredMessage message(String id, String from) {
    return new StoredMessage(
        id, from, 1L, "hi", false, List.of(), false, false, 0L, false, null, List.of(), 0L);
  }

  private static Delivery direct(String to, String id, String from, ActorRef<Delivery> origin) {
    return new Delivery(to, new Notice.Message(CID, message(id, from), 0, false, origin));
  }

  private static GenericCommand ack(String messageId) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.ack)
        .setAckMessage(AckCommand.newBuilder().setUid(messageId).setMid(messageId))
        .build();
  }

  /** Who each written push was for, and which message it carries. */
  private List<String> pushes() {
    return session.written.stream()
        .filter(frame -> frame.getCmd() == CommandType.direct)
        .map(frame -> frame.getPeerId() + ":" + frame.getDirectMessage().getId())
        .toList();
  }

  @Test
  void
      a_push_caused_by_a_socket_mates_direct_is_held_until_its_ack_is_sent_then_released_in_order() {
    loggedIn("alice", "bob", "carol");
    session.sendsInFlight = 2;

    assertFalse(gate.admit(direct("bob", "m1", "alice", self)));
    assertFalse(gate.admit(direct("carol", "m1", "alice", self)));
    assertFalse(gate.admit(direct("bob", "m2", "alice", self)));
    assertEquals(List.of(), pushes());

    session.sendsInFlight = 1;
    write(ack("m1"));
    assertEquals(List.of("bob:m1", "carol:m1"), pushes());

    session.sendsInFlight = 0;
    write(ack("m2"));
    assertEquals(List.of("bob:m1", "carol:m1", "bob:m2"), pushes());
  }

  @Test
  void a_push_arriving_after_its_ack_went_out_passes_at_once() {
    loggedIn("alice", "bob");
    session.sendsInFlight = 1;
    write(ack("m1"));

    assertTrue(gate.admit(direct("bob", "m1", "alice", self)));
  }

  @Test
  void a_push_caused_by_a_patch_is_held_until_the_patch_reply_is_sent() {
    loggedIn("alice", "bob");
    session.patchesInFlight = 1;
    StoredMessage edited =
        new StoredMessage(
            "m1", "alice", 1L, "edited", false, List.of(), false, false, 42L, false, null,
            List.of(), 0L);

    assertFalse(gate.admit(new Delivery("bob", new Notice.Patched(CID, edited, self))));

    session.patchesInFlight = 0;
    write(
        GenericCommand.newBuilder()
            .setCmd(CommandType.patch)
            .setOp(OpType.modified)
            .setPatchMessage(PatchCommand.newBuilder().setLastPatchTime(42L))
            .build());
    assertEquals(CommandType.patch, session.written.get(session.written.size() - 1).getCmd());
    assertEquals("bob", session.written.get(session.written.size() - 1).getPeerId());
  }

  @Test
  void held_pushes_go_out_once_no_direct_of_the_session_awaits_its_answer() {
    loggedIn("alice", "bob");
    session.sendsInFlight = 1;
    assertFalse(gate.admit(direct("bob", "m1", "alice", self)));

    // The ack was lost to a timeout: the next frame written after the last answer releases it.
    session.sendsInFlight = 0;
    write(GenericCommand.newBuilder().setCmd(CommandType.echo).build());
    assertEquals(List.of("bob:m1"), pushes());
  }

  @Test
  void a_held_push_for_a_client_that_logged_out_meanwhile_is_dropped() {
    loggedIn("alice", "bob");
    session.sendsInFlight = 1;
    assertFalse(gate.admit(direct("bob", "m1", "alice", self)));

    clients.remove("bob");
    session.sendsInFlight = 0;
    write(ack("m1"));
    assertEquals(List.of(), pushes());
  }

  @Test
  void past_the_bound_the_oldest_held_push_goes_out_as_it_is() {
    loggedIn("alice", "bob");
    session.sendsInFlight = 1;
    for (int i = 0; i <= DeliveryGate.MAX_HELD; i++) {
      assertFalse(gate.admit(direct("bob", "m" + i, "alice", self)));
    }
    assertEquals(List.of("bob:m0"), pushes());
  }

  @Test
  void an_echo_of_the_clients_own_message_is_dropped_and_its_other_devices_get_it() {
    loggedIn("alice");

    assertFalse(gate.admit(direct("alice", "m1", "alice", self)));
    assertTrue(gate.admit(direct("alice", "m1", "alice", elsewhere)));
  }

  @Test
  void an_unread_change_made_by_this_session_is_not_sent_back_to_it() {
    loggedIn("alice");

    assertFalse(
        gate.admit(new Delivery("alice", new Notice.UnreadChanged(CID, 0, null, false, self))));
    assertTrue(
        gate.admit(
            new Delivery("alice", new Notice.UnreadChanged(CID, 0, null, false, elsewhere))));
  }

  @Test
  void with_one_client_on_the_socket_nothing_is_held() {
    loggedIn("alice");
    session.sendsInFlight = 1;

    assertTrue(gate.admit(direct("alice", "m1", "bob", elsewhere)));
  }

  @Test
  void a_notice_for_a_client_not_logged_in_here_is_dropped() {
    loggedIn("alice");

    assertFalse(gate.admit(direct("bob", "m1", "alice", elsewhere)));
  }

  @Test
  void a_member_event_waits_for_the_reply_to_this_sessions_request_about_its_conversation() {
    loggedIn("alice");
    session.unanswered.put(7, CID);

    assertFalse(gate.admit(new Delivery("alice", new Notice.Joined(CID, "alice", 1L))));
    assertTrue(gate.admit(new Delivery("alice", new Notice.Joined("another", "alice", 1L))));
    assertEquals(List.of(), session.written);

    GenericCommand added =
        GenericCommand.newBuilder().setCmd(CommandType.conv).setOp(OpType.added).setI(7).build();
    write(added);
    assertEquals(2, session.written.size());
    assertEquals(added, session.written.get(0));
    assertEquals(CommandType.conv, session.written.get(1).getCmd());
    assertEquals(OpType.joined, session.written.get(1).getOp());
    assertEquals("alice", session.written.get(1).getPeerId());
  }
}
