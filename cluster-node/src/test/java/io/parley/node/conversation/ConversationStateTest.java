package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.protocol.ErrorCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rules on the conversation's immutable state, without an actor: positions stay bounded (review
 * H4), and who an add, a removal, a block or a moderation lets through.
 */
class ConversationStateTest {

  private static ConversationState group(String... members) {
    return ConversationState.empty()
        .started(
            new Conversation.Started(
                members[0], List.of(members), "{}", Kind.NORMAL, false, null, 0, 1));
  }

  @Test
  void positions_are_kept_for_members_only() {
    ConversationState state =
        group("Tom", "Jerry")
            .positionsAdvanced(
                new Conversation.PositionsAdvanced(
                    Map.of("Tom", 10L, "Spike", 11L), Map.of("Jerry", 12L, "Tyke", 13L)));
    assertEquals(Map.of("Tom", 10L), state.acked());
    assertEquals(Map.of("Jerry", 12L), state.read());
  }

  @Test
  void a_removed_member_takes_its_positions_along_and_a_late_flush_cannot_bring_them_back() {
    ConversationState state =
        group("Tom", "Jerry", "Spike")
            .positionsAdvanced(
                new Conversation.PositionsAdvanced(
                    Map.of("Tom", 10L, "Spike", 11L), Map.of("Spike", 12L)))
            .membersRemoved(new Conversation.MembersRemoved("Tom", List.of("Spike"), 20));
    assertEquals(Map.of("Tom", 10L), state.acked());
    assertEquals(Map.of(), state.read());
    ConversationState flushedLate =
        state.positionsAdvanced(
            new Conversation.PositionsAdvanced(Map.of("Spike", 30L), Map.of("Spike", 30L)));
    assertEquals(Map.of("Tom", 10L), flushedLate.acked());
    assertEquals(Map.of(), flushedLate.read());
  }

  @Test
  void a_temporary_silence_holds_until_its_end_and_expired_ones_are_pruned_by_the_next_change() {
    ConversationState state =
        group("Tom", "Jerry", "Spike")
            .temporarySilenceChanged(
                new Conversation.TemporarySilenceChanged(List.of("Jerry"), 1_000, 100));
    assertEquals(1_000, state.silencedUntil("Jerry", 100));
    assertEquals(1_000, state.silencedUntil("Jerry", 999));
    assertEquals(0, state.silencedUntil("Jerry", 1_000), "over at its end");
    assertEquals(0, state.silencedUntil("Tom", 100), "nobody else is silenced");

    ConversationState later =
        state.temporarySilenceChanged(
            new Conversation.TemporarySilenceChanged(List.of("Spike"), 5_000, 2_000));
    assertEquals(Map.of("Spike", 5_000L), later.silenced(), "Jerry's expired silence is gone");

    ConversationState lifted =
        later.temporarySilenceChanged(
            new Conversation.TemporarySilenceChanged(List.of("Spike"), 0, 2_500));
    assertEquals(0, lifted.silencedUntil("Spike", 2_500));
    assertEquals(Map.of(), lifted.silenced());
  }

  @Test
  void a_state_persisted_before_temporary_silences_reads_as_nobody_silenced() {
    ConversationState old = group("Tom");
    ConversationState withoutSilences =
        new ConversationState(
            old.exists(),
            old.kind(),
            old.creator(),
            old.members(),
            old.muted(),
            old.attributesJson(),
            old.unique(),
            old.uniqueId(),
            old.createdAt(),
            old.updatedAt(),
            old.expiresAt(),
            old.roles(),
            old.shutup(),
            old.blacklist(),
            old.acked(),
            old.read(),
            old.successor(),
            null);
    assertEquals(0, withoutSilences.silencedUntil("Tom", 0));
  }

  private static List<String> codes(List<Conversation.Failure> failed) {
    return failed.stream().map(f -> f.code() + " " + f.clientIds()).toList();
  }

