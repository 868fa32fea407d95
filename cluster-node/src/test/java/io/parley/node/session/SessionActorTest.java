package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.message.StoredMessage;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.security.SecurityStore;
import io.parley.node.security.SignatureGuard;
import io.parley.node.security.TokenRevocation;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.Codecs;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The session edge without Cassandra or a node (docs/protocol.md §3–§5): a {@link SessionActor} fed
 * frames as the gateway feeds them, with a probe as its socket and probes as its conversations.
 * Each test asserts the frames and close codes a client would see.
 */
class SessionActorTest {

  private static final String APP = "session-test";
  private static final String SIGNED_APP = "session-test-signed";
  private static final String CID = "0000000000000000000000c1";

  /** A cluster-capable test kit (presence is sharded) that never joins a cluster. */
  private static final ActorTestKit KIT =
      ActorTestKit.create(
          ConfigFactory.parseString(
                  String.join(
                      "\n",
                      "pekko.actor.provider = cluster",
                      "pekko.remote.artery.canonical.hostname = 127.0.0.1",
                      "pekko.remote.artery.canonical.port = 0"))
              .withFallback(ActorTestKit.applicationTestConfig()));

  private static final NodeDirectory DIRECTORY =
      new NodeDirectory(KIT.system(), Duration.ofSeconds(3));

  @AfterAll
  static void shutdown() {
    KIT.shutdownTestKit();
  }

  // ---------------------------------------------------------------------------------- the client

  /** One connection: the socket the session writes to, and the conversation it talks to. */
  private static final class Connection {
    final ActorRef<SessionActor.Command> session;
    final TestProbe<Outbound> socket = KIT.createTestProbe();
    final TestProbe<SessionActor.Ack> reads = KIT.createTestProbe();
    final TestProbe<Conversation.Command> conversation = KIT.createTestProbe();
    final CommandCodec codec = Codecs.forSubprotocol(Subprotocol.PROTOBUF_3);

    Connection(String settings) {
      Config config =
          ConfigFactory.parseString(settings)
              .withFallback(
                  ConfigFactory.parseString(
                      "parley.apps = [{app-id = \""
                          + APP
                          + "\", app-key = k, master-key = m1},"
                          + " {app-id = \""
                          + SIGNED_APP
                          + "\", app-key = k, master-key = m2, signatures = all}]"))
              .withFallback(ConfigFactory.load())
              .resolve();
      NodeSettings nodeSettings = NodeSettings.fromConfig(config);
      Duration ask = Duration.ofSeconds(3);
      Clock clock = Clock.systemUTC();
      SecurityStore store = new SecurityStore(KIT.system(), "unused");
      SessionDependencies dependencies =
          new SessionDependencies(
              nodeSettings,
              new SessionTokens(nodeSettings.session().sessionTokenTtl()),
              ConversationCommands.forEntities(
                  this::entity, DIRECTORY, ConversationSettings.DEFAULT, nodeSettings, ask, clock),
              MessageCommands.forEntities(
                  this::entity, ConversationSettings.DEFAULT, ask, Duration.ofMillis(300), clock),
              DIRECTORY,
              new ClientPresence.Directory(ClusterSharding.get(KIT.system()), ask),
              new SignatureGuard(store, Duration.ofHours(6), clock),
              new TokenRevocation(store, clock, Duration.ofDays(1), Duration.ofHours(6)),
              io.parley.node.hooks.Hooks.NONE,
              clock,
              LoginThrottle.of(nodeSettings),
              new io.parley.node.security.WarmUpApp());
      session =
          KIT.spawn(
              SessionActor.create(
                  dependencies,
                  Subprotocol.PROTOBUF_3,
                  socket.getRef(),
                  new AtomicLong(System.nanoTime()),
                  "127.0.0.1"));
    }

    Connection() {
      this("");
    }

    private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Conversation.Command> entity(
        String entityId) {
      return TestEntityRef.of(Conversation.ENTITY_KEY, entityId, conversation.getRef());
    }

    void send(GenericCommand command) {
      session.tell(
          new SessionActor.FrameReceived(
              reads.getRef(), new SessionActor.Data(codec.encode(command))));
    }

    /** The next frame the client reads. */
    GenericCommand next() {
      Outbound out = socket.expectMessageClass(Outbound.class, Duration.ofSeconds(5));
      if (!(out instanceof Outbound.Send sent)) {
        throw new AssertionError("expected a frame, the socket got " + out);
      }
      return decode(sent.frame());
    }

