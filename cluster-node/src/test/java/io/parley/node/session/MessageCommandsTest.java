package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.node.message.HistoryQuery;
import io.parley.protocol.wire.LogsCommand;
import org.junit.jupiter.api.Test;

/** How a {@code logs} request becomes a history page (PROTOCOL.md §6.15). */
class MessageCommandsTest {

  private static HistoryQuery query(LogsCommand.Builder request) {
    return MessageCommands.historyQuery(request.setCid("0123456789abcdef01234567").build());
  }

  /** Both JS SDKs send {@code queryMessages({limit: 0})} as {@code l: 0}; LeanCloud answers no messages. */
  @Test
  void a_limit_of_zero_asks_for_no_messages() {
    assertEquals(0, query(LogsCommand.newBuilder().setL(0)).limit());
    assertEquals(0, query(LogsCommand.newBuilder().setLimit(0)).limit());
    assertEquals(0, query(LogsCommand.newBuilder().setL(-3)).limit());
  }

  @Test
  void no_limit_is_twenty_and_a_large_one_is_capped_at_a_thousand() {
    assertEquals(20, query(LogsCommand.newBuilder()).limit());
    assertEquals(1, query(LogsCommand.newBuilder().setL(1)).limit());
    assertEquals(1000, query(LogsCommand.newBuilder().setL(5000)).limit());
  }
}
