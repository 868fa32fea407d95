package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.testing.MutableClock;
import io.parley.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conversation entity alone, on the in-memory journal (commands, events and state are
 * serialized by the kit): membership rules, the notification matrix of docs/protocol.md §11, and
 * recovery.
 */
class ConversationTest {

  /** The app's key of unique conversation ids. */
  private static final byte[] KEY =
      "test-unique-id-key".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private static final ActorTestKit TEST_KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(ConfigFactory.load()));

  private static final long T0 = 1_700_000_000_000L;

  /** A notice as the presence layer would receive it. */
  record Sent(List<String> to, Notice notice) {}

  private final List<Sent> sent = new CopyOnWriteArrayList<>();

  /**
   * Records what the entity tells members; a chatroom's notices are recorded as sent to "room
   * <cid>".
   */
  private final Notices notices =
      new Notices() {
        @Override
        public void send(String appId, List<String> to, Notice notice) {
          sent.add(new Sent(to, notice));
        }

        @Override
        public void sendRoom(String appId, String cid, Notice notice) {
          sent.add(new Sent(List.of("room " + cid), notice));
        }

        @Override
        public java.util.concurrent.CompletionStage<java.util.Set<String>> online(
            String appId, List<String> clientIds) {
          return java.util.concurrent.CompletableFuture.completedFuture(java.util.Set.of());
        }
      };

  private final MutableClock clock = new MutableClock(T0);
  private final io.parley.node.message.InMemoryArchive archive =
      new io.parley.node.message.InMemoryArchive();
  private EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, ConversationState>
      kit;

  @BeforeEach
  void setUp() {
    kit =
        EventSourcedBehaviorTestKit.create(
            TEST_KIT.system(),
            Conversation.create(
                "app:0123456789abcdef01234567",
                ConversationSettings.DEFAULT,
                notices,
                MemberIndex.NONE,
                archive,
                clock));
    kit.clear();
    sent.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private Conversation.Reply start(List<String> members, Kind kind, long expiresAt) {
    return kit.<Conversation.Reply>runCommand(
            replyTo ->
                new Conversation.Start(
                    "A", members, "{\"name\":\"g\"}", kind, false, null, expiresAt, T0, replyTo))
        .reply();
  }

  private Conversation.Reply add(String initiator, String... ids) {
    return kit.<Conversation.Reply>runCommand(
            replyTo -> new Conversation.Add(initiator, List.of(ids), T0 + 1, null, replyTo))
        .reply();
  }

  private Conversation.Reply remove(String initiator, String... ids) {
    return kit.<Conversation.Reply>runCommand(
            replyTo -> new Conversation.Remove(initiator, List.of(ids), T0 + 2, replyTo))
        .reply();
  }

  private List<String> recipientsOf(Class<? extends Notice> type) {
    List<String> recipients = new ArrayList<>();
    sent.stream().filter(s -> type.isInstance(s.notice())).forEach(s -> recipients.addAll(s.to()));
    return recipients;
  }

  @Test
  void creation_adds_the_initiator_and_tells_the_others_they_joined() {
    var created =
        assertInstanceOf(Conversation.Created.class, start(List.of("B", "C", "B"), Kind.NORMAL, 0));
    assertEquals(List.of("B", "C", "A"), created.conversation().members());
    assertEquals(List.of("B", "C"), recipientsOf(Notice.Joined.class));
    assertEquals("A", ((Notice.Joined) sent.get(0).notice()).initBy());
  }

  /** Seed table "A 邀请 D": A, B, C get members_joined; D gets joined (INVITED). */
  @Test
  void invite_tells_the_invitee_joined_and_everyone_else_members_joined() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var changed = assertInstanceOf(Conversation.MembershipChanged.class, add("A", "D"));
    assertEquals(List.of("D"), changed.allowed());
    assertEquals(List.of("D"), recipientsOf(Notice.Joined.class));
    assertEquals(List.of("B", "C", "A"), recipientsOf(Notice.MembersJoined.class));
    assertEquals(List.of("D"), ((Notice.MembersJoined) sent.get(1).notice()).members());
  }

  /** Seed table "A 将 B 踢出": A, C get members_left; B gets left (KICKED) and nothing more. */
  @Test
  void kick_tells_the_kicked_left_and_the_remaining_members_members_left() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    assertInstanceOf(Conversation.MembershipChanged.class, remove("A", "B"));
    assertEquals(List.of("B"), recipientsOf(Notice.Left.class));
    assertEquals(List.of("C", "A"), recipientsOf(Notice.MembersLeft.class));
  }

  /**
   * Seed table "A 退出对话" (DECISION §6.3), with a member quitting (the creator A cannot quit while
   * member roles are on, the default): the others get members_left; the quitter gets nothing.
   */
  @Test
  void quit_tells_only_the_remaining_members() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    assertInstanceOf(Conversation.MembershipChanged.class, remove("B", "B"));
    assertTrue(recipientsOf(Notice.Left.class).isEmpty());
    assertEquals(List.of("C", "A"), recipientsOf(Notice.MembersLeft.class));
  }

  @Test
  void by_default_the_creator_can_not_quit_and_a_member_can_not_promote_itself() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var quit = assertInstanceOf(Conversation.MembershipChanged.class, remove("A", "A"));
    assertEquals(4324, quit.failed().get(0).code(), "the owner can not quit");
    assertEquals(List.of("A"), quit.failed().get(0).clientIds());
    var kick = assertInstanceOf(Conversation.MembershipChanged.class, remove("B", "A"));
    assertEquals(4324, kick.failed().get(0).code(), "no member ejects the creator");
    assertEquals(
        4320,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.ChangeRole("B", "B", "Manager", T0, r))
                .reply()),
        "a member cannot promote itself");
    assertTrue(sent.isEmpty());
  }

  @Test
  void only_members_invite_or_kick_but_anyone_may_join() {
    start(List.of("B"), Kind.NORMAL, 0);
    var refused = assertInstanceOf(Conversation.Rejected.class, add("X", "Y"));
    assertEquals(4317, refused.code());
    assertEquals(4317, assertInstanceOf(Conversation.Rejected.class, remove("X", "B")).code());
    var joined = assertInstanceOf(Conversation.MembershipChanged.class, add("X", "X"));
    assertEquals(List.of("X"), joined.allowed());
    assertTrue(joined.conversation().members().contains("X"));
  }

  @Test
  void adding_beyond_the_member_limit_fails_per_id_with_conversation_full() {
    kit =
        EventSourcedBehaviorTestKit.create(
            TEST_KIT.system(),
            Conversation.create(
                "app:0123456789abcdef01234568",
                conversationSettings("member-roles = off, max-members = 3"),
                notices,
                MemberIndex.NONE,
                archive,
                clock));
    start(List.of("B"), Kind.NORMAL, 0);
    var partial = assertInstanceOf(Conversation.MembershipChanged.class, add("A", "C", "D"));
    assertEquals(List.of("C"), partial.allowed());
    assertEquals(4304, partial.failed().get(0).code());
    assertEquals(List.of("D"), partial.failed().get(0).clientIds());
  }

  @Test
  void update_stores_dotted_paths_and_tells_the_other_members() {
    start(List.of("B"), Kind.NORMAL, 0);
    sent.clear();
    var updated =
        kit.<Conversation.Reply>runCommand(
            replyTo ->
                new Conversation.Update(
                    "A",
                    "{\"name\":\"new\",\"attr.pinned\":true,\"m\":[\"hacker\"]}",
                    T0 + 5,
                    replyTo));
    var accepted = assertInstanceOf(Conversation.Accepted.class, updated.reply());
    assertEquals(
        "{\"name\":\"new\",\"attr\":{\"pinned\":true}}", accepted.conversation().attributesJson());
    assertEquals(List.of("B", "A"), accepted.conversation().members(), "m is a protected column");
    var notice = (Notice.Updated) sent.get(0).notice();
    assertEquals(List.of("B"), sent.get(0).to());
    assertEquals("{\"name\":\"new\",\"attr.pinned\":true}", notice.modifiedJson());
    var outsider =
        kit.<Conversation.Reply>runCommand(
            replyTo -> new Conversation.Update("Z", "{\"name\":\"x\"}", T0, replyTo));
    assertEquals(4309, assertInstanceOf(Conversation.Rejected.class, outsider.reply()).code());
  }

  @Test
  void temporary_conversations_expire() {
    start(List.of("B"), Kind.TEMPORARY, T0 + 60_000);
    assertInstanceOf(
        Conversation.Accepted.class,
        kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    clock.set(T0 + 60_000);
    var expired =
        assertInstanceOf(
            Conversation.Rejected.class,
            kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    // 4303, not 4323: the SDKs build TEMPORARY_CONVERSATION_EXPIRED themselves from 4303
    // (docs/protocol-notes.md)
    assertEquals(4303, expired.code());
    assertEquals("CONVERSATION_NOT_FOUND", expired.reason());
    assertEquals(4303, assertInstanceOf(Conversation.Rejected.class, add("A", "C")).code());
    assertEquals(4303, code(send("A", text("late", false, null))));
  }

  /** Notices no test reads. */
  static final class Quiet implements Notices {
    @Override
    public void send(String appId, List<String> clientIds, Notice notice) {}

    /** A chatroom's. */
    public void sendRoom(String appId, String cid, Notice notice) {}

    @Override
    public java.util.concurrent.CompletionStage<java.util.Set<String>> online(
        String appId, List<String> clientIds) {
      return java.util.concurrent.CompletableFuture.completedFuture(java.util.Set.of());
    }
  }

  private EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, ConversationState>
      temporaryKit(String cid) {
    var temporary =
        EventSourcedBehaviorTestKit
            .<Conversation.Command, Conversation.Event, ConversationState>create(
                TEST_KIT.system(),
                Conversation.create(
                    "app:" + cid,
                    ConversationSettings.DEFAULT,
                    new Quiet(),
                    MemberIndex.NONE,
                    archive,
                    clock));
    temporary.clear();
    return temporary;
  }

  @Test
  void an_unknown_temporary_conversation_is_not_found_whatever_is_asked() {
    var unknown = temporaryKit("_tmp:0123456789abcdef01234567");
    for (Conversation.Reply reply :
        List.of(
            unknown.<Conversation.Reply>runCommand(Conversation.Get::new).reply(),
            unknown
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.Send("A", text("hi", false, null), null, r, null))
                .reply(),
            unknown
                .<Conversation.Reply>runCommand(
                    r ->
                        new Conversation.PatchMessage(
                            "A", "m", T0, true, null, false, List.of(), false, null, r))
                .reply())) {
      var rejected = assertInstanceOf(Conversation.Rejected.class, reply);
      assertEquals(4303, rejected.code(), rejected::toString);
      assertEquals("CONVERSATION_NOT_FOUND", rejected.reason());
    }
  }

  /**
   * A request of {@code type} with plain values (ids "A", empty lists, zeros) and {@code replyTo}:
   * what a conversation that does not exist, or has expired, answers must not depend on them.
   */
  private static Conversation.Request anyRequest(
      Class<?> type, ActorRef<Conversation.Reply> replyTo) {
    try {
      var components = type.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int n = 0; n < components.length; n++) {
        Class<?> t = components[n].getType();
        types[n] = t;
        values[n] =
            components[n].getName().equals("replyTo")
                ? replyTo
                : t == String.class
                    ? "A"
                    : t == List.class
                        ? List.of()
                        : t == java.util.Map.class
                            ? java.util.Map.of()
                            : t == long.class
                                ? 0L
                                : t == int.class ? 0 : t == boolean.class ? false : null;
        if (t.isEnum()) {
          values[n] = t.getEnumConstants()[0];
        }
      }
      return (Conversation.Request) type.getDeclaredConstructor(types).newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot build a " + type.getSimpleName(), e);
    }
  }

  @Test
  void every_request_to_a_missing_or_expired_conversation_is_refused_with_its_code() {
    List<String> answered = new ArrayList<>();
    for (Class<?> type : Conversation.Request.class.getPermittedSubclasses()) {
      if (type == Conversation.Start.class) {
        continue; // starts it
      }
      var reply =
          assertInstanceOf(
              Conversation.Rejected.class,
              kit.<Conversation.Reply>runCommand(r -> anyRequest(type, r)).reply(),
              type.getSimpleName());
      int expected =
          type == Conversation.Send.class
              ? ErrorCode.INVALID_MESSAGING_TARGET.code()
              : type == Conversation.PatchMessage.class
                  ? ErrorCode.MESSAGE_NOT_FOUND.code()
                  : ErrorCode.CONVERSATION_NOT_FOUND.code();
      assertEquals(expected, reply.code(), type.getSimpleName() + ": " + reply);
      assertTrue(reply.detail().startsWith("no conversation"), type.getSimpleName() + ": " + reply);
      answered.add(type.getSimpleName());
    }
    assertTrue(answered.size() >= 25, "every kind of request was tried: " + answered);

    start(List.of("B"), Kind.TEMPORARY, T0 + 60_000);
    clock.set(T0 + 60_000);
    for (Class<?> type : Conversation.Request.class.getPermittedSubclasses()) {
      if (List.of(Conversation.Start.class, Conversation.Successor.class, Conversation.Delete.class)
          .contains(type)) {
        continue; // replace, follow or delete the expired conversation
      }
      var reply =
          assertInstanceOf(
              Conversation.Rejected.class,
              kit.<Conversation.Reply>runCommand(r -> anyRequest(type, r)).reply(),
              type.getSimpleName());
      assertEquals(ErrorCode.CONVERSATION_NOT_FOUND.code(), reply.code(), type.getSimpleName());
      assertTrue(reply.detail().endsWith("has expired"), type.getSimpleName() + ": " + reply);
    }
  }

  private static Conversation.Start uniqueTemporary(
      List<String> members, long expiresAt, ActorRef<Conversation.Reply> r) {
    return new Conversation.Start(
        "A",
        members,
        "{}",
        Kind.TEMPORARY,
        true,
        ConversationIds.uniqueId(KEY, members),
        expiresAt,
        T0,
        r);
  }

  /**
   * JS 5 starts temporary conversations with unique: true; the unexpired one of the member set
   * answers.
   */
  @Test
  void a_unique_temporary_start_returns_the_unexpired_one_and_an_expired_one_is_replaced() {
    List<String> members = List.of("B", "A");
    String first =
        ConversationIds.uniqueTemporaryConversationId(ConversationIds.uniqueId(KEY, members));
    assertTrue(first.startsWith("_tmp:") && ConversationIds.isValid(first), first);
    var anchor = temporaryKit(first);
    var created =
        assertInstanceOf(
            Conversation.Created.class,
            anchor
                .<Conversation.Reply>runCommand(r -> uniqueTemporary(members, T0 + 60_000, r))
                .reply());
    assertFalse(created.existing());
    var again =
        assertInstanceOf(
            Conversation.Created.class,
            anchor
                .<Conversation.Reply>runCommand(
                    r -> uniqueTemporary(List.of("A", "B"), T0 + 90_000, r))
                .reply());
    assertTrue(again.existing());
    assertEquals(first, again.conversation().id());
    assertEquals(
        T0 + 60_000, again.conversation().expiresAt(), "the existing one keeps its expiry");

    clock.set(T0 + 60_000);
    var moved =
        assertInstanceOf(
            Conversation.Moved.class,
            anchor
                .<Conversation.Reply>runCommand(r -> uniqueTemporary(members, T0 + 120_000, r))
                .reply());
    assertTrue(moved.cid().startsWith("_tmp:") && !moved.cid().equals(first), moved::toString);
    assertEquals(
        moved,
        anchor
            .<Conversation.Reply>runCommand(r -> uniqueTemporary(members, T0 + 120_000, r))
            .reply(),
        "every start after expiry goes to the same successor");
    anchor.restart();
    assertEquals(
        moved,
        anchor.<Conversation.Reply>runCommand(r -> new Conversation.Successor(null, r)).reply(),
        "the successor is persisted");

    var successor = temporaryKit(moved.cid());
    var second =
        assertInstanceOf(
            Conversation.Created.class,
            successor
                .<Conversation.Reply>runCommand(r -> uniqueTemporary(members, T0 + 120_000, r))
                .reply());
    assertEquals(moved.cid(), second.conversation().id());
    clock.set(T0 + 120_000);
    var back =
        assertInstanceOf(
            Conversation.Moved.class,
            successor
                .<Conversation.Reply>runCommand(r -> uniqueTemporary(members, T0 + 180_000, r))
                .reply());
    assertEquals(
        new Conversation.Moved(first, moved.cid()),
        back,
        "an expired successor sends the start back to the first");
    var third =
        assertInstanceOf(
            Conversation.Moved.class,
            anchor
                .<Conversation.Reply>runCommand(r -> new Conversation.Successor(moved.cid(), r))
                .reply());
    assertFalse(List.of(first, moved.cid()).contains(third.cid()), third::toString);
    assertEquals(
        third,
        anchor
            .<Conversation.Reply>runCommand(r -> new Conversation.Successor(moved.cid(), r))
            .reply(),
        "a second report of the same stale successor finds the new one already chosen");
    assertEquals(
        4303, code(successor.<Conversation.Reply>runCommand(Conversation.Get::new).reply()));
  }

  @Test
  void a_non_unique_start_never_revives_an_expired_temporary_conversation() {
    var temporary = temporaryKit("_tmp:0123456789abcdef01234567");
    temporary.<Conversation.Reply>runCommand(
        r ->
            new Conversation.Start(
                "A", List.of("B"), "{}", Kind.TEMPORARY, false, null, T0 + 1_000, T0, r));
    clock.set(T0 + 1_000);
    assertEquals(
        4303,
        code(
            temporary
                .<Conversation.Reply>runCommand(
                    r ->
                        new Conversation.Start(
                            "A",
                            List.of("B"),
                            "{}",
                            Kind.TEMPORARY,
                            false,
                            null,
                            T0 + 9_000,
                            T0,
                            r))
                .reply()));
  }

  /**
   * JS {@code _fetchAllReceiptTimestamps} (max_read with queryAllMembers) reads the tuples as the
   * other members' positions; the requester's own tuple had a delivered time and no read time and
   * broke the SDK.
   */
  @Test
  void max_read_of_all_members_answers_the_others_only() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    var first = assertInstanceOf(Conversation.Sent.class, send("B", text("1", false, null)));
    kit.runCommand(new Conversation.Acked("A", first.timestamp(), null));
    kit.runCommand(new Conversation.MarkRead("C", first.timestamp(), null, null));
    var all =
        assertInstanceOf(
            Conversation.Positions.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.MaxRead("A", null, true, r))
                .reply());
    assertEquals(
        List.of(
            new Conversation.Position("B", 0, 0),
            new Conversation.Position("C", first.timestamp(), first.timestamp())),
        all.positions());
  }

  @Test
  void get_of_an_unknown_conversation_is_conversation_not_found() {
    var rejected =
        assertInstanceOf(
            Conversation.Rejected.class,
            kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(4303, rejected.code());
    assertEquals("CONVERSATION_NOT_FOUND", rejected.reason());
  }

  @Test
  void mute_is_idempotent_and_recorded() {
    start(List.of("B"), Kind.NORMAL, 0);
    kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Mute("B", true, T0, replyTo));
    var again =
        kit.<Conversation.Reply>runCommand(
            replyTo -> new Conversation.Mute("B", true, T0, replyTo));
    assertTrue(again.events().isEmpty());
    assertEquals(List.of("B"), again.state().muted());
  }

  @Test
  void state_is_recovered_from_the_journal() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    add("A", "D");
    remove("A", "B");
    kit.restart();
    var accepted =
        assertInstanceOf(
            Conversation.Accepted.class,
            kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(List.of("C", "A", "D"), accepted.conversation().members());
    assertEquals("{\"name\":\"g\"}", accepted.conversation().attributesJson());
    assertFalse(accepted.conversation().unique());
  }

  private EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, ConversationState>
      withRoles() {
    var roles =
        EventSourcedBehaviorTestKit
            .<Conversation.Command, Conversation.Event, ConversationState>create(
                TEST_KIT.system(),
                Conversation.create(
                    "app:0123456789abcdef01234569",
                    ConversationSettings.DEFAULT.withMemberRoles(true),
                    notices,
                    MemberIndex.NONE,
                    archive,
                    clock));
    roles.clear();
    roles.<Conversation.Reply>runCommand(
        replyTo ->
            new Conversation.Start(
                "A", List.of("B", "C", "D"), "{}", Kind.NORMAL, false, null, 0, T0, replyTo));
    sent.clear();
    return roles;
  }

  private static int code(Conversation.Reply reply) {
    return assertInstanceOf(Conversation.Rejected.class, reply).code();
  }

  @Test
  void role_changes_are_refused_while_member_roles_are_off() {
    var off =
        EventSourcedBehaviorTestKit
            .<Conversation.Command, Conversation.Event, ConversationState>create(
                TEST_KIT.system(),
                Conversation.create(
                    "app:0123456789abcdef0123456a",
                    ConversationSettings.DEFAULT.withMemberRoles(false),
                    notices,
                    MemberIndex.NONE,
                    archive,
                    clock));
    off.<Conversation.Reply>runCommand(
        replyTo ->
            new Conversation.Start(
                "A", List.of("B"), "{}", Kind.NORMAL, false, null, 0, T0, replyTo));
    var reply =
        off.<Conversation.Reply>runCommand(
                r -> new Conversation.ChangeRole("A", "B", "Manager", T0, r))
            .reply();
    assertEquals(4325, code(reply));
  }

  @Test
  void only_the_owner_or_a_manager_changes_roles_and_nobody_makes_an_owner() {
    var roles = withRoles();
    assertEquals(
        4320,
        code(
            roles
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.ChangeRole("B", "B", "Manager", T0, r))
                .reply()),
        "a member cannot promote itself");
    assertEquals(
        4321,
        code(
            roles
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.ChangeRole("A", "B", "King", T0, r))
                .reply()));
    assertEquals(
        4320,
        code(
            roles
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.ChangeRole("A", "B", "Owner", T0, r))
                .reply()));
    var promoted =
        roles.<Conversation.Reply>runCommand(
            r -> new Conversation.ChangeRole("A", "B", "Manager", T0, r));
    assertInstanceOf(Conversation.Accepted.class, promoted.reply());
    assertEquals("Manager", promoted.state().roleOf("B"));
    var changed = (Notice.MemberInfoChanged) sent.get(0).notice();
    assertEquals(
        List.of("B", "C", "D", "A"), sent.get(0).to(), "every member hears of a role change");
    assertEquals("B", changed.pid());
    roles.restart();
    var kick =
        roles
            .<Conversation.Reply>runCommand(r -> new Conversation.Remove("B", List.of("C"), T0, r))
            .reply();
    assertEquals(
        List.of("C"),
        assertInstanceOf(Conversation.MembershipChanged.class, kick).allowed(),
        "the role survives recovery: the manager may kick");
  }

  @Test
  void with_roles_members_do_not_kick_and_nobody_removes_the_owner() {
    var roles = withRoles();
    var byMember =
        assertInstanceOf(
            Conversation.MembershipChanged.class,
            roles
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.Remove("B", List.of("C", "B"), T0, r))
                .reply());
    assertEquals(List.of("B"), byMember.allowed(), "a member may still quit");
    assertEquals(4320, byMember.failed().get(0).code());
    var ownerQuit =
        assertInstanceOf(
            Conversation.MembershipChanged.class,
            roles
                .<Conversation.Reply>runCommand(
                    r -> new Conversation.Remove("A", List.of("A"), T0, r))
                .reply());
    assertEquals(4324, ownerQuit.failed().get(0).code(), "the owner can not quit");
    assertEquals("CONVERSATION_NEED_OWNER", ownerQuit.failed().get(0).reason());
  }

  @Test
  void shutup_tells_the_targets_and_the_members_and_a_muted_member_cannot_moderate() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var muted =
        assertInstanceOf(
            Conversation.MembershipChanged.class,
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Shutup("A", List.of("B"), true, T0, r))
                .reply());
    assertEquals(List.of("B"), muted.allowed());
    assertEquals("shutuped", ((Notice.Moderated) sent.get(0).notice()).action());
    assertEquals(List.of("B"), sent.get(0).to());
    assertEquals("members_shutuped", ((Notice.Moderated) sent.get(1).notice()).action());
    assertEquals(List.of("C", "A"), sent.get(1).to());
    assertEquals(
        4320,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Shutup("B", List.of("C"), true, T0, r))
                .reply()));
    var page =
        assertInstanceOf(
            Conversation.Listed.class,
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.ListModerated(false, 10, null, r))
                .reply());
    assertEquals(List.of("B"), page.clientIds());
  }

  @Test
  void blocking_removes_the_member_and_forbids_adding_it_again() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var blocked =
        kit.<Conversation.Reply>runCommand(
            r -> new Conversation.Block("A", List.of("B"), true, T0, r));
    assertEquals(
        List.of("B"),
        assertInstanceOf(Conversation.MembershipChanged.class, blocked.reply()).allowed());
    assertEquals(List.of("C", "A"), blocked.state().members());
    assertEquals(
        List.of("B"), recipientsOf(Notice.Left.class), "the blocked member also gets left");
    assertEquals(List.of("C", "A"), recipientsOf(Notice.MembersLeft.class));
    var readd = assertInstanceOf(Conversation.MembershipChanged.class, add("A", "B"));
    assertEquals(4548, readd.failed().get(0).code());
    assertEquals("BLOCKED_BY_CONV", readd.failed().get(0).reason());
    kit.<Conversation.Reply>runCommand(
        r -> new Conversation.Block("A", List.of("B"), false, T0, r));
    assertEquals(
        List.of("B"),
        assertInstanceOf(Conversation.MembershipChanged.class, add("A", "B")).allowed());
  }

  @Test
  void full_lists_and_a_disabled_blacklist_are_refused_with_their_codes() {
    var small = conversationSettings("member-roles = off, max-shutup = 1, max-blacklist = 1");
    kit =
        EventSourcedBehaviorTestKit.create(
            TEST_KIT.system(),
            Conversation.create(
                "app:0123456789abcdef0123456a", small, notices, MemberIndex.NONE, archive, clock));
    start(List.of("B", "C"), Kind.NORMAL, 0);
    kit.<Conversation.Reply>runCommand(
        r -> new Conversation.Shutup("A", List.of("B"), true, T0, r));
    var shutupFull =
        assertInstanceOf(
            Conversation.MembershipChanged.class,
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Shutup("A", List.of("C"), true, T0, r))
                .reply());
    assertEquals(4561, shutupFull.failed().get(0).code());
    kit.<Conversation.Reply>runCommand(r -> new Conversation.Block("A", List.of("B"), true, T0, r));
    assertEquals(
        4543,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Block("A", List.of("C"), true, T0, r))
                .reply()));

    var noBlacklist = conversationSettings("member-roles = off, blacklist = off");
    kit =
        EventSourcedBehaviorTestKit.create(
            TEST_KIT.system(),
            Conversation.create(
                "app:0123456789abcdef0123456b",
                noBlacklist,
                notices,
                MemberIndex.NONE,
                archive,
                clock));
    start(List.of("B"), Kind.NORMAL, 0);
    assertEquals(
        4544,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Block("A", List.of("B"), true, T0, r))
                .reply()));
  }

  @Test
  void outsiders_cannot_moderate() {
    start(List.of("B"), Kind.NORMAL, 0);
    assertEquals(
        4317,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Block("Z", List.of("B"), true, T0, r))
                .reply()));
    assertEquals(
        4317,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.Shutup("Z", List.of("B"), true, T0, r))
                .reply()));
  }

  private Conversation.MessageDraft text(String body, boolean receipt, String token) {
    return new Conversation.MessageDraft(
        body, false, List.of(), false, receipt, false, false, token, null);
  }

  private Conversation.Reply send(String sender, Conversation.MessageDraft draft) {
    return kit.<Conversation.Reply>runCommand(
            replyTo -> new Conversation.Send(sender, draft, null, replyTo, null))
        .reply();
  }

  @Test
  void a_message_is_durable_before_its_ack_and_reaches_every_member() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var ack = assertInstanceOf(Conversation.Sent.class, send("A", text("人民的名义挺好看的", false, null)));
    var stored = archive.stored("app", "0123456789abcdef01234567");
    assertEquals(1, stored.size(), "stored before the ack");
    assertEquals(ack.messageId(), stored.get(0).id());
    assertEquals(ack.timestamp(), stored.get(0).timestamp());
    var message = (Notice.Message) sent.get(0).notice();
    assertEquals(List.of("B", "C", "A"), sent.get(0).to(), "the sender's other devices get it too");
    assertEquals("人民的名义挺好看的", message.message().data());
    var second = assertInstanceOf(Conversation.Sent.class, send("B", text("2", false, null)));
    assertTrue(second.timestamp() > ack.timestamp(), "strictly increasing per conversation");
  }

  @Test
  void a_resend_with_the_same_token_returns_the_same_ack_and_stores_nothing() {
    start(List.of("B"), Kind.NORMAL, 0);
    var first = assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-1")));
    var again = assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-1")));
    assertEquals(first, again);
    assertEquals(1, archive.stored("app", "0123456789abcdef01234567").size());
  }

  /**
   * Review H8: the de-duplication of resends lived in memory only, so a resend after a crash stored
   * a second row.
   */
  @Test
  void a_resend_after_the_entity_restarted_returns_the_original_and_stores_nothing() {
    start(List.of("B"), Kind.NORMAL, 0);
    var first =
        assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-restart")));
    kit.restart();
    sent.clear();
    var again =
        assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-restart")));
    assertEquals(first, again);
    assertEquals(1, archive.stored("app", "0123456789abcdef01234567").size());
    // The run that stored it may have died before its pushes (NodeCrashIT): the members get it
    // again, once, with its original id.
    assertEquals(List.of(first.messageId()), deliveredIds());
    sent.clear();
    send("A", text("x", false, "dt-restart"));
    assertEquals(List.of(), deliveredIds(), "delivered again only once");
    var other =
        assertInstanceOf(Conversation.Sent.class, send("B", text("x", false, "dt-restart")));
    assertTrue(!other.messageId().equals(first.messageId()), "the token is the sender's own");
  }

  private List<String> deliveredIds() {
    return sent.stream()
        .filter(s -> s.notice() instanceof Notice.Message)
        .map(s -> ((Notice.Message) s.notice()).message().id())
        .toList();
  }

  /**
   * Found by RollingRestartIT: a resend older than the 100 messages kept in memory was stored a
   * second time.
   */
  @Test
  void a_resend_after_a_restart_is_recognised_beyond_the_messages_kept_in_memory() {
    start(List.of("B"), Kind.NORMAL, 0);
    var first = assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-old")));
    for (int n = 0; n < 150; n++) {
      send("B", text("filler " + n, false, null));
    }
    kit.restart();
    assertEquals(
        first, assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-old"))));
    assertEquals(151, archive.stored("app", "0123456789abcdef01234567").size());
  }

  /**
   * Review H8: a write reported failed (a timeout) may have stored the row; its resend must not add
   * another.
   */
  @Test
  void a_resend_after_a_failed_write_rewrites_the_same_row() {
    start(List.of("B"), Kind.NORMAL, 0);
    archive.timeOutWrites(1);
    assertEquals(4301, code(send("A", text("x", false, "dt-timeout"))));
    var later = assertInstanceOf(Conversation.Sent.class, send("A", text("y", false, null)));
    var retried =
        assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-timeout")));
    assertTrue(retried.timestamp() < later.timestamp(), "the retry keeps the original's place");
    var stored = archive.stored("app", "0123456789abcdef01234567");
    assertEquals(2, stored.size(), stored::toString);
    assertEquals(
        retried,
        assertInstanceOf(Conversation.Sent.class, send("A", text("x", false, "dt-timeout"))));
  }

  @Test
  void non_members_oversized_and_muted_senders_are_refused_and_nothing_is_stored() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    assertEquals(4401, code(send("Z", text("hi", false, null))));
    assertEquals(
        "INVALID_MESSAGING_TARGET",
        assertInstanceOf(Conversation.Rejected.class, send("Z", text("hi", false, null))).reason());
    assertEquals(4109, code(send("A", text("x".repeat(5121), false, null))));
    kit.<Conversation.Reply>runCommand(
        r -> new Conversation.Shutup("A", List.of("B"), true, T0, r));
    assertEquals(4563, code(send("B", text("hi", false, null))));
    assertTrue(archive.stored("app", "0123456789abcdef01234567").isEmpty());
  }

  @Test
  void a_temporarily_silenced_member_is_refused_with_4315_until_the_silence_ends_or_is_lifted() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    long until = T0 + 60_000;
    assertInstanceOf(
        Conversation.Accepted.class,
        kit.<Conversation.Reply>runCommand(
                r -> new Conversation.SilenceTemporarily(List.of("B"), until, T0, r))
            .reply());
    assertEquals(List.of(), sent, "nobody is told");
    var refused = assertInstanceOf(Conversation.Rejected.class, send("B", text("hi", false, null)));
    assertEquals(4315, refused.code());
    assertEquals("CONVERSATION_TEMPORARY_BLACKLISTED", refused.reason());
    assertInstanceOf(Conversation.Sent.class, send("C", text("hi", false, null)));
    assertTrue(archive.stored("app", "0123456789abcdef01234567").size() == 1);

    clock.set(until);
    assertInstanceOf(Conversation.Sent.class, send("B", text("free again", false, null)));

    kit.<Conversation.Reply>runCommand(
        r -> new Conversation.SilenceTemporarily(List.of("C"), until + 60_000, until, r));
    assertEquals(4315, code(send("C", text("hi", false, null))));
    assertInstanceOf(
        Conversation.Accepted.class,
        kit.<Conversation.Reply>runCommand(
                r -> new Conversation.SilenceTemporarily(List.of("C"), 0, until + 1, r))
            .reply());
    assertInstanceOf(Conversation.Sent.class, send("C", text("lifted", false, null)));
    // the silence survives a restart of the entity (it is in the journal)
    kit.<Conversation.Reply>runCommand(
        r -> new Conversation.SilenceTemporarily(List.of("B"), until + 60_000, until + 2, r));
    kit.restart();
    assertEquals(4315, code(send("B", text("hi", false, null))));
  }

  @Test
  void only_members_of_a_normal_conversation_are_silenced() {
    start(List.of("B"), Kind.NORMAL, 0);
    assertEquals(
        4317,
        code(
            kit.<Conversation.Reply>runCommand(
                    r -> new Conversation.SilenceTemporarily(List.of("Z"), T0 + 1_000, T0, r))
                .reply()));
  }

  @Test
  void anyone_is_silenced_in_a_chatroom_and_running_silences_are_bounded() {
    start(List.of(), Kind.TRANSIENT, 0);
    List<String> many = new ArrayList<>();
    for (int n = 0; n < ConversationSettings.DEFAULT.maxShutup(); n++) {
      many.add("M" + n);
    }
    assertInstanceOf(
        Conversation.Accepted.class,
        kit.<Conversation.Reply>runCommand(
                r -> new Conversation.SilenceTemporarily(many, T0 + 1_000, T0, r))
            .reply());
    assertEquals(
        4561,
        code(
            kit.<Conversation.Reply>runCommand(
                    r ->
                        new Conversation.SilenceTemporarily(
                            List.of("one more"), T0 + 1_000, T0 + 1, r))
                .reply()));
    // expired silences make room again
    assertInstanceOf(
        Conversation.Accepted.class,
        kit.<Conversation.Reply>runCommand(
                r ->
                    new Conversation.SilenceTemporarily(
                        List.of("one more"), T0 + 5_000, T0 + 1_000, r))
            .reply());
  }

  @Test
  void push_data_counts_against_the_cap_and_is_kept_for_the_offline_push_hook() {
    start(List.of("B"), Kind.NORMAL, 0);
    String push = "{\"alert\":\"" + "p".repeat(5000) + "\"}";
    assertEquals(
        4109,
        code(
            send(
                "A",
                new Conversation.MessageDraft(
                    "x".repeat(200), false, List.of(), false, false, false, false, null, push))));
    assertInstanceOf(
        Conversation.Sent.class,
        send(
            "A",
            new Conversation.MessageDraft(
                "hi", false, List.of(), false, false, false, false, null, "{\"alert\":\"hi\"}")));
    assertEquals(
        "{\"alert\":\"hi\"}", archive.stored("app", "0123456789abcdef01234567").get(0).pushData());
  }

  @Test
  void transient_messages_are_delivered_but_never_stored() {
    start(List.of("B"), Kind.NORMAL, 0);
    sent.clear();
    assertInstanceOf(
        Conversation.Sent.class,
        send(
            "A",
            new Conversation.MessageDraft(
                "typing", false, List.of(), false, false, true, false, null, null)));
    assertTrue(archive.stored("app", "0123456789abcdef01234567").isEmpty());
    assertTrue(((Notice.Message) sent.get(0).notice()).transientMessage());
  }

  @Test
  void unread_counts_mentions_and_the_offline_queue_follow_the_members_positions() {
    start(List.of("B"), Kind.NORMAL, 0);
    send("A", text("1", false, null));
    send(
        "A",
        new Conversation.MessageDraft(
            "2", false, List.of("B"), false, false, false, false, null, null));
    var third = assertInstanceOf(Conversation.Sent.class, send("A", text("3", true, null)));
    var unread =
        assertInstanceOf(
            Conversation.Unread.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UnreadOf("B", r)).reply());
    assertEquals(3, unread.count());
    assertTrue(unread.mentioned());
    assertEquals(third.messageId(), unread.last().id());
    var queue =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 2, r))
                .reply());
    assertEquals(
        List.of("2", "3"),
        queue.messages().stream().map(m -> m.data()).toList(),
        "the newest, oldest first");
    assertTrue(queue.hasMore());
    sent.clear();
    kit.runCommand(new Conversation.Acked("B", third.timestamp(), null));
    var receipt = (Notice.Receipt) sent.get(0).notice();
    assertEquals(
        List.of("A"), sent.get(0).to(), "the delivery receipt goes to the sender who asked for it");
    assertEquals(third.messageId(), receipt.messageId());
    assertFalse(receipt.read());
    var afterAck =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 20, r))
                .reply());
    assertTrue(afterAck.messages().isEmpty(), "acked messages leave the queue");
    kit.runCommand(new Conversation.MarkRead("B", 0, null, null));
    var read =
        assertInstanceOf(
            Conversation.Unread.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UnreadOf("B", r)).reply());
    assertEquals(0, read.count());
  }

  @Test
  void an_offline_queue_longer_than_memory_is_read_from_the_archive() {
    start(List.of("B"), Kind.NORMAL, 0);
    for (int n = 1; n <= 250; n++) {
      send("A", text(Integer.toString(n), false, null));
    }
    send("B", text("own", false, null));
    var all =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 1000, r))
                .reply());
    assertEquals(
        250,
        all.messages().size(),
        "every message B has not received, not only the 100 kept in memory");
    assertEquals("1", all.messages().get(0).data(), "oldest first");
    assertFalse(all.messages().stream().anyMatch(m -> m.from().equals("B")), "never B's own");
    assertFalse(all.hasMore());
    var newest =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 200, r))
                .reply());
    assertEquals(200, newest.messages().size(), "the limit counts B's queue, not B's own");
    assertEquals("51", newest.messages().get(0).data(), "the newest 200 queued for B");
    assertTrue(newest.hasMore());
  }

  /**
   * Two bugs of the review (E5, E5b): a failed load of the recent messages was never tried again,
   * so the conversation stashed every request for good; and `Get` did not wait for the load, so
   * right after recovery it answered without the last message.
   */
  @Test
  void
      after_recovery_requests_wait_for_the_recent_messages_which_are_loaded_again_after_a_failure() {
    start(List.of("B"), Kind.NORMAL, 0);
    var first = assertInstanceOf(Conversation.Sent.class, send("A", text("before", false, null)));
    archive.failRecent(2);
    kit.restart();
    var got =
        assertInstanceOf(
            Conversation.Accepted.class,
            kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(
        first.messageId(),
        got.conversation().lastMessage().id(),
        "Get answers once the messages are back");
    assertInstanceOf(
        Conversation.Sent.class,
        send("A", text("after", false, null)),
        "sends work after two failures");
  }

  /**
   * Issue #7 W4: with {@code offline-messages-per-conversation} above 100 the entity keeps what B
   * has not received in its offline tail, counted in the node's budget; when the entity stops (here
   * a restart) the bytes go back, and the queue is then read from the archive, still whole.
   */
  @Test
  void an_offline_tail_is_counted_in_the_node_budget_and_given_back_when_the_entity_stops() {
    ConversationSettings d = ConversationSettings.DEFAULT;
    ConversationSettings queueOf1000 =
        new ConversationSettings(
            d.memberRoles(),
            d.blacklist(),
            d.maxMembers(),
            d.maxTemporaryMembers(),
            d.defaultTemporaryTtl(),
            d.maxTemporaryTtl(),
            d.defaultQueryLimit(),
            d.maxQueryLimit(),
            d.maxQueryCandidates(),
            d.maxShutup(),
            d.maxBlacklist(),
            d.maxMessageSize(),
            1000,
            d.offlineConversations(),
            d.maxChatroomOnline(),
            d.maxAttributesSize(),
            d.maxQuerySteps());
    TailBudget budget = new TailBudget(64L << 20);
    Durability durability = Durability.DEFAULT;
    kit =
        EventSourcedBehaviorTestKit.create(
            TEST_KIT.system(),
            Conversation.create(
                "app:0123456789abcdef0123ffff",
                queueOf1000,
                notices,
                MemberIndex.NONE,
                archive,
                clock,
                new Durability(
                    durability.snapshotEvery(),
                    durability.keepSnapshots(),
                    durability.deleteEventsOnSnapshot(),
                    durability.positionFlush(),
                    durability.indexActivityInterval(),
                    budget)));
    start(List.of("B"), Kind.NORMAL, 0);
    for (int n = 1; n <= 300; n++) {
      send("A", text(Integer.toString(n), false, null));
    }
    assertTrue(budget.usedBytes() > 0, "200 messages beyond the recent 100 are kept for B");
    var fromMemory =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 1000, r))
                .reply());
    assertEquals(300, fromMemory.messages().size());
    assertFalse(fromMemory.hasMore());

    kit.restart();
    assertEquals(0, budget.usedBytes(), "the stopped entity gave its tail back");
    var fromArchive =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 1000, r))
                .reply());
    assertEquals(
        fromMemory.messages().stream().map(m -> m.id()).toList(),
        fromArchive.messages().stream().map(m -> m.id()).toList(),
        "the same queue, read from the archive");
    assertFalse(fromArchive.hasMore());

    var acked = fromArchive.messages().get(299);
    kit.runCommand(new Conversation.Acked("B", acked.timestamp(), null));
    assertEquals(0, budget.usedBytes());
  }

  @Test
  void recent_messages_and_flushed_positions_survive_recovery() {
    start(List.of("B"), Kind.NORMAL, 0);
    var first = assertInstanceOf(Conversation.Sent.class, send("A", text("1", false, null)));
    send("A", text("2", false, null));
    kit.runCommand(new Conversation.Acked("B", first.timestamp(), null));
    var flushed = kit.runCommand(Conversation.FlushPositions.INSTANCE);
    assertEquals(1, flushed.events().size(), "one coalesced event for the positions");
    kit.restart();
    var queue =
        assertInstanceOf(
            Conversation.Undelivered.class,
            kit.<Conversation.Reply>runCommand(r -> new Conversation.UndeliveredTo("B", 20, r))
                .reply());
    assertEquals(List.of("2"), queue.messages().stream().map(m -> m.data()).toList());
    var later = assertInstanceOf(Conversation.Sent.class, send("A", text("3", false, null)));
    assertTrue(later.timestamp() > first.timestamp());
  }

  @Test
  void only_the_sender_recalls_and_members_see_the_recall() {
    start(List.of("B"), Kind.NORMAL, 0);
    var message = assertInstanceOf(Conversation.Sent.class, send("A", text("oops", false, null)));
    assertEquals(
        4403,
        code(
            kit.<Conversation.Reply>runCommand(
                    r ->
                        new Conversation.PatchMessage(
                            "B",
                            message.messageId(),
                            message.timestamp(),
                            true,
                            null,
                            false,
                            List.of(),
                            false,
                            null,
                            r))
                .reply()));
    sent.clear();
    assertInstanceOf(
        Conversation.PatchApplied.class,
        kit.<Conversation.Reply>runCommand(
                r ->
                    new Conversation.PatchMessage(
                        "A",
                        message.messageId(),
                        message.timestamp(),
                        true,
                        null,
                        false,
                        List.of(),
                        false,
                        null,
                        r))
            .reply());
    var patched = (Notice.Patched) sent.get(0).notice();
    assertEquals(io.parley.node.message.StoredMessage.RECALLED, patched.message().data());
    assertTrue(archive.stored("app", "0123456789abcdef01234567").get(0).recalled());
  }

  @Test
  void a_system_conversation_is_subscribed_by_adding_oneself_and_nobody_adds_others() {
    kit.<Conversation.Reply>runCommand(
        r ->
            new Conversation.Start(
                "admin", List.of(), "{\"name\":\"news\"}", Kind.SYSTEM, false, null, 0, T0, r));
    sent.clear();
    var subscribed = assertInstanceOf(Conversation.MembershipChanged.class, add("Jerry", "Jerry"));
    assertEquals(List.of("Jerry"), subscribed.allowed());
    assertTrue(subscribed.conversation().members().contains("Jerry"));
    var others = assertInstanceOf(Conversation.MembershipChanged.class, add("Jerry", "Bob"));
    assertEquals(4314, others.failed().get(0).code());
    var unsubscribed =
        assertInstanceOf(Conversation.MembershipChanged.class, remove("Jerry", "Jerry"));
    assertFalse(unsubscribed.conversation().members().contains("Jerry"));
    assertTrue(sent.isEmpty(), "subscriptions notify nobody");
    add("Jerry", "Jerry");
    assertInstanceOf(Conversation.Sent.class, send("Jerry", text("to the app", false, null)));
    assertTrue(sent.isEmpty(), "a client's message to a system conversation is not fanned out");
  }

  /** The shipped {@code parley.conversation} settings with these HOCON overrides. */
  private static ConversationSettings conversationSettings(String overrides) {
    return ConversationSettings.fromConfig(
        com.typesafe.config.ConfigFactory.parseString(overrides)
            .withFallback(
                com.typesafe.config.ConfigFactory.load().getConfig("parley.conversation")));
  }
}
