package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.HistoryReader;
import io.parley.node.message.MessageStore;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.Limits;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of messaging (docs/protocol.md §6.8, §6.12–§6.16, §7.6, §8), for one session
 * actor: it builds the translators the route table calls ({@link SendCommands}: {@code direct},
 * {@code patch} and will messages; {@link ReceiptCommands}: {@code ack}, {@code read}, {@code
 * conv/max_read}; {@link HistoryCommands}: {@code logs}) and {@link LoginCatchUp} (offline delivery
 * at login), and passes the session's lifecycle events on to them. The conversation entity stores
 * and fans out; these classes translate and answer.
 */
public final class MessageCommands {

  /** Builds the translator for one session actor. */
  public interface Factory {
    /** {@code sourceIp}: the connection's remote address, which the app's message hooks get. */
    MessageCommands create(
        ActorContext<SessionActor.Command> context, ActorRef<Delivery> inbox, String sourceIp);
  }

  private final SendCommands sends;
  private final ReceiptCommands receipts;
  private final HistoryCommands history;
  private final LoginCatchUp catchUp;

  /** What every session's translators share: the node's entities, stores and settings. */
  private record Node(
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationIndex index,
      HistoryReader history,
      ConversationSettings settings,
      Limits limits,
      Duration askTimeout,
      Duration ackWindow,
      Clock clock) {

    Factory factory() {
      return (context, inbox, sourceIp) -> new MessageCommands(context, inbox, sourceIp, this);
    }
  }

  private MessageCommands(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      String sourceIp,
      Node node) {
    this.sends =
        new SendCommands(
            context,
            inbox,
            sourceIp,
            node.entities(),
            node.settings(),
            node.limits(),
            node.askTimeout(),
            node.clock());
    this.receipts =
        new ReceiptCommands(
            context, inbox, node.entities(), node.limits(), node.askTimeout(), node.ackWindow());
    this.history = new HistoryCommands(context.getSelf(), node.history());
    this.catchUp =
        new LoginCatchUp(
            context.getSelf(),
            node.index(),
            new Conversations(node.entities(), node.askTimeout()),
            node.settings(),
            node.clock());
  }

  public static Factory sharded(
      ClusterSharding sharding,
      ConversationIndex index,
      MessageStore store,
      ConversationSettings settings,
      Limits limits,
      Duration askTimeout,
      Duration ackWindow,
      Clock clock) {
    Function<String, EntityRef<Conversation.Command>> entities =
        id -> sharding.entityRefFor(Conversation.ENTITY_KEY, id);
    return new Node(
            entities,
            index,
            new HistoryReader(entities, store, askTimeout),
            settings,
            limits,
            askTimeout,
            ackWindow,
            clock)
        .factory();
  }

  /**
   * Entities reached through {@code entities} (tests: {@code TestEntityRef}s); no member index, no
   * history.
   */
  static Factory forEntities(
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationSettings settings,
      Duration askTimeout,
      Duration ackWindow,
      Clock clock) {
    return new Node(entities, null, null, settings, Limits.DEFAULT, askTimeout, ackWindow, clock)
        .factory();
  }

  /** direct, patch/modify; will messages. */
  SendCommands sends() {
    return sends;
  }

  /** ack, read, conv/max_read. */
  ReceiptCommands receipts() {
    return receipts;
  }

  /** logs. */
  HistoryCommands history() {
    return history;
  }

  /** After {@code opened}: what the client missed ({@link LoginCatchUp#afterLogin}). */
  public void afterLogin(String appId, String clientId, int version, long lastPatchTime) {
    catchUp.afterLogin(appId, clientId, version, lastPatchTime);
  }

  /** The connection died without session/close: deliver the will messages of its clients. */
  public void connectionLost() {
    sends.connectionLost();
  }

  /** A planned logout discards the client's will. */
  public void loggedOut(String clientId) {
    sends.loggedOut(clientId);
  }

  /** Sends every held ack now: the session ends, or a client logs out. */
  void flushAcks() {
    receipts.flushAcks();
  }
}
