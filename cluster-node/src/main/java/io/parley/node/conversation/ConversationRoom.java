package io.parley.node.conversation;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Who is in a chatroom, a {@link Conversation} entity of kind {@code TRANSIENT} (docs/protocol.md
 * §6.2): the sessions that joined it, in memory only and never persisted, at most {@code
 * maxChatroomOnline} clients; a session leaves by asking, by joining another room or by ending
 * (watched). Also the member count and the online sample, which count these sessions in a chatroom.
 * Handlers return the entity's effects; the entity routes its commands here.
 */
final class ConversationRoom {

  private final Conversation entity;
  private final String cid;
  private final ActorContext<Conversation.Command> context;
  private final ConversationSettings settings;

  /** Chatroom only: sessions online in the room, per client. Never persisted. */
  private final Map<String, Set<ActorRef<Delivery>>> online = new HashMap<>();

  ConversationRoom(
      Conversation entity,
      String cid,
      ActorContext<Conversation.Command> context,
      ConversationSettings settings) {
    this.entity = entity;
    this.cid = cid;
    this.context = context;
    this.settings = settings;
  }

  /** Whether {@code clientId} has a session in the room. */
  boolean hasJoined(String clientId) {
    return online.containsKey(clientId);
  }

  ReplyEffect<Conversation.Event, ConversationState> onJoinRoom(
      ConversationState state, Conversation.JoinRoom join) {
    if (state.kind() != Kind.TRANSIENT) {
      return entity.reject(
          join.replyTo(), ErrorCode.TRANSIENT_CONVERSATION_REQUIRED, "not a chatroom");
    }
    return attach(state, join.clientId(), join.session(), List.of(), join.replyTo());
  }

  /**
   * conv/add on a chatroom (§6.2): the initiator's session joins; nobody else can be added (4314).
   */
  ReplyEffect<Conversation.Event, ConversationState> joinByAdd(
      ConversationState state, Conversation.Add add, List<String> requested) {
    List<String> others = ClientIds.others(requested, add.initiator());
    List<Conversation.Failure> failed =
        ConversationState.failures(
            new Conversation.Failure(ErrorCode.NORMAL_CONVERSATION_REQUIRED, others));
    if (!requested.contains(add.initiator()) || add.session() == null) {
      return entity
          .effects()
          .reply(
              add.replyTo(),
              new Conversation.MembershipChanged(entity.snapshot(state), List.of(), failed));
    }
    return attach(state, add.initiator(), add.session(), failed, add.replyTo());
  }

  private ReplyEffect<Conversation.Event, ConversationState> attach(
      ConversationState state,
      String clientId,
      ActorRef<Delivery> session,
      List<Conversation.Failure> failed,
      ActorRef<Conversation.Reply> replyTo) {
    if (!online.containsKey(clientId) && online.size() >= settings.maxChatroomOnline()) {
      return entity.reject(
          replyTo,
          ErrorCode.CONVERSATION_FULL,
          "at most " + settings.maxChatroomOnline() + " online");
    }
    if (online.computeIfAbsent(clientId, id -> new HashSet<>()).add(session)) {
      context.watchWith(session, new Conversation.RoomSessionEnded(session));
    }
    return entity.answer(
        replyTo,
        new Conversation.MembershipChanged(entity.snapshot(state), List.of(clientId), failed));
  }

  ReplyEffect<Conversation.Event, ConversationState> onLeaveRoom(
      ConversationState state, Conversation.LeaveRoom leave) {
    Set<ActorRef<Delivery>> sessions = online.get(leave.clientId());
    if (sessions != null && sessions.remove(leave.session()) && sessions.isEmpty()) {
      online.remove(leave.clientId());
    }
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onSessionEnded(
      ConversationState state, Conversation.RoomSessionEnded ended) {
    online.values().forEach(sessions -> sessions.remove(ended.session()));
    online.values().removeIf(Set::isEmpty);
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onCount(
      ConversationState state, Conversation.Count count) {
    int n = state.kind() == Kind.TRANSIENT ? online.size() : state.members().size();
    return entity.effects().reply(count.replyTo(), new Conversation.Counted(n));
  }

  /** A random sample of the clients online in a chatroom; nobody in other conversations. */
  ReplyEffect<Conversation.Event, ConversationState> onOnlineSample(
      ConversationState state, Conversation.OnlineSample sample) {
    if (state.kind() != Kind.TRANSIENT) {
      return entity.reject(
          sample.replyTo(), ErrorCode.TRANSIENT_CONVERSATION_REQUIRED, cid + " is not a chatroom");
    }
    List<String> clients = new ArrayList<>(online.keySet());
    Collections.shuffle(clients);
    List<String> picked = List.copyOf(clients.subList(0, Math.min(sample.limit(), clients.size())));
    return entity.effects().reply(sample.replyTo(), new Conversation.Listed(picked, null));
  }
}