  @Test
  void an_add_lets_members_in_again_refuses_the_blacklisted_and_stops_at_the_cap() {
    ConversationState state =
        group("Tom", "Jerry")
            .blacklistChanged(new Conversation.BlacklistChanged("Tom", List.of("Spike"), true, 2));
    ConversationState.Admission admission =
        state.admission(List.of("Jerry", "Spike", "Tyke", "Butch", "Nibbles"), 4);
    assertEquals(List.of("Tyke", "Butch"), admission.added(), "two places left under the cap");
    assertEquals(List.of("Jerry", "Tyke", "Butch"), admission.allowed());
    assertEquals(
        List.of(
            ErrorCode.CONVERSATION_FULL.code() + " [Nibbles]",
            ErrorCode.BLOCKED_BY_CONV.code() + " [Spike]"),
        codes(admission.failed()));
    assertEquals(List.of(), state.admission(List.of("Jerry"), 4).failed(), "no empty failures");
  }

  @Test
  void with_member_roles_only_moderators_remove_others_and_nobody_removes_the_owner() {
    ConversationState state =
        group("Tom", "Jerry", "Spike", "Tyke")
            .roleChanged(
                new Conversation.RoleChanged("Tom", "Spike", ConversationState.MANAGER, 2));
    ConversationState.Removal byMember =
        state.removal("Jerry", List.of("Jerry", "Tyke", "Tom"), true);
    assertEquals(List.of("Jerry"), byMember.removed(), "a member may leave");
    assertEquals(
        List.of(
            ErrorCode.CONVERSATION_NEED_OWNER.code() + " [Tom]",
            ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED.code() + " [Tyke]"),
        codes(byMember.failed()));
    ConversationState.Removal byManager = state.removal("Spike", List.of("Tyke", "Nobody"), true);
    assertEquals(List.of("Tyke"), byManager.removed());
    assertEquals(List.of("Tyke", "Nobody"), byManager.allowed(), "a non-member changes nothing");
    assertEquals(
        List.of("Jerry", "Tyke"),
        state.removal("Jerry", List.of("Jerry", "Tyke"), false).removed(),
        "without roles any member removes anyone");
  }

  @Test
  void moderation_is_for_members_of_normal_conversations_by_role_or_unless_shut_up() {
    ConversationState state =
        group("Tom", "Jerry", "Spike")
            .shutupChanged(new Conversation.ShutupChanged("Tom", List.of("Spike"), true, 2));
    assertNull(state.moderationRefusal("Tom", true), "the owner moderates");
    assertEquals(
        ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED.code(),
        state.moderationRefusal("Jerry", true).code(),
        "a plain member does not, with roles on");
    assertNull(state.moderationRefusal("Jerry", false), "any member does, with roles off");
    assertEquals(
        ErrorCode.CONVERSATION_OPERATION_UNAUTHORIZED.code(),
        state.moderationRefusal("Spike", false).code(),
        "unless shut up");
    assertEquals(
        ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED.code(),
        state.moderationRefusal("Butch", false).code());
    ConversationState room =
        ConversationState.empty()
            .started(
                new Conversation.Started(
                    "Tom", List.of(), "{}", Kind.TRANSIENT, false, null, 0, 1));
    assertEquals(
        ErrorCode.NORMAL_CONVERSATION_REQUIRED.code(), room.moderationRefusal("Tom", true).code());
  }

  @Test
  void blocking_skips_the_owner_with_roles_on_and_changes_only_what_differs() {
    ConversationState state =
        group("Tom", "Jerry", "Spike")
            .blacklistChanged(new Conversation.BlacklistChanged("Tom", List.of("Spike"), true, 2));
    ConversationState.BlacklistChange block =
        state.blacklistChange(List.of("Tom", "Jerry", "Spike"), true, true);
    assertEquals(List.of("Jerry"), block.changed(), "Spike is already blocked");
    assertEquals(List.of("Jerry", "Spike"), block.allowed());
    assertEquals(
        List.of(ErrorCode.CONVERSATION_NEED_OWNER.code() + " [Tom]"), codes(block.failed()));
    assertEquals(
        List.of("Tom", "Jerry"),
        state.blacklistChange(List.of("Tom", "Jerry", "Spike"), true, false).changed(),
        "without roles the owner is blocked like anyone");
    ConversationState.BlacklistChange unblock =
        state.blacklistChange(List.of("Tom", "Spike"), false, true);
    assertEquals(List.of("Spike"), unblock.changed());
    assertEquals(List.of(), unblock.failed(), "unblocking the owner is not refused");
  }
}
