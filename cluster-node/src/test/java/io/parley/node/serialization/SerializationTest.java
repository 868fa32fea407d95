package io.parley.node.serialization;

import com.typesafe.config.ConfigFactory;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.message.StoredMessage;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.NodeDirectory;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Messages that cross nodes outside the entity testkit's checks survive Jackson CBOR. */
class SerializationTest {

  private static final ActorTestKit TEST_KIT =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final SerializationTestKit SERIALIZATION =
      new SerializationTestKit(TEST_KIT.system());

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  @Test
  void every_notice_reaches_a_session_on_another_node_intact() {
    List<Notice> notices =
        List.of(
            new Notice.Joined("cid", "Tom", 1L),
            new Notice.MembersJoined("cid", List.of("Bob", "William"), "Tom", 2L),
            new Notice.Left("cid", "Tom", 3L),
            new Notice.MembersLeft("cid", List.of("Harry"), "Tom", 4L),
            new Notice.Updated("cid", "Tom", "{\"name\":\"x\"}", "{\"name\":\"x\"}", 1L, 5L),
            new Notice.MemberInfoChanged("cid", "Tom", "Jerry", "Manager", 6L),
            new Notice.Moderated("cid", "members_shutuped", List.of("Harry"), "Tom", 7L),
            new Notice.SessionClosed("", 4115, "banned"));
    for (Notice notice : notices) {
      SERIALIZATION.verifySerialization(
          new NodeDirectory.Deliver("app", List.of("Jerry", "Tom"), notice), true);
      SERIALIZATION.verifySerialization(new NodeDirectory.DeliverRoom("app", "cid", notice), true);
    }
  }

  @Test
  void a_message_reaches_another_node_with_the_session_it_came_from() {
    TestProbe<Delivery> origin = TEST_KIT.createTestProbe();
    StoredMessage message =
        new StoredMessage(
            "id", "Tom", 1L, "hello", false, List.of("Jerry"), false, true, 0, false, null);
    SERIALIZATION.verifySerialization(
        new NodeDirectory.Deliver(
            "app", List.of("Jerry"), new Notice.Message("cid", message, 1, false, origin.getRef())),
        true);
    TestProbe<NodeDirectory.Online> replyTo = TEST_KIT.createTestProbe();
    SERIALIZATION.verifySerialization(
        new NodeDirectory.WhoIsOnline("app", List.of("Jerry"), replyTo.getRef()), true);
    SERIALIZATION.verifySerialization(new NodeDirectory.Online(List.of("Jerry")), true);
    TestProbe<NodeDirectory.OnlineCount> counted = TEST_KIT.createTestProbe();
    SERIALIZATION.verifySerialization(new NodeDirectory.CountOnline("app", counted.getRef()), true);
    SERIALIZATION.verifySerialization(new NodeDirectory.OnlineCount(1, List.of("Jerry")), true);
  }

  @Test
  void presence_registration_carries_the_session_reference() {
    TestProbe<ClientPresence.Kicked> session = TEST_KIT.createTestProbe();
    TestProbe<ClientPresence.Registered> replyTo = TEST_KIT.createTestProbe();
    SERIALIZATION.verifySerialization(
        new ClientPresence.Register(
            session.getRef(), "mobile", "device-1", false, replyTo.getRef()),
        true);
    SERIALIZATION.verifySerialization(
        new ClientPresence.Kicked("Jerry", 4111, "SESSION_CONFLICT"), true);
    // Periodic renewals carry no reply-to (an ignore ref turns into deadLetters on the other node).
    SERIALIZATION.verifySerialization(
        new ClientPresence.Register(session.getRef(), null, null, true, null), true);
  }
}
