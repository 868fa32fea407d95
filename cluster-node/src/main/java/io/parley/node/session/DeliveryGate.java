package io.parley.node.session;

import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The order in which conversation notices reach one socket, owned by its {@link SessionActor}: a
 * reply goes out before the pushes its request caused (docs/protocol.md §3.2). The session asks
 * {@link #admit} for every notice that arrives and tells {@link #sent} about every frame it writes.
 *
 * <ul>
 *   <li>Echoes are dropped: the session a message, read or patch came from does not get it back
 *       (the client's other devices do).
 *   <li>Member events about a conversation wait while a request of this session about it is
 *       unanswered (e.g. {@code added} before the inviter's {@code members_joined}).
 *   <li>While several clients share the socket, a push that one client's {@code direct} or {@code
 *       patch} caused for another is held until that request's reply has gone out (issue 9 point
 *       4), then released in arrival order; at most {@link #MAX_HELD} are held, the oldest go out
 *       as they are past that, and all go out once no such request awaits an answer.
 * </ul>
 *
 * <p>Its maps are made on first use: a socket with one client (the usual case) never needs them.
 */
final class DeliveryGate {

  /** Bounds of the shared-socket order: notices held, and reply keys remembered. */
  static final int MAX_HELD = 1000;

  static final int MAX_REPLIED = 256;

  /** What the gate needs from its session: the requests it awaits, and the socket. */
  interface Session {
    /** Whether a request about {@code cid} from this session is still unanswered. */
    boolean awaitingReply(String cid);

    /** A frame with {@code i} went out: the conversation whose notices may now follow, or null. */
    String answered(int requestId);

    /** {@code direct}s of this session that await their answer. */
    int sendsInFlight();

    /** {@code patch}es of this session that await their answer. */
    int patchesInFlight();

    /** Writes a released push to the socket (which tells {@link #sent} in turn). */
    void send(GenericCommand push);
  }

  /**
   * The gate's view of a session: its conversation and message handlers' unanswered requests, and
   * {@code send}, which writes to the socket and tells the gate.
   */
  static Session sessionOf(
      ConversationCommands conversations, MessageCommands messages, Consumer<GenericCommand> send) {
    return new Session() {
      @Override
      public boolean awaitingReply(String cid) {
        return conversations.awaitingReply(cid);
      }

      @Override
      public String answered(int requestId) {
        return conversations.answered(requestId);
      }

      @Override
      public int sendsInFlight() {
        return messages.sends().sendsInFlight();
      }

      @Override
      public int patchesInFlight() {
        return messages.sends().patchesInFlight();
      }

      @Override
      public void send(GenericCommand push) {
        send.accept(push);
      }
    };
  }

  /** This session as conversations know it: the {@code origin} of what it sent. */
  private final ActorRef<Delivery> self;

  /** The clients logged in on the socket, by clientId (the session's own map, read live). */
  private final Map<String, ?> clients;

  private final Session session;

  /** Member events held back until this session's reply about the same conversation went out. */
  private Map<String, List<Delivery>> deferred;

  /**
   * Pushes held until the reply to the command that caused them has gone out (key: {@code
   * m:}message id, {@code p:}patch time), oldest first; at most {@link #MAX_HELD} notices in all.
   */
  private LinkedHashMap<String, List<Delivery>> held;

  private int heldCount;

  /**
   * Keys whose reply went out while several clients shared this socket: their pushes need no wait.
   */
  private Map<String, Boolean> replied;

  DeliveryGate(ActorRef<Delivery> self, Map<String, ?> clients, Session session) {
    this.self = self;
    this.clients = clients;
    this.session = session;
  }

  /**
   * Whether {@code delivery} goes out now; false: it is not for a client here, an echo (dropped),
   * or waits for a reply (it follows that reply).
   */
  boolean admit(Delivery delivery) {
    if (!clients.containsKey(delivery.clientId()) || isEcho(delivery)) {
      return false;
    }
    Notice notice = delivery.notice();
    if (memberEvent(notice) && session.awaitingReply(notice.cid())) {
      if (deferred == null) {
        deferred = new HashMap<>();
      }
      deferred.computeIfAbsent(notice.cid(), cid -> new ArrayList<>()).add(delivery);
      return false;
    }
    String key = ownPushKey(delivery);
    if (key != null && (replied == null || !replied.containsKey(key)) && awaitingOwnReply(notice)) {
      hold(key, delivery);
      return false;
    }
    return true;
  }

  /**
   * A frame was written to the socket: member events deferred until it (a reply with {@code i})
   * follow, and so do the pushes held behind it.
   */
  void sent(GenericCommand command) {
    if (command.hasI()) {
      String settled = session.answered(command.getI());
      List<Delivery> waiting =
          settled == null || deferred == null ? null : deferred.remove(settled);
      if (waiting != null) {
        waiting.forEach(
            delivery -> session.send(NoticeFrames.toPush(delivery.clientId(), delivery.notice())));
      }
    }
    afterReply(command);
  }

  private static boolean memberEvent(Notice notice) {
    return !(notice instanceof Notice.Message
        || notice instanceof Notice.Receipt
        || notice instanceof Notice.UnreadChanged
        || notice instanceof Notice.Patched);
  }

  /**
   * The reply key of a push that this very session's command caused for another client on this
   * socket (a socket-mate): {@code m:}message id or {@code p:}patch time; null for anything else,
   * and always while only one client is logged in here. Such a push can overtake the reply (the
   * conversation answers the ask and tells the node's directory separately, possibly from another
   * node over another lane), and a client that multiplexes its clients on one socket must see the
   * reply first.
   */
  private String ownPushKey(Delivery delivery) {
    if (clients.size() < 2) {
      return null;
    }
    Notice notice = delivery.notice();
    if (notice instanceof Notice.Message message
        && self.equals(message.origin())
        && !message.message().from().equals(delivery.clientId())) {
      return "m:" + message.message().id();
    }
    if (notice instanceof Notice.Patched patched
        && self.equals(patched.origin())
        && !patched.message().from().equals(delivery.clientId())) {
      return "p:" + patched.message().patchTimestamp();
    }
    return null;
  }

  /** A reply that the push could belong to has not gone out yet. */
  private boolean awaitingOwnReply(Notice notice) {
    return notice instanceof Notice.Message
        ? session.sendsInFlight() > 0
        : session.patchesInFlight() > 0;
  }

  private void hold(String key, Delivery delivery) {
    if (held == null) {
      held = new LinkedHashMap<>();
    }
    held.computeIfAbsent(key, k -> new ArrayList<>(2)).add(delivery);
    heldCount++;
    while (heldCount > MAX_HELD) {
      // Bounded: the oldest held pushes go out as they are.
      var oldest = held.entrySet().iterator().next();
      held.remove(oldest.getKey());
      release(oldest.getValue());
    }
  }

  private void release(List<Delivery> deliveries) {
    heldCount -= deliveries.size();
    for (Delivery delivery : deliveries) {
      if (clients.containsKey(delivery.clientId())) {
        session.send(NoticeFrames.toPush(delivery.clientId(), delivery.notice()));
      }
    }
  }

  /**
   * After a reply went out: the pushes held for its key follow it at once; while several clients
   * share the socket the key is remembered, so a push that arrives after its reply (the usual case)
   * is not held. Once no {@code direct} or {@code patch} of this session awaits an answer, nothing
   * is held any more (a reply lost to a timeout releases its pushes then).
   */
  private void afterReply(GenericCommand reply) {
    boolean holding = held != null && !held.isEmpty();
    if (clients.size() <= 1 && !holding) {
      return; // one client on the socket: nothing of its own can overtake (the usual case)
    }
    String key = replyKey(reply);
    if (key != null) {
      if (clients.size() > 1) {
        remember(key);
      }
      List<Delivery> waiting = held == null ? null : held.remove(key);
      if (waiting != null) {
        release(waiting);
      }
    }
    if (held != null
        && !held.isEmpty()
        && session.sendsInFlight() == 0
        && session.patchesInFlight() == 0) {
      List<List<Delivery>> rest = List.copyOf(held.values());
      held.clear();
      rest.forEach(this::release);
    }
  }

  private void remember(String key) {
    if (replied == null) {
      replied =
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > MAX_REPLIED;
            }
          };
    }
    replied.put(key, Boolean.TRUE);
  }

  /**
   * The key of an {@code ack} (its {@code uid}) or {@code patch/modified} reply (its {@code
   * lastPatchTime}).
   */
  private static String replyKey(GenericCommand reply) {
    if (reply.getCmd() == CommandType.ack
        && reply.hasAckMessage()
        && reply.getAckMessage().hasUid()) {
      return "m:" + reply.getAckMessage().getUid();
    }
    if (reply.getCmd() == CommandType.patch
        && reply.getOp() == OpType.modified
        && reply.hasPatchMessage()) {
      return "p:" + reply.getPatchMessage().getLastPatchTime();
    }
    return null;
  }

  /**
   * The session a message, read or patch came from does not get it back; the client's other devices
   * do.
   */
  private boolean isEcho(Delivery delivery) {
    Notice notice = delivery.notice();
    if (notice instanceof Notice.Message message) {
      return self.equals(message.origin()) && message.message().from().equals(delivery.clientId());
    }
    if (notice instanceof Notice.UnreadChanged unread) {
      return self.equals(unread.origin());
    }
    if (notice instanceof Notice.Patched patched) {
      return self.equals(patched.origin()) && patched.message().from().equals(delivery.clientId());
    }
    return false;
  }
}
