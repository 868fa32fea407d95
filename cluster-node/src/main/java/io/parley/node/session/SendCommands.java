package io.parley.node.session;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.Delivery;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.Limits;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of sending (docs/protocol.md §6.12, §6.16, §7.6): {@code direct} (acked once
 * stored), {@code patch/modify} (edit or recall) and will messages. It counts what is in flight
 * ({@link #sendsInFlight}, {@link #patchesInFlight}) for the session's backpressure and {@link
 * DeliveryGate}. Part of {@link MessageCommands}.
 */
final class SendCommands {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MessageCommands.class);

  private final ActorContext<SessionActor.Command> context;

  /** Where this session receives conversation notices: the origin of what it sends. */
  private final ActorRef<Delivery> inbox;

  private final String sourceIp;
  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final ConversationSettings settings;
  private final Limits limits;
  private final Duration askTimeout;
  private final Clock clock;
  private final NodeMetrics metrics;

  /** {@code direct}s sent and not yet answered: what the session's backpressure counts. */
  private int sendsInFlight;

  /** {@code patch/modify} requests sent to a conversation and not yet answered. */
  private int patchesInFlight;

  /**
   * Will messages registered on this connection, per client: delivered if the connection dies
   * (§7.6).
   */
  private final Map<String, Will> wills = new HashMap<>();

  private record Will(String clientId, String entityId, Conversation.MessageDraft draft) {}

  SendCommands(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      String sourceIp,
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationSettings settings,
      Limits limits,
      Duration askTimeout,
      Clock clock) {
    this.context = context;
    this.inbox = inbox;
    this.sourceIp = sourceIp;
    this.entities = entities;
    this.settings = settings;
    this.limits = limits;
    this.askTimeout = askTimeout;
    this.clock = clock;
    this.metrics = NodeMetrics.get(context.getSystem());
  }

  private void emit(GenericCommand command) {
    context.getSelf().tell(new SessionActor.Emit(command));
  }

  // -----------------------------------------------------------------------------------------------
  // direct

  /**
   * direct (§6.12): acked with {@code uid} and {@code t} once stored; errors as an ack with a code.
   * {@code room} is the chatroom entity this session has joined for {@code clientId} (null: none).
   */
  void onDirect(String appId, String clientId, GenericCommand command, String room) {
    DirectCommand request = command.getDirectMessage();
    if (!request.hasCid() || !ConversationIds.isValid(request.getCid())) {
      emit(
          ackError(
              command, clientId, ErrorCode.INVALID_MESSAGING_TARGET, "a valid cid is required"));
      return;
    }
    if (request.getMentionPidsCount() > limits.mentionsPerMessage()) {
      emit(
          ackError(
              command,
              clientId,
              ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED,
              "at most " + limits.mentionsPerMessage() + " mentions per message"));
      return;
    }
    if (request.hasDt() && request.getDt().length() > limits.dedupTokenLength()) {
      emit(
          ackError(
              command,
              clientId,
              ErrorCode.FRAME_TOO_LONG,
              "dt longer than " + limits.dedupTokenLength()));
      return;
    }
    boolean binary = request.hasBinaryMsg();
    String data =
        binary
            ? Base64.getEncoder().encodeToString(request.getBinaryMsg().toByteArray())
            : request.getMsg();
    String pushData = request.hasPushData() ? request.getPushData() : null;
    Conversation.MessageDraft draft =
        new Conversation.MessageDraft(
            data,
            binary,
            request.getMentionPidsList(),
            request.getMentionAll(),
            request.getR(),
            request.getTransient(),
            false,
            request.hasDt() ? request.getDt() : null,
            pushData);
    String entityId = ConversationIds.entityId(appId, request.getCid());
    if (request.getWill()) {
      // A will replaces the client's previous one and is only delivered if the connection dies
      // (§7.6).
      wills.put(
          clientId,
          new Will(
              clientId,
              entityId,
              new Conversation.MessageDraft(
                  data,
                  binary,
                  draft.mentionPids(),
                  draft.mentionAll(),
                  false,
                  false,
                  true,
                  null,
                  pushData)));
      long now = clock.millis();
      emit(
          Replies.replyTo(command, CommandType.ack, null, clientId)
              .setAckMessage(
                  AckCommand.newBuilder().setUid(StoredMessageIds.willId(clientId, now)).setT(now))
              .build());
      return;
    }
    long received = System.nanoTime();
    CompletionStage<Conversation.Reply> answer =
        Futures.direct(
            entities
                .apply(entityId)
                .ask(
                    replyTo -> new Conversation.Send(clientId, draft, inbox, replyTo, sourceIp),
                    askTimeout));
    if (entityId.equals(room)) {
      // The room this session has joined answered "not in the room": its entity restarted (a
      // deploy, a node
      // lost) and has not seen the session's periodic renewal yet. Join again and send once more,
      // so the
      // client's message is not refused for a seat it holds.
      answer =
          answer.thenCompose(
              reply ->
                  reply instanceof Conversation.Rejected rejected
                          && rejected.is(ErrorCode.INVALID_MESSAGING_TARGET)
                      ? Futures.direct(
                              entities
                                  .apply(entityId)
                                  .<Conversation.Reply>ask(
                                      replyTo ->
                                          new Conversation.JoinRoom(clientId, inbox, replyTo),
                                      askTimeout))
                          .thenCompose(
                              joined ->
                                  joined instanceof Conversation.Rejected
                                      ? CompletableFuture.completedFuture(reply)
                                      : Futures.direct(
                                          entities
                                              .apply(entityId)
                                              .<Conversation.Reply>ask(
                                                  replyTo ->
                                                      new Conversation.Send(
                                                          clientId, draft, inbox, replyTo,
                                                          sourceIp),
                                                  askTimeout)))
                      : CompletableFuture.completedFuture(reply));
    }
    sendsInFlight++;
    context.pipeToSelf(
        answer,
        (reply, failure) ->
            new SessionActor.Answered(
                new Answer(Answer.Kind.DIRECT, command, clientId, received, reply, failure)));
  }

  /**
   * A {@code direct} or {@code patch} answered by its conversation, back in the session actor:
   * {@code received} is when the request arrived (nanoTime).
   */
  record Answer(
      Kind kind,
      GenericCommand command,
      String clientId,
      long received,
      Conversation.Reply reply,
      Throwable failure) {
    enum Kind {
      DIRECT,
      PATCH
    }
  }

  /**
   * A {@code direct} or {@code patch} was answered: it is no longer in flight; the reply to send.
   */
  GenericCommand onAnswered(Answer answer) {
    if (answer.kind() == Answer.Kind.DIRECT) {
      sendsInFlight--;
      return directReply(answer);
    }
    patchesInFlight--;
    return patchReply(answer);
  }

  private GenericCommand directReply(Answer answer) {
    GenericCommand command = answer.command();
    String clientId = answer.clientId();
    if (answer.reply() instanceof Conversation.Sent sent) {
      metrics.acked(System.nanoTime() - answer.received());
      return Replies.replyTo(command, CommandType.ack, null, clientId)
          .setAckMessage(AckCommand.newBuilder().setUid(sent.messageId()).setT(sent.timestamp()))
          .build();
    }
    if (answer.reply() instanceof Conversation.Rejected rejected) {
      return ackError(command, clientId, rejected.code(), rejected.reason());
    }
    if (answer.reply() instanceof Conversation.RejectedByApp rejected) {
      // _messageReceived dropped it (docs/hooks.md §4.2): the ack carries the app's code and
      // message.
      AckCommand.Builder ack =
          AckCommand.newBuilder().setCode(rejected.code()).setReason(rejected.reason());
      if (rejected.appCode() != null) {
        ack.setAppCode(rejected.appCode());
      }
      if (rejected.appMsg() != null) {
        ack.setAppMsg(rejected.appMsg());
      }
      return Replies.replyTo(command, CommandType.ack, null, clientId).setAckMessage(ack).build();
    }
    LOG.warn(
        "direct to {} failed: {}",
        command.getDirectMessage().getCid(),
        String.valueOf(answer.failure()));
    return ackError(command, clientId, ErrorCode.INTERNAL_ERROR, "message not sent, retry");
  }

  int sendsInFlight() {
    return sendsInFlight;
  }

  int patchesInFlight() {
    return patchesInFlight;
  }

  /** The connection died without session/close: deliver the will messages of its clients. */
  public void connectionLost() {
    wills
        .values()
        .forEach(
            will ->
                entities
                    .apply(will.entityId())
                    .tell(
                        new Conversation.Send(
                            will.clientId(), will.draft(), inbox, null, sourceIp)));
    wills.clear();
  }

  /** A planned logout discards the client's will. */
  public void loggedOut(String clientId) {
    wills.remove(clientId);
  }

  private static GenericCommand ackError(
      GenericCommand command, String clientId, ErrorCode code, String detail) {
    return ackError(command, clientId, code.code(), code.reason());
  }

  /** An ack refusing a {@code direct}: the SDKs read the code and reason from the ack itself. */
  private static GenericCommand ackError(
      GenericCommand command, String clientId, int code, String reason) {
    return Replies.replyTo(command, CommandType.ack, null, clientId)
        .setAckMessage(AckCommand.newBuilder().setCode(code).setReason(reason))
        .build();
  }

  // ----------------------------------------------------------------------------------------------
  // patch

  /** patch/modify (§6.16): recall or edit; one item per request as the SDKs send. */
  void onPatch(String appId, String clientId, GenericCommand command) {
    PatchCommand request = command.getPatchMessage();
    if (request.getPatchesCount() == 0) {
      emit(Replies.errorTo(command, clientId, ErrorCode.MESSAGE_NOT_FOUND, "no patch item"));
      return;
    }
    PatchItem item = request.getPatches(0);
    if (!ConversationIds.isValid(item.getCid())) {
      emit(
          Replies.errorTo(
              command, clientId, ErrorCode.MESSAGE_NOT_FOUND, "no conversation " + item.getCid()));
      return;
    }
    if (item.getMentionPidsCount() > limits.mentionsPerMessage()) {
      emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED,
              "at most " + limits.mentionsPerMessage() + " mentions per message"));
      return;
    }
    boolean binary = item.hasBinaryMsg();
    int size =
        binary
            ? item.getBinaryMsg().size()
            : item.getData().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (size > settings.maxMessageSize()) {
      emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.FRAME_TOO_LONG,
              "edit of " + size + " bytes exceeds " + settings.maxMessageSize()));
      return;
    }
    String data =
        binary
            ? Base64.getEncoder().encodeToString(item.getBinaryMsg().toByteArray())
            : item.getData();
    CompletionStage<Conversation.Reply> answer =
        Futures.direct(
            entities
                .apply(ConversationIds.entityId(appId, item.getCid()))
                .ask(
                    replyTo ->
                        new Conversation.PatchMessage(
                            clientId,
                            item.getMid(),
                            item.getTimestamp(),
                            item.getRecall(),
                            data,
                            binary,
                            item.getMentionPidsList(),
                            item.getMentionAll(),
                            inbox,
                            replyTo),
                    askTimeout));
    patchesInFlight++;
    context.pipeToSelf(
        answer,
        (reply, failure) ->
            new SessionActor.Answered(
                new Answer(Answer.Kind.PATCH, command, clientId, 0, reply, failure)));
  }

  private static GenericCommand patchReply(Answer answer) {
    GenericCommand command = answer.command();
    String clientId = answer.clientId();
    if (answer.reply() instanceof Conversation.PatchApplied applied) {
      return Replies.replyTo(command, CommandType.patch, OpType.modified, clientId)
          .setPatchMessage(PatchCommand.newBuilder().setLastPatchTime(applied.patchTimestamp()))
          .build();
    }
    if (answer.reply() instanceof Conversation.Rejected rejected) {
      return Replies.errorTo(command, clientId, Replies.known(rejected.code()), rejected.detail());
    }
    if (answer.reply() instanceof Conversation.RejectedByApp rejected) {
      return Replies.rejectedByApp(command.hasI() ? command.getI() : null, clientId, rejected);
    }
    return Replies.errorTo(command, clientId, ErrorCode.INTERNAL_ERROR, "patch failed, retry");
  }

  /** Ids of will messages, which are acked when registered and get their real id when delivered. */
  static final class StoredMessageIds {
    private StoredMessageIds() {}

    static String willId(String clientId, long at) {
      return "will-" + Integer.toHexString(clientId.hashCode()) + "-" + Long.toHexString(at);
    }
  }
}
