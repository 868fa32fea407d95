package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The conversation entity alone, on the in-memory journal; commands, events and state are serialized. */
class ConversationTest {

  private static final ActorTestKit TEST_KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(ConfigFactory.load()));

  private final EventSourcedBehaviorTestKit<Conversation.Command, Conversation.Event, Conversation.State> kit =
      EventSourcedBehaviorTestKit.create(TEST_KIT.system(), Conversation.create("parley-dev:0123456789abcdef01234567"));

  @BeforeEach
  void clear() {
    kit.clear();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private Conversation.Start start(List<String> members, org.apache.pekko.actor.typed.ActorRef<Conversation.Reply> replyTo) {
    return new Conversation.Start("Tom", members, "{\"name\":\"Tom & Jerry\"}", false, true, 1_700_000_000_000L, replyTo);
  }

  @Test
  void start_persists_the_members_in_order_without_duplicates() {
    var result = kit.<Conversation.Reply>runCommand(replyTo -> start(List.of("Jerry", "Tom", "Jerry"), replyTo));
    var accepted = assertInstanceOf(Conversation.Accepted.class, result.reply());
    assertEquals("0123456789abcdef01234567", accepted.conversation().id());
    assertEquals(List.of("Jerry", "Tom"), accepted.conversation().members());
    assertEquals(
        new Conversation.Started("Tom", List.of("Jerry", "Tom"), "{\"name\":\"Tom & Jerry\"}", false, true, 1_700_000_000_000L),
        result.event());
    assertTrue(result.state().exists());
  }

  @Test
  void a_second_start_on_the_same_id_is_rejected_and_changes_nothing() {
    kit.<Conversation.Reply>runCommand(replyTo -> start(List.of("Jerry"), replyTo));
    var again = kit.<Conversation.Reply>runCommand(replyTo -> start(List.of("Bob"), replyTo));
    assertInstanceOf(Conversation.Rejected.class, again.reply());
    assertTrue(again.events().isEmpty());
    assertEquals(List.of("Jerry", "Tom").size(), again.state().members().size());
  }

  @Test
  void get_of_an_unknown_conversation_is_conversation_not_found() {
    var result = kit.<Conversation.Reply>runCommand(Conversation.Get::new);
    var rejected = assertInstanceOf(Conversation.Rejected.class, result.reply());
    assertEquals(4303, rejected.code());
  }

  @Test
  void state_is_recovered_from_the_journal() {
    kit.<Conversation.Reply>runCommand(replyTo -> start(List.of("Jerry"), replyTo));
    kit.restart();
    var result = kit.<Conversation.Reply>runCommand(Conversation.Get::new);
    var accepted = assertInstanceOf(Conversation.Accepted.class, result.reply());
    assertEquals(List.of("Jerry", "Tom"), accepted.conversation().members());
    assertEquals("{\"name\":\"Tom & Jerry\"}", accepted.conversation().attributesJson());
  }
}