    GenericCommand decode(Frame frame) {
      try {
        return codec.decode(frame);
      } catch (io.parley.protocol.ProtocolException e) {
        throw new AssertionError(e);
      }
    }

    /** The close the socket gets next, within {@code within}. */
    Outbound.Close closed(Duration within) {
      return socket.expectMessageClass(Outbound.Close.class, within);
    }

    GenericCommand login(String clientId, int i) {
      send(open(APP, clientId, i).build());
      return next();
    }
  }

  private static GenericCommand.Builder open(String appId, String clientId, int i) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.session)
        .setOp(OpType.open)
        .setAppId(appId)
        .setPeerId(clientId)
        .setI(i)
        .setSessionMessage(SessionCommand.newBuilder().setUa("session-actor-test"));
  }

  private static GenericCommand direct(String clientId, int i, String text) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.direct)
        .setPeerId(clientId)
        .setI(i)
        .setDirectMessage(DirectCommand.newBuilder().setCid(CID).setMsg(text))
        .build();
  }

  // ---------------------------------------------------------------------------------- login

  @Test
  void a_login_is_opened_with_its_request_id_and_a_session_token() {
    Connection connection = new Connection();
    GenericCommand opened = connection.login("Tom", 1);
    assertEquals(CommandType.session, opened.getCmd());
    assertEquals(OpType.opened, opened.getOp(), opened.toString());
    assertEquals(1, opened.getI());
    assertEquals("Tom", opened.getPeerId());
    assertFalse(opened.getSessionMessage().getSt().isEmpty(), "a session token: " + opened);
  }

  @Test
  void an_unknown_app_gets_session_closed_4100_and_the_connection_closes_with_4100() {
    Connection connection = new Connection();
    connection.send(open("no-such-app", "Tom", 7).build());
    GenericCommand closed = connection.next();
    assertEquals(OpType.closed, closed.getOp(), closed.toString());
    assertEquals(7, closed.getI());
    assertEquals(ErrorCode.APP_NOT_AVAILABLE.code(), closed.getSessionMessage().getCode());
    assertEquals("APP_NOT_AVAILABLE", closed.getSessionMessage().getReason());
    assertEquals(
        ErrorCode.APP_NOT_AVAILABLE.code(), connection.closed(Duration.ofSeconds(3)).code());
  }

  @Test
  void a_login_with_a_wrong_signature_gets_4102_and_the_connection_stays_open() {
    Connection connection = new Connection();
    long now = System.currentTimeMillis() / 1000;
    connection.send(
        open(SIGNED_APP, "Tom", 2)
            .setSessionMessage(
                SessionCommand.newBuilder().setT(now).setN("nonce-1").setS("not-the-signature"))
            .build());
    GenericCommand refused = connection.next();
    assertEquals(CommandType.error, refused.getCmd(), refused.toString());
    assertEquals(2, refused.getI());
    assertEquals(ErrorCode.SIGNATURE_FAILED.code(), refused.getErrorMessage().getCode());
    assertEquals("SIGNATURE_FAILED", refused.getErrorMessage().getReason());
    connection.send(GenericCommand.newBuilder().setCmd(CommandType.echo).setI(3).build());
    assertEquals(3, connection.next().getI(), "the same connection still answers");
  }

  @Test
  void a_command_before_any_login_gets_4105_and_the_connection_stays_open() {
    Connection connection = new Connection();
    connection.send(direct("Tom", 4, "too early"));
    GenericCommand refused = connection.next();
    assertEquals(CommandType.error, refused.getCmd(), refused.toString());
    assertEquals(4, refused.getI());
    assertEquals(ErrorCode.SESSION_REQUIRED.code(), refused.getErrorMessage().getCode());
    connection.conversation.expectNoMessage(Duration.ofMillis(200));
    assertEquals(OpType.opened, connection.login("Tom", 5).getOp(), "a login still works");
  }

  // ------------------------------------------------------------------------------- messages

  @Test
  void a_direct_reaches_its_conversation_and_is_acked_with_the_stored_id() {
    Connection connection = new Connection();
    connection.login("Tom", 1);
    connection.send(direct("Tom", 2, "hello"));
    Conversation.Send send = connection.conversation.expectMessageClass(Conversation.Send.class);
    assertEquals("Tom", send.sender());
    send.replyTo().tell(new Conversation.Sent("m-1", 1234L));
    GenericCommand ack = connection.next();
    assertEquals(CommandType.ack, ack.getCmd(), ack.toString());
    assertEquals(2, ack.getI());
    assertEquals("m-1", ack.getAckMessage().getUid());
    assertEquals(1234L, ack.getAckMessage().getT());
  }

  /**
   * Two clients on one socket (issue 9 point 4): the push of Tom's message to Jerry may reach the
   * session before the conversation's answer, yet the socket shows Tom's ack first.
   */
  @Test
  void on_a_shared_socket_the_senders_ack_goes_out_before_the_push_it_caused() {
    Connection connection = new Connection();
    connection.login("Tom", 1);
    connection.login("Jerry", 2);
    connection.send(direct("Tom", 3, "hi Jerry"));
    Conversation.Send send = connection.conversation.expectMessageClass(Conversation.Send.class);
    StoredMessage stored =
        new StoredMessage(
            "m-2", "Tom", 5678L, "hi Jerry", false, List.of(), false, false, 0, false, null);
    send.origin()
        .tell(new Delivery("Jerry", new Notice.Message(CID, stored, 0, false, send.origin())));
    connection.socket.expectNoMessage(Duration.ofMillis(300));
    send.replyTo().tell(new Conversation.Sent("m-2", 5678L));
    GenericCommand first = connection.next();
    GenericCommand second = connection.next();
    assertEquals(CommandType.ack, first.getCmd(), "the ack first: " + first);
    assertEquals("m-2", first.getAckMessage().getUid());
    assertEquals(CommandType.direct, second.getCmd(), "then the push: " + second);
    assertEquals("Jerry", second.getPeerId());
    assertEquals("m-2", second.getDirectMessage().getId());
  }

  // --------------------------------------------------------------------------------- closes

  @Test
  void an_undecodable_frame_closes_the_connection_with_4114() {
    Connection connection = new Connection();
    connection.session.tell(
        new SessionActor.FrameReceived(
            connection.reads.getRef(),
            new SessionActor.Data(new Frame.Binary(new byte[] {(byte) 0xff, 0x13, 0x37}))));
    Outbound.Close close = connection.closed(Duration.ofSeconds(3));
    assertEquals(ErrorCode.UNPARSEABLE_RAW_MESSAGE.code(), close.code());
    assertEquals("UNPARSEABLE_RAW_MESSAGE", close.reason());
  }

  @Test
  void a_frame_over_the_size_cap_closes_the_connection_with_4109_and_nothing_follows() {
    Connection connection = new Connection();
    connection.login("Tom", 1);
    connection.session.tell(
        new SessionActor.FrameReceived(
            connection.reads.getRef(), new SessionActor.TooLong(1 << 20)));
    assertEquals(ErrorCode.FRAME_TOO_LONG.code(), connection.closed(Duration.ofSeconds(3)).code());
    connection.send(GenericCommand.newBuilder().setCmd(CommandType.echo).setI(9).build());
    connection.socket.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void a_connection_without_a_login_is_closed_with_4108() {
    Connection connection = new Connection("parley.session.login-timeout = 300ms");
    long start = System.nanoTime();
    assertEquals(ErrorCode.LOGIN_TIMEOUT.code(), connection.closed(Duration.ofSeconds(3)).code());
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() >= 250, "not before");
  }

  @Test
  void a_logged_in_connection_is_not_closed_at_the_login_timeout() {
    Connection connection = new Connection("parley.session.login-timeout = 300ms");
    connection.login("Tom", 1);
    connection.socket.expectNoMessage(Duration.ofMillis(700));
  }

  @Test
  void a_silent_connection_is_closed_with_4107_at_the_read_idle_timeout() {
    Connection connection = new Connection("parley.session.read-idle-timeout = 400ms");
    connection.login("Tom", 1);
    Outbound.Close close = connection.closed(Duration.ofSeconds(3));
    assertEquals(ErrorCode.READ_TIMEOUT.code(), close.code());
    assertEquals("READ_TIMEOUT", close.reason());
  }

  @Test
  void goaway_tells_the_client_to_reconnect_elsewhere_then_closes_with_1001() {
    Connection connection = new Connection();
    connection.login("Tom", 1);
    connection.session.tell(SessionActor.GoAway.INSTANCE);
    assertEquals(CommandType.goaway, connection.next().getCmd());
    assertEquals(1001, connection.closed(Duration.ofSeconds(3)).code());
  }
}
