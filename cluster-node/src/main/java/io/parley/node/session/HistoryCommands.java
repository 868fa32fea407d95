package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.HistoryReader;
import io.parley.node.message.HistoryQuery;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.LogItem;
import io.parley.protocol.wire.LogsCommand;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The session side of history (docs/protocol.md §6.15): {@code logs}, read through {@link
 * HistoryReader} (members only) and answered as one page. Part of {@link MessageCommands}.
 */
final class HistoryCommands {

  private static final int DEFAULT_HISTORY = 20;

  /** The most messages one {@code logs} page (or one login's patch sync) carries. */
  static final int MAX_HISTORY = 1000;

  /** The session actor: answers are told to it from the reader's threads. */
  private final ActorRef<SessionActor.Command> self;

  /** Null when built without a message store ({@code MessageCommands.forEntities}). */
  private final HistoryReader history;

  HistoryCommands(ActorRef<SessionActor.Command> self, HistoryReader history) {
    this.self = self;
    this.history = history;
  }

  /** logs (§6.15): members only (chatrooms: who has joined); served from the message table. */
  void onLogs(String appId, String clientId, GenericCommand command) {
    LogsCommand request = command.getLogsMessage();
    if (!ConversationIds.isValid(request.getCid())) {
      self.tell(
          new SessionActor.Emit(
              Replies.errorTo(
                  command,
                  clientId,
                  ErrorCode.CONVERSATION_NOT_FOUND,
                  "no conversation " + request.getCid())));
      return;
    }
    history
        .read(appId, clientId, request.getCid(), historyQuery(request))
        .whenComplete(
            (result, failure) -> {
              GenericCommand frame =
                  failure != null
                      ? Replies.errorTo(
                          command,
                          clientId,
                          ErrorCode.CONVERSATION_LOG_FAILED,
                          "history unavailable, retry")
                      : result instanceof HistoryReader.Page page
                          ? logsReply(command, clientId, page.messages(), page.other())
                          : Replies.errorTo(
                              command,
                              clientId,
                              Replies.known(((HistoryReader.Refused) result).code()),
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
}
