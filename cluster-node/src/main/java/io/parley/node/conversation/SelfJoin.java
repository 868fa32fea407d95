package io.parley.node.conversation;

/**
 * Which conversations of an app a client that is not a member may join by id with {@code conv/add}
 * (docs/protocol.md §6.2). Chatrooms and system conversations are open whatever this says.
 */
public enum SelfJoin {
  /** Any normal, unique or temporary conversation, as on LeanCloud (the default). */
  ANY,
  /**
   * Normal conversations that are not unique: one-to-one and temporary chats take an invitation.
   */
  GROUPS,
  /** None: only members add others. */
  NONE;

  /** {@code any}, {@code groups} or {@code none} (case-insensitive). */
  public static SelfJoin parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "self-join must be any, groups or none, not '" + value + "'", e);
    }
  }

  /** Whether a non-member may join a conversation of this kind by itself. */
  public boolean allows(ConversationState.Kind kind, boolean unique) {
    return switch (this) {
      case ANY -> true;
      case GROUPS -> kind == ConversationState.Kind.NORMAL && !unique;
      case NONE -> false;
    };
  }
}
