package io.parley.node.session;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.Delivery;
import io.parley.node.settings.Limits;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.MaxReadTuple;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.ReadTuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of receipts (docs/protocol.md §6.8, §6.13, §6.14): {@code ack} (delivered, with
 * the per-client, per-conversation coalescing window), {@code read} and {@code conv/max_read}. Part
 * of {@link MessageCommands}.
 */
final class ReceiptCommands {

  private final ActorContext<SessionActor.Command> context;

  /** The session actor, captured once: callbacks on other threads tell it, never the context. */
  private final ActorRef<SessionActor.Command> self;

  /** Where this session receives conversation notices: read receipts skip it. */
  private final ActorRef<Delivery> inbox;

  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final Limits limits;
  private final Duration askTimeout;

  /** Acks held back per client and conversation (see {@link #openAckWindow}). */
  private final Map<String, PendingAck> ackWindows = new HashMap<>();

  private final Duration ackWindow;

  ReceiptCommands(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      Function<String, EntityRef<Conversation.Command>> entities,
      Limits limits,
      Duration askTimeout,
      Duration ackWindow) {
    this.context = context;
    this.self = context.getSelf();
    this.inbox = inbox;
    this.entities = entities;
    this.limits = limits;
    this.askTimeout = askTimeout;
    this.ackWindow = ackWindow;
  }

  private void emit(GenericCommand command) {
    self.tell(new SessionActor.Emit(command));
  }

  // ------------------------------------------------------------------------------------------ ack,
  // read

  /**
   * ack (§6.13): advances the delivered position; answered only when it carries an {@code i}
   * (.NET).
   */
  void onAck(String appId, String clientId, GenericCommand command) {
    AckCommand ack = command.getAckMessage();
    if (ack.hasCid() && ConversationIds.isValid(ack.getCid())) {
      Conversation.Acked acked =
          new Conversation.Acked(clientId, ack.getTots(), ack.hasMid() ? ack.getMid() : null);
      String entityId = ConversationIds.entityId(appId, ack.getCid());
      String key = clientId + "\u0000" + entityId;
      if (ackWindow.isZero()) {
        entities.apply(entityId).tell(acked);
      } else if (ackWindows.containsKey(key)) {
        // Within the window the latest ack replaces the previous ones: acks arrive in delivery
        // order.
        ackWindows.put(key, new PendingAck(entityId, acked));
      } else {
        entities.apply(entityId).tell(acked);
        openAckWindow(key);
      }
    }
    if (command.hasI()) {
      emit(Replies.replyTo(command, CommandType.ack, null, clientId).build());
    }
  }

  /**
   * Every member of a group acks every message; one Acked per message and member would flood the
   * entity (500 members at 40 msg/s is 20,000 a second). The first ack of a client for a
   * conversation goes at once; acks in the next {@code ack-window} are coalesced into the latest,
   * sent when the window closes.
   */
  private void openAckWindow(String key) {
    ackWindows.put(key, PendingAck.NONE);
    context.scheduleOnce(ackWindow, self, new SessionActor.AckWindowClosed(key));
  }

  void ackWindowClosed(String key) {
    PendingAck pending = ackWindows.remove(key);
    if (pending != null && pending != PendingAck.NONE) {
      entities.apply(pending.entityId()).tell(pending.acked());
      openAckWindow(key);
    }
  }

  /** Sends every held ack now: the session ends, or a client logs out. */
  void flushAcks() {
    ackWindows.values().stream()
        .filter(pending -> pending != PendingAck.NONE)
        .forEach(pending -> entities.apply(pending.entityId()).tell(pending.acked()));
    ackWindows.clear();
  }

  /** The latest ack of one client for one conversation, held until its window closes. */
  private record PendingAck(String entityId, Conversation.Acked acked) {
    static final PendingAck NONE = new PendingAck(null, null);
  }

  /** read (§6.14): every shape the SDKs send ({@code cid}, {@code cids}, {@code convs}). */
  void onRead(String appId, String clientId, GenericCommand command) {
    var read = command.getReadMessage();
    List<ReadTuple> tuples = new ArrayList<>(read.getConvsList());
    if (read.hasCid()) {
      tuples.add(ReadTuple.newBuilder().setCid(read.getCid()).build());
    }
    read.getCidsList().forEach(cid -> tuples.add(ReadTuple.newBuilder().setCid(cid).build()));
    if (tuples.size() > limits.idsPerRequest()) {
      if (command.hasI()) {
        emit(
            Replies.errorTo(
                command,
                clientId,
                ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED,
                "at most " + limits.idsPerRequest() + " conversations per read"));
      }
      return;
    }
    tuples.removeIf(tuple -> !ConversationIds.isValid(tuple.getCid()));
    for (ReadTuple tuple : tuples) {
      entities
          .apply(ConversationIds.entityId(appId, tuple.getCid()))
          .tell(
              new Conversation.MarkRead(
                  clientId, tuple.getTimestamp(), tuple.hasMid() ? tuple.getMid() : null, inbox));
    }
    if (command.hasI()) {
      emit(Replies.replyTo(command, CommandType.read, null, clientId).build());
    }
  }

  // -------------------------------------------------------------------------------------------
  // max_read

  void onMaxRead(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    if (!ConversationIds.isValid(request.getCid())) {
      emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.CONVERSATION_NOT_FOUND,
              "no conversation " + request.getCid()));
      return;
    }
    CompletionStage<Conversation.Reply> answer =
        Futures.direct(
            entities
                .apply(ConversationIds.entityId(appId, request.getCid()))
                .ask(
                    replyTo ->
                        new Conversation.MaxRead(
                            clientId,
                            request.hasTargetClientId() ? request.getTargetClientId() : null,
                            request.getQueryAllMembers(),
                            replyTo),
                    askTimeout));
    context.pipeToSelf(
        answer,
        (reply, failure) -> {
          if (!(reply instanceof Conversation.Positions positions)) {
            ErrorCode code =
                reply instanceof Conversation.Rejected rejected
                    ? Replies.known(rejected.code())
                    : ErrorCode.INTERNAL_ERROR;
            return new SessionActor.Emit(
                Replies.errorTo(command, clientId, code, "max_read failed"));
          }
          ConvCommand.Builder result = ConvCommand.newBuilder().setCid(request.getCid());
          if (request.getQueryAllMembers()) {
            for (Conversation.Position position : positions.positions()) {
              MaxReadTuple.Builder tuple = MaxReadTuple.newBuilder().setPid(position.clientId());
              if (position.acked() > 0) {
                tuple.setMaxAckTimestamp(position.acked());
              }
              if (position.read() > 0) {
                tuple.setMaxReadTimestamp(position.read());
              }
              result.addMaxReadTuples(tuple);
            }
          } else if (!positions.positions().isEmpty()) {
            Conversation.Position position = positions.positions().get(0);
            if (position.acked() > 0) {
              result.setMaxAckTimestamp(position.acked());
            }
            if (position.read() > 0) {
              result.setMaxReadTimestamp(position.read());
            }
          }
          return new SessionActor.Emit(
              Replies.replyTo(command, CommandType.conv, OpType.max_read, clientId)
                  .setConvMessage(result)
                  .build());
        });
  }
}
