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
}
