package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.Delivery;
import io.parley.node.presence.NodeDirectory;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The chatrooms of one session: the room each of its clients is in (one room per login, §8.6), kept
 * in step with this node's {@link NodeDirectory} and the rooms' entities. {@link
 * MembershipCommands} joins and leaves them; the session's lifecycle ({@link ConversationCommands})
 * leaves them on logout and stop and re-attaches them when asked.
 */
final class Chatrooms {

  private final NodeDirectory directory;
  private final Function<String, EntityRef<Conversation.Command>> entities;

  /** Where this session receives the rooms' messages (its adapter). */
  private final ActorRef<Delivery> inbox;

  /** The chatroom each client of this session is in: its entity id. */
  private final Map<String, String> rooms = new HashMap<>();

  Chatrooms(
      NodeDirectory directory,
      Function<String, EntityRef<Conversation.Command>> entities,
      ActorRef<Delivery> inbox) {
    this.directory = directory;
    this.entities = entities;
    this.inbox = inbox;
  }

  /** The client logged out of this session, or quit its room: it leaves its chatroom. */
  void leave(String clientId) {
    String room = rooms.remove(clientId);
    if (room != null) {
      directory.leaveRoom(room, inbox);
      entities.apply(room).tell(new Conversation.LeaveRoom(clientId, inbox));
    }
  }

  /**
   * The session ended: this node stops delivering its chatrooms to it (the rooms' entities watch
   * it).
   */
  void stopped() {
    rooms.values().forEach(room -> directory.leaveRoom(room, inbox));
    rooms.clear();
  }

  /** The chatroom entity {@code clientId} has joined through this session, or null. */
  String of(String clientId) {
    return rooms.get(clientId);
  }

  /**
   * Re-attaches this session to its chatrooms: heals a room entity that restarted elsewhere (no
   * reply).
   */
  void refresh() {
    rooms.forEach(
        (clientId, room) ->
            entities.apply(room).tell(new Conversation.JoinRoom(clientId, inbox, null)));
  }

  /** One chatroom per login: joining one leaves the previous (§8.6). */
  void join(String clientId, String entityId) {
    String previous = rooms.put(clientId, entityId);
    directory.joinRoom(entityId, clientId, inbox);
    if (previous != null && !previous.equals(entityId)) {
      directory.leaveRoom(previous, inbox);
      entities.apply(previous).tell(new Conversation.LeaveRoom(clientId, inbox));
    }
  }
}
