package io.parley.node.conversation;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The port through which a {@link Conversation} tells members what changed (docs/protocol.md §11):
 * every node's local sessions, in production ({@code NodeDirectory}); {@link ReliableNotifications}
 * wraps it to keep the reliable notices (§15).
 */
public interface Notices {
  /** To every session of {@code clientIds}, on any node. */
  void send(String appId, List<String> clientIds, Notice notice);

  /** To every session that has joined chatroom {@code cid}, on any node. */
  void sendRoom(String appId, String cid, Notice notice);

  /**
   * Chatroom {@code cid}'s entity has (re)started as {@code room} and knows nobody in it (who is in
   * a room is never persisted): every node sends it a join for each of its sessions in the room, at
   * once rather than at the sessions' next renewal.
   */
  default void roomStarted(
      String appId, String cid, org.apache.pekko.actor.typed.ActorRef<Conversation.Command> room) {}

  /**
   * Which of {@code clientIds} have a session on any node (asked only when a hook needs it). No
   * default: a wrapper that forgot it would report every member offline to {@code
   * _receiversOffline}.
   */
  CompletionStage<Set<String>> online(String appId, List<String> clientIds);
}
