package io.parley.node.conversation;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.parley.node.serialization.CborSerializable;
import java.util.List;

/**
 * What a conversation tells its members' sessions (docs/protocol.md §11), in domain terms: the
 * session turns each notice into the wire push for its subprotocol. Notices travel between nodes,
 * so they are serializable and carry no protocol types.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "notice")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Notice.Joined.class, name = "joined"),
  @JsonSubTypes.Type(value = Notice.MembersJoined.class, name = "members-joined"),
  @JsonSubTypes.Type(value = Notice.Left.class, name = "left"),
  @JsonSubTypes.Type(value = Notice.MembersLeft.class, name = "members-left"),
  @JsonSubTypes.Type(value = Notice.Updated.class, name = "updated"),
  @JsonSubTypes.Type(value = Notice.MemberInfoChanged.class, name = "member-info-changed"),
  @JsonSubTypes.Type(value = Notice.Moderated.class, name = "moderated"),
  @JsonSubTypes.Type(value = Notice.Message.class, name = "message"),
  @JsonSubTypes.Type(value = Notice.Receipt.class, name = "receipt"),
  @JsonSubTypes.Type(value = Notice.UnreadChanged.class, name = "unread"),
  @JsonSubTypes.Type(value = Notice.Patched.class, name = "patched"),
  @JsonSubTypes.Type(value = Notice.SessionClosed.class, name = "session-closed")
})
public sealed interface Notice extends CborSerializable {

  /** The conversation id, as clients know it. */
  String cid();

  /**
   * A conversation event that is also kept for the recipient as a reliable notification
   * (docs/protocol.md §15): {@code serverTs} is when the conversation sent it, strictly increasing
   * within the conversation, and the same in the push and in {@code /1.1/rtm/notifications}.
   */
  sealed interface Reliable extends Notice
      permits Joined, MembersJoined, Left, MembersLeft, Updated, MemberInfoChanged, Moderated {
    long serverTs();
  }

  /** The recipient was added (invited) by {@code initBy}: {@code joined}. */
  record Joined(String cid, String initBy, long serverTs) implements Reliable {}

  /** {@code members} were added by {@code initBy}: {@code members_joined}. */
  record MembersJoined(String cid, List<String> members, String initBy, long serverTs)
      implements Reliable {}

  /** The recipient was removed (kicked) by {@code initBy}: {@code left}. */
  record Left(String cid, String initBy, long serverTs) implements Reliable {}

  /** {@code members} were removed, or left, by {@code initBy}: {@code members_left}. */
  record MembersLeft(String cid, List<String> members, String initBy, long serverTs)
      implements Reliable {}

  /**
   * Attributes changed: {@code updated}, with the update as the client sent it and the resulting
   * values of the keys it touched (absent key: deleted).
   */
  record Updated(
      String cid,
      String initBy,
      String attributesJson,
      String modifiedJson,
      long updatedAt,
      long serverTs)
      implements Reliable {}

  /** {@code pid}'s role is now {@code role}: {@code member_info_changed}, to every member. */
  record MemberInfoChanged(String cid, String initBy, String pid, String role, long serverTs)
      implements Reliable {}

  /**
   * Shut-up and blacklist changes (§6.10, §6.11): {@code action} is the wire op, e.g. {@code
   * shutuped} for the targets and {@code members_shutuped} (with {@code members}) for the others.
   */
  record Moderated(String cid, String action, List<String> members, String initBy, long serverTs)
      implements Reliable {}

  /**
   * A message: {@code direct}. {@code origin} is the session that sent it, which does not get it
   * back (the sender's other sessions do); {@code transientMessage} for typing-style messages
   * (§7.5).
   */
  record Message(
      String cid,
      io.parley.node.message.StoredMessage message,
      int convType,
      boolean transientMessage,
      org.apache.pekko.actor.typed.ActorRef<Delivery> origin)
      implements Notice {}

  /**
   * A delivery receipt ({@code read == false}) or read receipt for the sender (§9): {@code rcp}.
   */
  record Receipt(String cid, String messageId, long timestamp, String from, boolean read)
      implements Notice {}

  /** The recipient's unread state changed elsewhere (a read on another device): {@code unread}. */
  record UnreadChanged(
      String cid,
      int unread,
      io.parley.node.message.StoredMessage last,
      boolean mentioned,
      org.apache.pekko.actor.typed.ActorRef<Delivery> origin)
      implements Notice {}

  /** A message was recalled or edited: {@code patch/modify}. */
  record Patched(
      String cid,
      io.parley.node.message.StoredMessage message,
      org.apache.pekko.actor.typed.ActorRef<Delivery> origin)
      implements Notice {}

  /**
   * Not a conversation's: the app's server ended the recipient's sessions (REST kick,
   * REST-AND-HOOKS §3.4), which get {@code session/closed} with {@code code} and {@code reason}. It
   * travels the same way to every node's sessions of the client; {@code cid} is empty.
   */
  record SessionClosed(String cid, int code, String reason) implements Notice {}
}
