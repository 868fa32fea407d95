package io.parley.node.conversation;

import io.parley.node.serialization.CborSerializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The persisted truth of one conversation, rebuilt from its events. Members keep their order and
 * have no duplicates. Empty ({@code exists == false}) until {@link Conversation.Started}.
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
    long expiresAt,
    Map<String, String> roles,
    List<String> shutup,
    List<String> blacklist,
    Map<String, Long> acked,
    Map<String, Long> read,
    String successor,
    Map<String, Long> silenced)
    implements CborSerializable {

  /** A state persisted before temporary silences existed has none. */
  public ConversationState {
    silenced = silenced == null ? Map.of() : silenced;
  }

  public static final String OWNER = "Owner";
  public static final String MANAGER = "Manager";
  public static final String MEMBER = "Member";

  /**
   * Normal and temporary conversations have members; chatrooms only have whoever is online in them;
   * a system conversation's members are its subscribers (created through the REST API, never by
   * clients).
   */
  public enum Kind {
    NORMAL,
    TRANSIENT,
    TEMPORARY,
    SYSTEM
  }

  static ConversationState empty() {
    return new ConversationState(
        false,
        Kind.NORMAL,
        null,
        List.of(),
        List.of(),
        "{}",
        false,
        null,
        0,
        0,
        0,
        Map.of(),
        List.of(),
        List.of(),
        Map.of(),
        Map.of(),
        null,
        Map.of());
  }

  /**
   * Whether {@code clientId} may act as a member; the app server ({@link Conversation#SERVER})
   * always may.
   */
  boolean isMember(String clientId) {
    return members.contains(clientId) || Conversation.SERVER.equals(clientId);
  }

  /** The Owner is the creator (implicit, §12); Managers are stored; everyone else is a Member. */
  String roleOf(String clientId) {
    if (clientId.equals(creator)) {
      return OWNER;
    }
    return roles.getOrDefault(clientId, MEMBER);
  }

  boolean isModerator(String clientId) {
    return Conversation.SERVER.equals(clientId) || !roleOf(clientId).equals(MEMBER);
  }

  /**
   * Until when {@code clientId} is silenced for a while (REST {@code temporary-silenceds}, sends
   * refused with 4315): the end in ms, or 0 when it is not, or no longer, silenced at {@code now}.
   */
  public long silencedUntil(String clientId, long now) {
    long until = silenced.getOrDefault(clientId, 0L);
    return until > now ? until : 0;
  }

  /** How many clients are silenced for a while at {@code now} (expired entries do not count). */
  int silencedCount(long now) {
    return (int) silenced.values().stream().filter(until -> until > now).count();
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
        event.expiresAt(),
        Map.of(),
        List.of(),
        List.of(),
        Map.of(),
        Map.of(),
        null,
        Map.of());
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
    Map<String, String> stillRoles = new HashMap<>(roles);
    event.removed().forEach(stillRoles::remove);
    List<String> stillShutup = new ArrayList<>(shutup);
    stillShutup.removeAll(event.removed());
    return new ConversationState(
        exists,
        kind,
        creator,
        List.copyOf(updated),
        List.copyOf(stillMuted),
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        Map.copyOf(stillRoles),
        List.copyOf(stillShutup),
        blacklist,
        without(acked, event.removed()),
        without(read, event.removed()),
        successor,
        silenced);
  }

  /**
   * Positions of members only: a removed member's go with it, so the persisted maps stay bounded by
   * the members.
   */
  private static Map<String, Long> without(Map<String, Long> positions, List<String> removed) {
    Map<String, Long> kept = new HashMap<>(positions);
    removed.forEach(kept::remove);
    return Map.copyOf(kept);
  }

  ConversationState attributesUpdated(Conversation.AttributesUpdated event) {
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        event.attributesJson(),
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        roles,
        shutup,
        blacklist,
        acked,
        read,
        successor,
        silenced);
  }

  ConversationState muteChanged(Conversation.MuteChanged event) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(muted);
    if (event.muted()) {
      updated.add(event.clientId());
    } else {
      updated.remove(event.clientId());
    }
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        List.copyOf(updated),
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        roles,
        shutup,
        blacklist,
        acked,
        read,
        successor,
        silenced);
  }

  ConversationState roleChanged(Conversation.RoleChanged event) {
    Map<String, String> updated = new HashMap<>(roles);
    if (event.role().equals(MEMBER)) {
      updated.remove(event.clientId());
    } else {
      updated.put(event.clientId(), event.role());
    }
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        Map.copyOf(updated),
        shutup,
        blacklist,
        acked,
        read,
        successor,
        silenced);
  }

  ConversationState shutupChanged(Conversation.ShutupChanged event) {
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        roles,
        changed(shutup, event.clientIds(), event.added()),
        blacklist,
        acked,
        read,
        successor,
        silenced);
  }

  /** Blocking also removes the blocked from the members (§6.11). */
  ConversationState blacklistChanged(Conversation.BlacklistChanged event) {
    List<String> stillMembers = new ArrayList<>(members);
    if (event.added()) {
      stillMembers.removeAll(event.clientIds());
    }
    return new ConversationState(
        exists,
        kind,
        creator,
        List.copyOf(stillMembers),
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        roles,
        shutup,
        changed(blacklist, event.clientIds(), event.added()),
        acked,
        read,
        successor,
        silenced);
  }

  /**
   * Clients silenced until {@code until} (0: the silence is lifted); entries that have expired by
   * the event's time are dropped, so the persisted map holds only silences still running.
   */
  ConversationState temporarySilenceChanged(Conversation.TemporarySilenceChanged event) {
    Map<String, Long> updated = new HashMap<>();
    silenced.forEach(
        (client, until) -> {
          if (until > event.timestamp()) {
            updated.put(client, until);
          }
        });
    for (String client : event.clientIds()) {
      if (event.until() > event.timestamp()) {
        updated.put(client, event.until());
      } else {
        updated.remove(client);
      }
    }
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        event.timestamp(),
        expiresAt,
        roles,
        shutup,
        blacklist,
        acked,
        read,
        successor,
        Map.copyOf(updated));
  }

  /** Coalesced position updates: each member's delivered and read positions only move forward. */
  ConversationState positionsAdvanced(Conversation.PositionsAdvanced event) {
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        updatedAt,
        expiresAt,
        roles,
        shutup,
        blacklist,
        merged(acked, event.acked(), members),
        merged(read, event.read(), members),
        successor,
        silenced);
  }

  /** A unique temporary conversation that expired names the one that replaces it. */
  ConversationState successorChosen(Conversation.SuccessorChosen event) {
    return new ConversationState(
        exists,
        kind,
        creator,
        members,
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        updatedAt,
        expiresAt,
        roles,
        shutup,
        blacklist,
        acked,
        read,
        event.cid(),
        silenced);
  }

  /**
   * Positions advanced, for members only (a flush after a removal cannot bring the removed member
   * back).
   */
  private static Map<String, Long> merged(
      Map<String, Long> current, Map<String, Long> advanced, List<String> members) {
    Map<String, Long> result = new HashMap<>(current);
    java.util.Set<String> memberSet = new java.util.HashSet<>(members);
    advanced.forEach(
        (member, at) -> {
          if (memberSet.contains(member)) {
            result.merge(member, at, Math::max);
          }
        });
    return Map.copyOf(result);
  }

  private static List<String> changed(List<String> list, List<String> clientIds, boolean add) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(list);
    if (add) {
      updated.addAll(clientIds);
    } else {
      clientIds.forEach(updated::remove);
    }
    return List.copyOf(updated);
  }

  private ConversationState withMembers(List<String> updated, long timestamp) {
    return new ConversationState(
        exists,
        kind,
        creator,
        List.copyOf(updated),
        muted,
        attributesJson,
        unique,
        uniqueId,
        createdAt,
        timestamp,
        expiresAt,
        roles,
        shutup,
        blacklist,
        acked,
        read,
        successor,
        silenced);
  }
}
