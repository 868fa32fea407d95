package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.parley.node.conversation.Conversation;
import io.parley.node.message.HistoryQuery;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.LogsCommand;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How a {@code logs} request becomes a history page (docs/protocol.md §6.15). */
class MessageCommandsTest {

  private static HistoryQuery query(LogsCommand.Builder request) {
    return HistoryCommands.historyQuery(request.setCid("0123456789abcdef01234567").build());
  }

  /**
   * Both JS SDKs send {@code queryMessages({limit: 0})} as {@code l: 0}; LeanCloud answers no
   * messages.
   */
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

  private static final ActorTestKit TEST_KIT = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private static GenericCommand ack(String cid, String mid) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.ack)
        .setAckMessage(AckCommand.newBuilder().setCid(cid).setMid(mid))
        .build();
  }

  /**
   * Members of a group ack every message: the first ack of a client for a conversation reaches the
   * entity at once, the ones right after it are coalesced into the latest, and what is held is sent
   * when the window closes.
   */
  /** Conversation ids as the server makes them: acks for malformed ids never reach an entity. */
  private static final String GROUP = "0000000000000000000000a1";

  private static final String OTHER = "0000000000000000000000b2";

  @Test
  void acks_right_after_the_first_are_coalesced_into_the_latest() {
    TestProbe<Conversation.Command> group = TEST_KIT.createTestProbe();
    TestProbe<Conversation.Command> other = TEST_KIT.createTestProbe();
    MessageCommands.Factory factory =
        MessageCommands.forEntities(
            id ->
                TestEntityRef.of(
                    Conversation.ENTITY_KEY,
                    id,
                    id.endsWith(":" + GROUP) ? group.getRef() : other.getRef()),
            ConversationSettings.DEFAULT,
            Duration.ofSeconds(3),
            Duration.ofMillis(300),
            Clock.systemUTC());
    TEST_KIT.spawn(
        Behaviors.<SessionActor.Command>setup(
            context -> {
              MessageCommands messages = factory.create(context, null, "127.0.0.1");
              messages.receipts().onAck("app", "Jerry", ack(GROUP, "m1"));
              messages.receipts().onAck("app", "Jerry", ack(GROUP, "m2"));
              messages.receipts().onAck("app", "Jerry", ack(GROUP, "m3"));
              messages.receipts().onAck("app", "Jerry", ack(OTHER, "x1"));
              return Behaviors.receive(SessionActor.Command.class)
                  .onMessage(
                      SessionActor.AckWindowClosed.class,
                      closed -> {
                        messages.receipts().ackWindowClosed(closed.key());
                        return Behaviors.same();
                      })
                  .build();
            }));
    assertEquals(
        "m1",
        group.expectMessageClass(Conversation.Acked.class).messageId(),
        "the first ack at once");
    assertEquals(
        "x1",
        other.expectMessageClass(Conversation.Acked.class).messageId(),
        "windows are per conversation");
    assertEquals(
        "m3",
        group.expectMessageClass(Conversation.Acked.class).messageId(),
        "then only the latest");
    group.expectNoMessage(Duration.ofMillis(800));
    other.expectNoMessage(Duration.ZERO);
  }
}
