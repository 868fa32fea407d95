package io.parley.node.conversation;

import io.parley.node.serialization.CborSerializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The persisted truth of one conversation, rebuilt from its events. Members keep their order and have no
 * duplicates. Empty ({@code exists == false}) until {@link Conversation.Started}.
 */
public record ConversationState(
    boolean exists,
    Kind kind,
    String creator,
    List<String> members,
    List<String> muted,
    String attributesJson,
    boolean unique,
    String uniqueId,
    long createdAt,
    long updatedAt,
    long expiresAt)
    implements CborSerializable {

  /** Normal and temporary conversations have members; chatrooms only have whoever is online in them. */
  public enum Kind {
    NORMAL,
    TRANSIENT,
    TEMPORARY
  }

  static ConversationState empty() {
    return new ConversationState(false, Kind.NORMAL, null, List.of(), List.of(), "{}", false, null, 0, 0, 0);
  }

  boolean isMember(String clientId) {
    return members.contains(clientId);
  }

  boolean expiredAt(long now) {
    return kind == Kind.TEMPORARY && expiresAt > 0 && now >= expiresAt;
  }

  ConversationState started(Conversation.Started event) {
    return new ConversationState(
        true,
        event.kind(),
        event.creator(),
        List.copyOf(event.members()),
        List.of(),
        event.attributesJson(),
        event.unique(),
        event.uniqueId(),
        event.timestamp(),
        event.timestamp(),
        event.expiresAt());
  }

  ConversationState membersAdded(Conversation.MembersAdded event) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(members);
    updated.addAll(event.added());
    return withMembers(new ArrayList<>(updated), event.timestamp());
  }

  ConversationState membersRemoved(Conversation.MembersRemoved event) {
    List<String> updated = new ArrayList<>(members);
    updated.removeAll(event.removed());
    List<String> stillMuted = new ArrayList<>(muted);
    stillMuted.removeAll(event.removed());
    return new ConversationState(exists, kind, creator, List.copyOf(updated), List.copyOf(stillMuted), attributesJson,
        unique, uniqueId, createdAt, event.timestamp(), expiresAt);
  }

  ConversationState attributesUpdated(Conversation.AttributesUpdated event) {
    return new ConversationState(exists, kind, creator, members, muted, event.attributesJson(), unique, uniqueId,
        createdAt, event.timestamp(), expiresAt);
  }

  ConversationState muteChanged(Conversation.MuteChanged event) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(muted);
    if (event.muted()) {
      updated.add(event.clientId());
    } else {
      updated.remove(event.clientId());
    }
    return new ConversationState(exists, kind, creator, members, List.copyOf(updated), attributesJson, unique, uniqueId,
        createdAt, event.timestamp(), expiresAt);
  }

  private ConversationState withMembers(List<String> updated, long timestamp) {
    return new ConversationState(exists, kind, creator, List.copyOf(updated), muted, attributesJson, unique, uniqueId,
        createdAt, timestamp, expiresAt);
  }
}
