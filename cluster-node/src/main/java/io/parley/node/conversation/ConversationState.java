package io.parley.node.conversation;

import io.parley.node.serialization.CborSerializable;
import io.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  // ------------------------------------------------------------------ rules that decide (pure)

  /**
   * How an add of {@code requested} (distinct) sorts out: members already in are allowed again; the
   * blacklisted are refused ({@code BLOCKED_BY_CONV}); newcomers past {@code cap} members are
   * refused ({@code CONVERSATION_FULL}); the rest are added, in order.
   */
  Admission admission(List<String> requested, int cap) {
    List<String> added = new ArrayList<>();
    List<String> allowed = new ArrayList<>();
    List<String> full = new ArrayList<>();
    List<String> blocked = new ArrayList<>();
    for (String clientId : requested) {
      if (blacklist.contains(clientId)) {
        blocked.add(clientId);
      } else if (isMember(clientId)) {
        allowed.add(clientId);
      } else if (members.size() + added.size() >= cap) {
        full.add(clientId);
      } else {
        added.add(clientId);
        allowed.add(clientId);
      }
    }
    return new Admission(
        added,
        allowed,
        failures(
            new Conversation.Failure(ErrorCode.CONVERSATION_FULL, full),
            new Conversation.Failure(ErrorCode.BLOCKED_BY_CONV, blocked)));
  }

  /** An add sorted out: who joins, who is answered as in, and who is refused why. */
  record Admission(List<String> added, List<String> allowed, List<Conversation.Failure> failed) {}

  /**
   * How {@code initiator}'s removal of {@code requested} (distinct) sorts out. With member roles
   * on, the Owner cannot be removed ({@code CONVERSATION_NEED_OWNER}) and only a moderator removes
   * others ({@code CONVERSATION_OPERATION_UNAUTHORIZED}); anyone may leave. Non-members are allowed
   * and change nothing.
   */
  Removal removal(String initiator, List<String> requested, boolean memberRoles) {
    List<String> removed = new ArrayList<>();
    List<String> allowed = new ArrayList<>();
    List<String> needOwner = new ArrayList<>();
    List<String> unauthorized = new ArrayList<>();
    for (String clientId : requested) {
      if (memberRoles && roleOf(clientId).equals(OWNER) && isMember(clientId)) {
        needOwner.add(clientId);
      } else if (memberRoles && !clientId.equals(initiator) && !isModerator(initiator)) {
        unauthorized.add(clientId);
      } else {
        allowed.add(clientId);
        if (isMember(clientId)) {
          removed.add(clientId);
        }
      }
    }
    return new Removal(
        removed,
        allowed,
        failures(
            new Conversation.Failure(ErrorCode.CONVERSATION_NEED_OWNER, needOwner),
            new Conversation.Failure(ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED, unauthorized)));
  }

  /** A removal sorted out: who leaves, who is answered as removed, and who is refused why. */
  record Removal(List<String> removed, List<String> allowed, List<Conversation.Failure> failed) {}

  /**
   * Why {@code initiator} may not moderate (shut up, block) this conversation, or null: only normal
   * conversations are moderated, by members; with member roles on by the Owner and Managers,
   * without by any member not shut up (§6.10, §6.11).
   */
  Conversation.Rejected moderationRefusal(String initiator, boolean memberRoles) {
    if (kind != Kind.NORMAL) {
      return new Conversation.Rejected(
          ErrorCode.NORMAL_CONVERSATION_REQUIRED, "only normal conversations have moderation");
    }
    if (!isMember(initiator)) {
      return new Conversation.Rejected(
          ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED, initiator + " is not a member");
    }
    if (memberRoles ? !isModerator(initiator) : shutup.contains(initiator)) {
      return new Conversation.Rejected(
          ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED, initiator + " may not moderate");
    }
    return null;
  }

  /**
   * How blocking ({@code add}) or unblocking {@code requested} (distinct) sorts out: with member
   * roles on, the Owner cannot be blocked ({@code CONVERSATION_NEED_OWNER}); the others are
   * allowed, and those whose blacklist entry changes are {@code changed}.
   */
  BlacklistChange blacklistChange(List<String> requested, boolean add, boolean memberRoles) {
    List<String> ownerAsked =
        add && memberRoles
            ? requested.stream().filter(id -> id.equals(creator)).toList()
            : List.of();
    List<String> allowed = requested.stream().filter(id -> !ownerAsked.contains(id)).toList();
    List<String> changed = allowed.stream().filter(id -> blacklist.contains(id) != add).toList();
    return new BlacklistChange(
        changed,
        allowed,
        failures(new Conversation.Failure(ErrorCode.CONVERSATION_NEED_OWNER, ownerAsked)));
  }

  /** A blacklist change sorted out. */
  record BlacklistChange(
      List<String> changed, List<String> allowed, List<Conversation.Failure> failed) {}

  /** The non-empty ones of {@code candidates}. */
  static List<Conversation.Failure> failures(Conversation.Failure... candidates) {
    return java.util.Arrays.stream(candidates)
        .filter(failure -> !failure.clientIds().isEmpty())
        .toList();
  }

  ConversationState started(Conversation.Started event) {
    return empty()
        .edit()
        .exists(true)
        .kind(event.kind())
        .creator(event.creator())
        .members(event.members())
        .attributesJson(event.attributesJson())
        .unique(event.unique(), event.uniqueId())
        .createdAt(event.timestamp())
        .updatedAt(event.timestamp())
        .expiresAt(event.expiresAt())
        .build();
  }

  ConversationState membersAdded(Conversation.MembersAdded event) {
    LinkedHashSet<String> updated = new LinkedHashSet<>(members);
    updated.addAll(event.added());
    return edit().members(updated).updatedAt(event.timestamp()).build();
  }

  /** A removed member leaves with its mute, role, shut-up entry and positions. */
  ConversationState membersRemoved(Conversation.MembersRemoved event) {
    Map<String, String> stillRoles = new HashMap<>(roles);
    event.removed().forEach(stillRoles::remove);
    return edit()
        .members(without(members, event.removed()))
        .muted(without(muted, event.removed()))
        .roles(stillRoles)
        .shutup(without(shutup, event.removed()))
        .acked(without(acked, event.removed()))
        .read(without(read, event.removed()))
        .updatedAt(event.timestamp())
        .build();
  }

  ConversationState attributesUpdated(Conversation.AttributesUpdated event) {
    return edit().attributesJson(event.attributesJson()).updatedAt(event.timestamp()).build();
  }

  ConversationState muteChanged(Conversation.MuteChanged event) {
    return edit()
        .muted(changed(muted, List.of(event.clientId()), event.muted()))
        .updatedAt(event.timestamp())
        .build();
  }

  ConversationState roleChanged(Conversation.RoleChanged event) {
    Map<String, String> updated = new HashMap<>(roles);
    if (event.role().equals(MEMBER)) {
      updated.remove(event.clientId());
    } else {
      updated.put(event.clientId(), event.role());
    }
    return edit().roles(updated).updatedAt(event.timestamp()).build();
  }

  ConversationState shutupChanged(Conversation.ShutupChanged event) {
    return edit()
        .shutup(changed(shutup, event.clientIds(), event.added()))
        .updatedAt(event.timestamp())
        .build();
  }

  /** Blocking also removes the blocked from the members (§6.11). */
  ConversationState blacklistChanged(Conversation.BlacklistChanged event) {
    return edit()
        .members(event.added() ? without(members, event.clientIds()) : members)
        .blacklist(changed(blacklist, event.clientIds(), event.added()))
        .updatedAt(event.timestamp())
        .build();
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
    return edit().silenced(updated).updatedAt(event.timestamp()).build();
  }

  /** Coalesced position updates: each member's delivered and read positions only move forward. */
  ConversationState positionsAdvanced(Conversation.PositionsAdvanced event) {
    return edit()
        .acked(merged(acked, event.acked(), members))
        .read(merged(read, event.read(), members))
        .build();
  }

  /** A unique temporary conversation that expired names the one that replaces it. */
  ConversationState successorChosen(Conversation.SuccessorChosen event) {
    return edit().successor(event.cid()).build();
  }

  /**
   * Positions advanced, for members only (a flush after a removal cannot bring the removed member
   * back).
   */
  private static Map<String, Long> merged(
      Map<String, Long> current, Map<String, Long> advanced, List<String> members) {
    Map<String, Long> result = new HashMap<>(current);
    Set<String> memberSet = new HashSet<>(members);
    advanced.forEach(
        (member, at) -> {
          if (memberSet.contains(member)) {
            result.merge(member, at, Math::max);
          }
        });
    return result;
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

  private static List<String> without(List<String> list, List<String> removed) {
    List<String> kept = new ArrayList<>(list);
    kept.removeAll(removed);
    return kept;
  }

  /**
   * Positions of members only: a removed member's go with it, so the persisted maps stay bounded by
   * the members.
   */
  private static Map<String, Long> without(Map<String, Long> positions, List<String> removed) {
    Map<String, Long> kept = new HashMap<>(positions);
    removed.forEach(kept::remove);
    return kept;
  }

  /**
   * A copy of this state to change by name; {@link Edit#build} makes every collection immutable.
   */
  private Edit edit() {
    return new Edit(this);
  }

  /**
   * Named changes to a copy of a state: each event handler above sets only what its event changes,
   * instead of repeating all eighteen components in order (where two adjacent lists could be
   * swapped and still compile). The persisted shape stays the record's, so snapshots are unchanged.
   */
  private static final class Edit {
    private boolean exists;
    private Kind kind;
    private String creator;
    private Collection<String> members;
    private Collection<String> muted;
    private String attributesJson;
    private boolean unique;
    private String uniqueId;
    private long createdAt;
    private long updatedAt;
    private long expiresAt;
    private Map<String, String> roles;
    private Collection<String> shutup;
    private Collection<String> blacklist;
    private Map<String, Long> acked;
    private Map<String, Long> read;
    private String successor;
    private Map<String, Long> silenced;

    private Edit(ConversationState from) {
      exists = from.exists;
      kind = from.kind;
      creator = from.creator;
      members = from.members;
      muted = from.muted;
      attributesJson = from.attributesJson;
      unique = from.unique;
      uniqueId = from.uniqueId;
      createdAt = from.createdAt;
      updatedAt = from.updatedAt;
      expiresAt = from.expiresAt;
      roles = from.roles;
      shutup = from.shutup;
      blacklist = from.blacklist;
      acked = from.acked;
      read = from.read;
      successor = from.successor;
      silenced = from.silenced;
    }

    Edit exists(boolean value) {
      exists = value;
      return this;
    }

    Edit kind(Kind value) {
      kind = value;
      return this;
    }

    Edit creator(String value) {
      creator = value;
      return this;
    }

    Edit members(Collection<String> value) {
      members = value;
      return this;
    }

    Edit muted(Collection<String> value) {
      muted = value;
      return this;
    }

    Edit attributesJson(String value) {
      attributesJson = value;
      return this;
    }

    Edit unique(boolean value, String id) {
      unique = value;
      uniqueId = id;
      return this;
    }

    Edit createdAt(long value) {
      createdAt = value;
      return this;
    }

    Edit updatedAt(long value) {
      updatedAt = value;
      return this;
    }

    Edit expiresAt(long value) {
      expiresAt = value;
      return this;
    }

    Edit roles(Map<String, String> value) {
      roles = value;
      return this;
    }

    Edit shutup(Collection<String> value) {
      shutup = value;
      return this;
    }

    Edit blacklist(Collection<String> value) {
      blacklist = value;
      return this;
    }

    Edit acked(Map<String, Long> value) {
      acked = value;
      return this;
    }

    Edit read(Map<String, Long> value) {
      read = value;
      return this;
    }

    Edit successor(String value) {
      successor = value;
      return this;
    }

    Edit silenced(Map<String, Long> value) {
      silenced = value;
      return this;
    }

    ConversationState build() {
      return new ConversationState(
          exists,
          kind,
          creator,
          List.copyOf(members),
          List.copyOf(muted),
          attributesJson,
          unique,
          uniqueId,
          createdAt,
          updatedAt,
          expiresAt,
          Map.copyOf(roles),
          List.copyOf(shutup),
          List.copyOf(blacklist),
          Map.copyOf(acked),
          Map.copyOf(read),
          successor,
          Map.copyOf(silenced));
    }
  }
}
