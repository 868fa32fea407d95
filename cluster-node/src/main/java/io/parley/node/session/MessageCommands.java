package io.parley.node.session;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.HistoryReader;
import io.parley.node.message.HistoryQuery;
import io.parley.node.message.MessageStore;
import io.parley.node.message.StoredMessage;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.Limits;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.LogItem;
import io.parley.protocol.wire.LogsCommand;
import io.parley.protocol.wire.MaxReadTuple;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import io.parley.protocol.wire.ReadTuple;
import io.parley.protocol.wire.UnreadCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The session side of messaging (docs/protocol.md §6.12–§6.16, §8): {@code direct}, {@code ack},
 * {@code read}, {@code logs}, {@code patch}, {@code conv/max_read}, offline delivery at login and
 * will messages. The conversation entity stores and fans out; this class translates and answers.
 */
public final class MessageCommands {

  /** Builds the translator for one session actor. */
  public interface Factory {
    /** {@code sourceIp}: the connection's remote address, which the app's message hooks get. */
    MessageCommands create(
        ActorContext<SessionActor.Command> context, ActorRef<Delivery> inbox, String sourceIp);
  }

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MessageCommands.class);
  private static final int DEFAULT_HISTORY = 20;
  private static final int MAX_HISTORY = 1000;

  private final ActorContext<SessionActor.Command> context;

  /** The session actor, captured once: callbacks on other threads tell it, never the context. */
  private final ActorRef<SessionActor.Command> self;

  /** Where this session receives conversation notices: the origin of what it sends. */
  private final ActorRef<Delivery> inbox;

  private final String sourceIp;
  private final Function<String, EntityRef<Conversation.Command>> entities;
  private final Conversations conversations;
  private final ConversationIndex index;
  private final HistoryReader history;
  private final ConversationSettings settings;
  private final Limits limits;
  private final Duration askTimeout;
  private final Clock clock;
  private final NodeMetrics metrics;

  /** Acks held back per client and conversation (see {@link #openAckWindow}). */
  private final Map<String, PendingAck> ackWindows = new HashMap<>();

  private final Duration ackWindow;

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

  private MessageCommands(
      ActorContext<SessionActor.Command> context,
      ActorRef<Delivery> inbox,
      String sourceIp,
      Function<String, EntityRef<Conversation.Command>> entities,
      ConversationIndex index,
      HistoryReader history,
      ConversationSettings settings,
      Limits limits,
      Duration askTimeout,
      Duration ackWindow,
      Clock clock) {
    this.context = context;
    this.self = context.getSelf();
    this.limits = limits;
    this.inbox = inbox;
    this.sourceIp = sourceIp;
    this.entities = entities;
    this.conversations = new Conversations(entities, askTimeout);
    this.index = index;
    this.history = history;
    this.settings = settings;
    this.askTimeout = askTimeout;
    this.clock = clock;
    this.ackWindow = ackWindow;
    this.metrics = NodeMetrics.get(context.getSystem());
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
    HistoryReader history = new HistoryReader(entities, store, askTimeout);
    return (context, inbox, sourceIp) ->
        new MessageCommands(
            context,
            inbox,
            sourceIp,
            entities,
            index,
            history,
            settings,
            limits,
            askTimeout,
            ackWindow,
            clock);
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
    return (context, inbox, sourceIp) ->
        new MessageCommands(
            context,
            inbox,
            sourceIp,
            entities,
            null,
            null,
            settings,
            Limits.DEFAULT,
            askTimeout,
            ackWindow,
            clock);
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

  /** A code an entity or a reader answered, as the client's error code (4200 if unknown). */
  private static ErrorCode known(int code) {
    return ErrorCode.of(code).orElse(ErrorCode.INTERNAL_ERROR);
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
            error(
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

  // ------------------------------------------------------------------------------------------------ logs

  /** logs (§6.15): members only (chatrooms: who has joined); served from the message table. */
  void onLogs(String appId, String clientId, GenericCommand command) {
    LogsCommand request = command.getLogsMessage();
    if (!ConversationIds.isValid(request.getCid())) {
      emit(
          error(
              command,
              clientId,
              ErrorCode.CONVERSATION_NOT_FOUND,
              "no conversation " + request.getCid()));
      return;
    }
    history
        .read(appId, clientId, request.getCid(), historyQuery(request))
        .whenComplete(
            (result, failure) -> {
              GenericCommand frame =
                  failure != null
                      ? error(
                          command,
                          clientId,
                          ErrorCode.CONVERSATION_LOG_FAILED,
                          "history unavailable, retry")
                      : result instanceof HistoryReader.Page page
                          ? logsReply(command, clientId, page.messages(), page.other())
                          : error(
                              command,
                              clientId,
                              known(((HistoryReader.Refused) result).code()),
                              ((HistoryReader.Refused) result).detail());
              self.tell(new SessionActor.Emit(frame));
            });
  }

  static HistoryQuery historyQuery(LogsCommand request) {
    int limit =
        request.hasLimit() ? request.getLimit() : request.hasL() ? request.getL() : DEFAULT_HISTORY;
    // l = 0 asks for nothing and gets nothing, as on LeanCloud (both JS SDKs send it as given).
    limit = Math.max(0, Math.min(limit, MAX_HISTORY));
    boolean newer =
        request.hasDirection()
            ? request.getDirection() == LogsCommand.QueryDirection.NEW
            : request.hasTt() && request.hasT() && request.getTt() > request.getT();
    Integer lctype = request.hasLctype() ? request.getLctype() : null;
    if (newer) {
      return new HistoryQuery(
          request.hasT() ? request.getT() : Long.MIN_VALUE,
          request.getMid(),
          request.getTIncluded(),
          request.hasTt() ? request.getTt() : Long.MAX_VALUE,
          request.getTmid(),
          request.getTtIncluded(),
          false,
          limit,
          lctype);
    }
    return new HistoryQuery(
        request.hasT() ? request.getT() : Long.MAX_VALUE,
        request.getMid(),
        request.getTIncluded(),
        request.hasTt() ? request.getTt() : Long.MIN_VALUE,
        request.getTmid(),
        request.getTtIncluded(),
        true,
        limit,
        lctype);
  }

  private static GenericCommand logsReply(
      GenericCommand command,
      String clientId,
      List<StoredMessage> messages,
      Conversation.Position other) {
    LogsCommand.Builder logs = LogsCommand.newBuilder();
    for (StoredMessage message : messages) {
      LogItem.Builder item =
          LogItem.newBuilder()
              .setFrom(message.from())
              .setData(message.data())
              .setTimestamp(message.timestamp())
              .setMsgId(message.id())
              .addAllMentionPids(message.mentionPids());
      if (message.mentionAll()) {
        item.setMentionAll(true);
      }
      if (message.binary()) {
        item.setBin(true);
      }
      if (message.patchTimestamp() > 0) {
        item.setPatchTimestamp(message.patchTimestamp());
      }
      if (other != null && !message.from().equals(other.clientId())) {
        // Positions are message timestamps: the other member had received/read up to there.
        if (other.acked() >= message.timestamp()) {
          item.setAckAt(other.acked());
        }
        if (other.read() >= message.timestamp()) {
          item.setReadAt(other.read());
        }
      }
      logs.addLogs(item);
    }
    return Replies.replyTo(command, CommandType.logs, null, clientId).setLogsMessage(logs).build();
  }

  // ----------------------------------------------------------------------------------------------
  // patch

  /** patch/modify (§6.16): recall or edit; one item per request as the SDKs send. */
  void onPatch(String appId, String clientId, GenericCommand command) {
    PatchCommand request = command.getPatchMessage();
    if (request.getPatchesCount() == 0) {
      emit(error(command, clientId, ErrorCode.MESSAGE_NOT_FOUND, "no patch item"));
      return;
    }
    PatchItem item = request.getPatches(0);
    if (!ConversationIds.isValid(item.getCid())) {
      emit(
          error(
              command, clientId, ErrorCode.MESSAGE_NOT_FOUND, "no conversation " + item.getCid()));
      return;
    }
    if (item.getMentionPidsCount() > limits.mentionsPerMessage()) {
      emit(
          error(
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
          error(
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
      return error(command, clientId, known(rejected.code()), rejected.detail());
    }
    if (answer.reply() instanceof Conversation.RejectedByApp rejected) {
      return Replies.rejectedByApp(command.hasI() ? command.getI() : null, clientId, rejected);
    }
    return error(command, clientId, ErrorCode.INTERNAL_ERROR, "patch failed, retry");
  }

  // -------------------------------------------------------------------------------------------
  // max_read

  void onMaxRead(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    if (!ConversationIds.isValid(request.getCid())) {
      emit(
          error(
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
                    ? known(rejected.code())
                    : ErrorCode.INTERNAL_ERROR;
            return new SessionActor.Emit(error(command, clientId, code, "max_read failed"));
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

  // ------------------------------------------------------------------------------------------ at
  // login

  /**
   * After {@code opened} (§5.1 step 7): protocol version 1 gets its queued messages pushed ({@code
   * offline}), versions 2 and 3 get one {@code unread} with every conversation that has unread
   * messages.
   */
  public void afterLogin(String appId, String clientId, int version, long lastPatchTime) {
    if (index == null) {
      return; // built by forEntities: no member index, so no conversation to catch up on
    }
    index
        .conversationsOf(appId, clientId, settings.maxQueryCandidates())
        .whenComplete(
            (cids, failure) -> {
              if (failure != null) {
                LOG.warn("Offline delivery for {} skipped: {}", clientId, failure.toString());
                return;
              }
              if (version == 1) {
                pushOffline(appId, clientId, cids);
              } else {
                pushUnread(appId, clientId, cids);
              }
              if (lastPatchTime > 0) {
                pushPatches(appId, clientId, cids, lastPatchTime);
              }
            });
  }

  /** Patch sync (§10 item 3): one patch/modify with every recent patch newer than the client's. */
  private void pushPatches(String appId, String clientId, List<String> cids, long since) {
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.PatchesSince(clientId, since, replyTo))
        .thenAccept(
            answers -> {
              PatchCommand.Builder all = PatchCommand.newBuilder();
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Patches patches) {
                  for (StoredMessage message : patches.messages()) {
                    if (all.getPatchesCount() < MAX_HISTORY) {
                      all.addAllPatches(
                          NoticeFrames.toPush(
                                  clientId,
                                  new io.parley.node.conversation.Notice.Patched(
                                      patches.cid(), message, null))
                              .getPatchMessage()
                              .getPatchesList());
                    }
                  }
                }
              }
              if (all.getPatchesCount() > 0) {
                emit(
                    GenericCommand.newBuilder()
                        .setCmd(CommandType.patch)
                        .setOp(OpType.modify)
                        .setPeerId(clientId)
                        .setPatchMessage(all)
                        .build());
              }
            });
  }

  /**
   * Protocol version 1 (§5.1 step 7): the queued messages of at most {@code offline-conversations}
   * conversations, pushed as one batch so the socket gets them back to back.
   */
  private void pushOffline(String appId, String clientId, List<String> cids) {
    int limit = settings.offlineMessagesPerConversation();
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.UndeliveredTo(clientId, limit, replyTo))
        .thenAccept(
            answers -> {
              List<GenericCommand> frames = new ArrayList<>();
              int queues = 0;
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Undelivered queue
                    && !queue.messages().isEmpty()
                    && queues++ < settings.offlineConversations()) {
                  List<StoredMessage> messages = queue.messages();
                  for (int n = 0; n < messages.size(); n++) {
                    boolean last = n == messages.size() - 1;
                    frames.add(
                        NoticeFrames.direct(
                            clientId,
                            queue.cid(),
                            messages.get(n),
                            queue.convType(),
                            false,
                            true,
                            last && queue.hasMore()));
                  }
                }
              }
              if (!frames.isEmpty()) {
                self.tell(new SessionActor.EmitAll(frames));
              }
            });
  }

  /** Protocol versions 2 and 3: one {@code unread} with every conversation that has unread ones. */
  private void pushUnread(String appId, String clientId, List<String> cids) {
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.UnreadOf(clientId, replyTo))
        .thenAccept(
            answers -> {
              UnreadCommand.Builder unread =
                  UnreadCommand.newBuilder().setNotifTime(clock.millis());
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Unread tuple
                    && tuple.count() > 0
                    && unread.getConvsCount() < settings.offlineConversations()) {
                  unread.addConvs(
                      NoticeFrames.unreadTuple(
                          tuple.cid(),
                          tuple.count(),
                          tuple.last(),
                          tuple.mentioned(),
                          tuple.convType()));
                }
              }
              if (unread.getConvsCount() > 0) {
                emit(
                    GenericCommand.newBuilder()
                        .setCmd(CommandType.unread)
                        .setPeerId(clientId)
                        .setUnreadMessage(unread)
                        .build());
              }
            });
  }

  private static GenericCommand error(
      GenericCommand command, String clientId, ErrorCode code, String detail) {
    return Replies.error(command.hasI() ? command.getI() : null, clientId, code, detail);
  }

  private void emit(GenericCommand command) {
    self.tell(new SessionActor.Emit(command));
  }

  /** Ids of will messages, which are acked when registered and get their real id when delivered. */
  static final class StoredMessageIds {
    private StoredMessageIds() {}

    static String willId(String clientId, long at) {
      return "will-" + Integer.toHexString(clientId.hashCode()) + "-" + Long.toHexString(at);
    }
  }
}
