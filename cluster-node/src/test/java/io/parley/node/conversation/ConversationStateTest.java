package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.node.conversation.ConversationState.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rules on the conversation's immutable state, without an actor (review H4: positions stay
 * bounded).
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
}
