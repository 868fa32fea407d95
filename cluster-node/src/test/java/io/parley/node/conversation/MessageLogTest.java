package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.message.StoredMessage;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The offline tail of {@link MessageLog} and its node-wide {@link TailBudget}, without an actor or
 * Cassandra: what a member has not received is kept (bounded by the cap and the budget), what every
 * member has is dropped, and every byte goes back to the budget.
 */
class MessageLogTest {

  private static final long BASE = 1_000_000L;

  /** A budget far above what one conversation keeps. */
  private final TailBudget budget = new TailBudget(64L << 20);

  private final ConversationState state = pair();

  private static ConversationState pair() {
    return ConversationState.empty()
        .started(
            new Conversation.Started(
                "Tom", List.of("Tom", "Jerry"), "{}", Kind.NORMAL, false, null, 0, 1));
  }

  private static StoredMessage message(String from, int n) {
    return new StoredMessage(
        "m" + n, from, BASE + n, "text " + n, false, List.of(), false, false, 0, false, null);
  }

  /** Stores messages {@code from}..{@code to} (inclusive) sent by Tom, one batch each. */
  private static void store(MessageLog log, ConversationState state, int from, int to) {
    for (int n = from; n <= to; n++) {
      log.enqueue(new MessageLog.Pending(message("Tom", n), null, null, null, null));
      log.written(log.nextBatch(), true, state);
    }
  }

  private static List<Integer> numbers(List<StoredMessage> messages) {
    return messages.stream().map(m -> (int) (m.timestamp() - BASE)).toList();
  }

  private static MessageLog loaded(int retain, TailBudget budget) {
    MessageLog log = new MessageLog(retain, budget);
    log.loaded(List.of(), Map.of());
    return log;
  }

  @Test
  void an_offline_member_finds_its_whole_queue_in_memory_up_to_the_cap() {
    MessageLog log = loaded(1000, budget);
    store(log, state, 1, 1000);

    List<StoredMessage> queue = log.undeliveredTo("Jerry", state, BASE + 2000);
    assertEquals(IntStream.rangeClosed(1, 1000).boxed().toList(), numbers(queue));
    assertFalse(log.mayHaveOlder(0), "nothing of Jerry's queue left memory");
    assertEquals(1000, log.size());
    assertTrue(log.tailBytes() > 0);
    assertEquals(log.tailBytes(), budget.usedBytes());

    // Beyond the cap the oldest leave memory: the newest 1000 stay, older ones are in the archive.
    store(log, state, 1001, 1010);
    assertEquals(1000, log.size());
    assertTrue(log.mayHaveOlder(0));
    assertEquals(
        IntStream.rangeClosed(11, 1010).boxed().toList(),
        numbers(log.undeliveredTo("Jerry", state, BASE + 2000)));
    assertEquals(log.tailBytes(), budget.usedBytes());
  }

  @Test
  void acks_release_the_tail_and_a_conversation_whose_members_are_online_keeps_only_the_recent() {
    MessageLog log = loaded(1000, budget);
    store(log, state, 1, 500);
    assertEquals(500, log.size());

    // Jerry receives the first 300: those leave, the 200 it still lacks stay.
    log.ack("Jerry", BASE + 300, state, false);
    assertEquals(200, log.size());
    assertEquals(log.tailBytes(), budget.usedBytes());
    assertFalse(log.mayHaveOlder(BASE + 300));
    assertTrue(log.mayHaveOlder(BASE + 299));

    // All of them: back to the recent messages only, every byte returned.
    log.ack("Jerry", BASE + 500, state, false);
    assertEquals(MessageLog.RECENT, log.size());
    assertEquals(0, log.tailBytes());
    assertEquals(0, budget.usedBytes());

    // Jerry online, acking as messages come: nothing beyond the recent is ever kept.
    for (int n = 501; n <= 800; n++) {
      store(log, state, n, n);
      log.ack("Jerry", BASE + n, state, false);
    }
    assertEquals(MessageLog.RECENT, log.size());
    assertEquals(0, budget.usedBytes());
    // The sender's own messages do not wait for the sender: Tom never acked them.
    assertEquals(0, log.ackedBy("Tom", state));
  }

  @Test
  void over_budget_a_conversation_keeps_only_the_recent_and_says_the_queue_left_memory() {
    TailBudget tiny = new TailBudget(2_000);
    MessageLog log = loaded(1000, tiny);
    store(log, state, 1, 1000);

    assertTrue(log.size() < 110, "a 2 KB budget holds a few messages at most: " + log.size());
    assertTrue(tiny.usedBytes() <= 2_000);
    assertTrue(log.mayHaveOlder(0), "the queue must be read from the archive");
    List<StoredMessage> inMemory = log.undeliveredTo("Jerry", state, BASE + 2000);
    assertEquals(1000, inMemory.get(inMemory.size() - 1).timestamp() - BASE);
  }

  @Test
  void entities_share_the_node_budget_and_a_stopped_one_gives_its_bytes_back() {
    long oneTail = TailBudget.sizeOf(message("Tom", 1)) * 400;
    TailBudget shared = new TailBudget(oneTail + oneTail / 2);
    MessageLog first = loaded(1000, shared);
    MessageLog second = loaded(1000, shared);
    store(first, state, 1, 500);
    assertEquals(500, first.size());
    store(second, state, 1, 500);
    assertTrue(second.mayHaveOlder(0), "the second found the budget spent and fell back");
    assertEquals(first.tailBytes() + second.tailBytes(), shared.usedBytes());

    first.release(); // PostStop: passivation, handoff, shutdown
    assertEquals(MessageLog.RECENT, first.size());
    assertEquals(second.tailBytes(), shared.usedBytes());
    second.release();
    assertEquals(0, shared.usedBytes());

    store(second, state, 501, 900);
    assertEquals(500, second.size(), "with the bytes back the next messages are kept again");
  }

  @Test
  void without_a_tail_setting_the_log_keeps_the_recent_messages_only() {
    MessageLog log = loaded(20, budget);
    store(log, state, 1, 300);
    assertEquals(MessageLog.RECENT, log.size());
    assertTrue(log.mayHaveOlder(0));
    assertFalse(log.mayHaveOlder(BASE + 200));
  }

  @Test
  void a_deleted_or_patched_tail_message_keeps_the_budget_exact() {
    MessageLog log = loaded(1000, budget);
    store(log, state, 1, 300);
    log.remove("m5");
    assertEquals(299, log.size());
    StoredMessage original = message("Tom", 6);
    log.replace(
        original.patched(
            "a much longer text than before, edited", false, false, BASE + 5000, List.of(), false));
    assertEquals(log.tailBytes(), budget.usedBytes());
    log.release();
    assertEquals(0, budget.usedBytes());
  }
}
