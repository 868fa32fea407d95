package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.parley.node.conversation.ConversationState.Kind;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
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
 * The conversation entity alone, on the in-memory journal (commands, events and state are serialized by the
 * kit): membership rules, the notification matrix of PROTOCOL.md §11, and recovery.
 */
class ConversationTest {

  private static final ActorTestKit TEST_KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(ConfigFactory.load()));

  private static final long T0 = 1_700_000_000_000L;

  /** A notice as the presence layer would receive it. */
  record Sent(List<String> to, Notice notice) {}

  private final List<Sent> sent = new CopyOnWriteArrayList<>();
  private final MutableClock clock = new MutableClock(T0);
  private EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, ConversationState> kit;

  @BeforeEach
  void setUp() {
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), Conversation.create("app:0123456789abcdef01234567",
        ConversationSettings.DEFAULT, (appId, to, notice) -> sent.add(new Sent(to, notice)), Conversation.MemberIndex.NONE,
        clock));
    kit.clear();
    sent.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private Conversation.Reply start(List<String> members, Kind kind, long expiresAt) {
    return kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Start("A", members, "{\"name\":\"g\"}", kind,
        false, null, expiresAt, T0, replyTo)).reply();
  }

  private Conversation.Reply add(String initiator, String... ids) {
    return kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Add(initiator, List.of(ids), T0 + 1, replyTo)).reply();
  }

  private Conversation.Reply remove(String initiator, String... ids) {
    return kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Remove(initiator, List.of(ids), T0 + 2, replyTo)).reply();
  }

  private List<String> recipientsOf(Class<? extends Notice> type) {
    List<String> recipients = new ArrayList<>();
    sent.stream().filter(s -> type.isInstance(s.notice())).forEach(s -> recipients.addAll(s.to()));
    return recipients;
  }

  @Test
  void creation_adds_the_initiator_and_tells_the_others_they_joined() {
    var created = assertInstanceOf(Conversation.Created.class, start(List.of("B", "C", "B"), Kind.NORMAL, 0));
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

  /** Seed table "A 退出对话" (DECISION §6.3): B, C get members_left; the quitter gets nothing. */
  @Test
  void quit_tells_only_the_remaining_members() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    assertInstanceOf(Conversation.MembershipChanged.class, remove("A", "A"));
    assertTrue(recipientsOf(Notice.Left.class).isEmpty());
    assertEquals(List.of("B", "C"), recipientsOf(Notice.MembersLeft.class));
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
    kit = EventSourcedBehaviorTestKit.create(TEST_KIT.system(), Conversation.create("app:0123456789abcdef01234568",
        new ConversationSettings(false, true, 3, 10, java.time.Duration.ofDays(1), java.time.Duration.ofDays(30), 10, 1000,
            1000, 500, 500),
        (appId, to, notice) -> {}, Conversation.MemberIndex.NONE, clock));
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
    var updated = kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Update("A",
        "{\"name\":\"new\",\"attr.pinned\":true,\"m\":[\"hacker\"]}", T0 + 5, replyTo));
    var accepted = assertInstanceOf(Conversation.Accepted.class, updated.reply());
    assertEquals("{\"name\":\"new\",\"attr\":{\"pinned\":true}}", accepted.conversation().attributesJson());
    assertEquals(List.of("B", "A"), accepted.conversation().members(), "m is a protected column");
    var notice = (Notice.Updated) sent.get(0).notice();
    assertEquals(List.of("B"), sent.get(0).to());
    assertEquals("{\"name\":\"new\",\"attr.pinned\":true}", notice.modifiedJson());
    var outsider = kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Update("Z", "{\"name\":\"x\"}", T0, replyTo));
    assertEquals(4309, assertInstanceOf(Conversation.Rejected.class, outsider.reply()).code());
  }

  @Test
  void temporary_conversations_expire() {
    start(List.of("B"), Kind.TEMPORARY, T0 + 60_000);
    assertInstanceOf(Conversation.Accepted.class, kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    clock.set(T0 + 60_000);
    var expired = assertInstanceOf(Conversation.Rejected.class, kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(4323, expired.code());
    assertEquals(4323, assertInstanceOf(Conversation.Rejected.class, add("A", "C")).code());
  }

  @Test
  void get_of_an_unknown_conversation_is_conversation_not_found() {
    var rejected = assertInstanceOf(Conversation.Rejected.class, kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(4303, rejected.code());
    assertEquals("CONVERSATION_NOT_FOUND", rejected.reason());
  }

  @Test
  void mute_is_idempotent_and_recorded() {
    start(List.of("B"), Kind.NORMAL, 0);
    kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Mute("B", true, T0, replyTo));
    var again = kit.<Conversation.Reply>runCommand(replyTo -> new Conversation.Mute("B", true, T0, replyTo));
    assertTrue(again.events().isEmpty());
    assertEquals(List.of("B"), again.state().muted());
  }

  @Test
  void state_is_recovered_from_the_journal() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    add("A", "D");
    remove("A", "B");
    kit.restart();
    var accepted = assertInstanceOf(Conversation.Accepted.class, kit.<Conversation.Reply>runCommand(Conversation.Get::new).reply());
    assertEquals(List.of("C", "A", "D"), accepted.conversation().members());
    assertEquals("{\"name\":\"g\"}", accepted.conversation().attributesJson());
    assertFalse(accepted.conversation().unique());
  }

  private EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, ConversationState> withRoles() {
    var roles = EventSourcedBehaviorTestKit.<Conversation.Command, Conversation.Event, ConversationState>create(
        TEST_KIT.system(), Conversation.create("app:0123456789abcdef01234569", ConversationSettings.DEFAULT.withMemberRoles(true),
            (appId, to, notice) -> sent.add(new Sent(to, notice)), Conversation.MemberIndex.NONE, clock));
    roles.clear();
    roles.<Conversation.Reply>runCommand(replyTo -> new Conversation.Start("A", List.of("B", "C", "D"), "{}", Kind.NORMAL,
        false, null, 0, T0, replyTo));
    sent.clear();
    return roles;
  }

  private static int code(Conversation.Reply reply) {
    return assertInstanceOf(Conversation.Rejected.class, reply).code();
  }

  @Test
  void role_changes_are_refused_while_member_roles_are_off() {
    start(List.of("B"), Kind.NORMAL, 0);
    var reply = kit.<Conversation.Reply>runCommand(r -> new Conversation.ChangeRole("A", "B", "Manager", T0, r)).reply();
    assertEquals(4325, code(reply));
  }

  @Test
  void only_the_owner_or_a_manager_changes_roles_and_nobody_makes_an_owner() {
    var roles = withRoles();
    assertEquals(4320, code(roles.<Conversation.Reply>runCommand(r -> new Conversation.ChangeRole("B", "B", "Manager", T0, r)).reply()),
        "a member cannot promote itself");
    assertEquals(4321, code(roles.<Conversation.Reply>runCommand(r -> new Conversation.ChangeRole("A", "B", "King", T0, r)).reply()));
    assertEquals(4320, code(roles.<Conversation.Reply>runCommand(r -> new Conversation.ChangeRole("A", "B", "Owner", T0, r)).reply()));
    var promoted = roles.<Conversation.Reply>runCommand(r -> new Conversation.ChangeRole("A", "B", "Manager", T0, r));
    assertInstanceOf(Conversation.Accepted.class, promoted.reply());
    assertEquals("Manager", promoted.state().roleOf("B"));
    var changed = (Notice.MemberInfoChanged) sent.get(0).notice();
    assertEquals(List.of("B", "C", "D", "A"), sent.get(0).to(), "every member hears of a role change");
    assertEquals("B", changed.pid());
    roles.restart();
    var kick = roles.<Conversation.Reply>runCommand(r -> new Conversation.Remove("B", List.of("C"), T0, r)).reply();
    assertEquals(List.of("C"), assertInstanceOf(Conversation.MembershipChanged.class, kick).allowed(),
        "the role survives recovery: the manager may kick");
  }

  @Test
  void with_roles_members_do_not_kick_and_nobody_removes_the_owner() {
    var roles = withRoles();
    var byMember = assertInstanceOf(Conversation.MembershipChanged.class,
        roles.<Conversation.Reply>runCommand(r -> new Conversation.Remove("B", List.of("C", "B"), T0, r)).reply());
    assertEquals(List.of("B"), byMember.allowed(), "a member may still quit");
    assertEquals(4320, byMember.failed().get(0).code());
    var ownerQuit = assertInstanceOf(Conversation.MembershipChanged.class,
        roles.<Conversation.Reply>runCommand(r -> new Conversation.Remove("A", List.of("A"), T0, r)).reply());
    assertEquals(4324, ownerQuit.failed().get(0).code(), "the owner can not quit");
    assertEquals("CONVERSATION_NEED_OWNER", ownerQuit.failed().get(0).reason());
  }

  @Test
  void shutup_tells_the_targets_and_the_members_and_a_muted_member_cannot_moderate() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var muted = assertInstanceOf(Conversation.MembershipChanged.class,
        kit.<Conversation.Reply>runCommand(r -> new Conversation.Shutup("A", List.of("B"), true, T0, r)).reply());
    assertEquals(List.of("B"), muted.allowed());
    assertEquals("shutuped", ((Notice.Moderated) sent.get(0).notice()).action());
    assertEquals(List.of("B"), sent.get(0).to());
    assertEquals("members_shutuped", ((Notice.Moderated) sent.get(1).notice()).action());
    assertEquals(List.of("C", "A"), sent.get(1).to());
    assertEquals(4320, code(kit.<Conversation.Reply>runCommand(r -> new Conversation.Shutup("B", List.of("C"), true, T0, r)).reply()));
    var page = assertInstanceOf(Conversation.Listed.class,
        kit.<Conversation.Reply>runCommand(r -> new Conversation.ListModerated(false, 10, null, r)).reply());
    assertEquals(List.of("B"), page.clientIds());
  }

  @Test
  void blocking_removes_the_member_and_forbids_adding_it_again() {
    start(List.of("B", "C"), Kind.NORMAL, 0);
    sent.clear();
    var blocked = kit.<Conversation.Reply>runCommand(r -> new Conversation.Block("A", List.of("B"), true, T0, r));
    assertEquals(List.of("B"), assertInstanceOf(Conversation.MembershipChanged.class, blocked.reply()).allowed());
    assertEquals(List.of("C", "A"), blocked.state().members());
    assertEquals(List.of("B"), recipientsOf(Notice.Left.class), "the blocked member also gets left");
    assertEquals(List.of("C", "A"), recipientsOf(Notice.MembersLeft.class));
    var readd = assertInstanceOf(Conversation.MembershipChanged.class, add("A", "B"));
    assertEquals(4548, readd.failed().get(0).code());
    assertEquals("BLOCKED_BY_CONV", readd.failed().get(0).reason());
    kit.<Conversation.Reply>runCommand(r -> new Conversation.Block("A", List.of("B"), false, T0, r));
    assertEquals(List.of("B"), assertInstanceOf(Conversation.MembershipChanged.class, add("A", "B")).allowed());
  }

  @Test
  void outsiders_cannot_moderate() {
    start(List.of("B"), Kind.NORMAL, 0);
    assertEquals(4317, code(kit.<Conversation.Reply>runCommand(r -> new Conversation.Block("Z", List.of("B"), true, T0, r)).reply()));
    assertEquals(4317, code(kit.<Conversation.Reply>runCommand(r -> new Conversation.Shutup("Z", List.of("B"), true, T0, r)).reply()));
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile long millis;

    MutableClock(long millis) {
      this.millis = millis;
    }

    void set(long millis) {
      this.millis = millis;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
      return millis;
    }
  }
}
