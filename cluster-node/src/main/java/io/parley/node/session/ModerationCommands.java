package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Instant;
import java.util.List;

/**
 * The session side of what changes a conversation other than its members (docs/protocol.md §6.5,
 * §6.6, §6.9–§6.11): {@code conv/update} and {@code mute}/{@code unmute}, member roles ({@code
 * member_info_update}), shut-up ({@code add_shutup}, {@code remove_shutup}, {@code query_shutup})
 * and {@code blacklist}. Part of {@link ConversationCommands}; one ask per request through {@link
 * ConversationAsks}.
 */
final class ModerationCommands {

  private final ConversationAsks asks;

  ModerationCommands(ConversationAsks asks) {
    this.asks = asks;
  }

  void onUpdate(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String update = request.hasAttr() ? request.getAttr().getData() : "{}";
    if (!asks.validAttributes(command, clientId, update, false)) {
      return;
    }
    asks.askAfter(
        asks.hooks.beforeUpdate(appId, clientId, request.getCid(), update, null),
        ConversationIds.entityId(appId, request.getCid()),
        verdict ->
            replyTo ->
                new Conversation.Update(
                    clientId,
                    ConversationHooks.attributes(verdict, update),
                    asks.clock.millis(),
                    replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.updated, clientId)
                .setConvMessage(
                    ConvCommand.newBuilder()
                        .setCid(request.getCid())
                        .setUdate(
                            Instant.ofEpochMilli(
                                    ((Conversation.Accepted) reply).conversation().updatedAt())
                                .toString()))
                .build());
  }

  /**
   * mute/unmute are answered with {@code updated}: the Java SDK completes them on that op (§6.6).
   */
  void onMute(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    boolean mute = command.getOp() == OpType.mute;
    asks.askAfter(
        asks.hooks.beforeUpdate(appId, clientId, request.getCid(), null, mute),
        ConversationIds.entityId(appId, request.getCid()),
        verdict ->
            replyTo ->
                new Conversation.Mute(
                    clientId, ConversationHooks.mute(verdict, mute), asks.clock.millis(), replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.updated, clientId)
                .setConvMessage(ConvCommand.newBuilder().setCid(request.getCid()))
                .build());
  }

  // ------------------------------------------------------------------------- roles, shut-up,
  // blacklist

  /**
   * conv/member_info_update (§6.9): replies {@code member_info_updated}; members get
   * member_info_changed.
   */
  void onMemberInfoUpdate(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String target =
        request.hasTargetClientId() ? request.getTargetClientId() : request.getInfo().getPid();
    if (!asks.validClientIds(command, clientId, List.of(target))) {
      return;
    }
    asks.ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.ChangeRole(
                clientId, target, request.getInfo().getRole(), asks.clock.millis(), replyTo),
        command,
        clientId,
        reply ->
            Replies.replyTo(command, CommandType.conv, OpType.member_info_updated, clientId)
                .setConvMessage(ConvCommand.newBuilder().setCid(request.getCid()))
                .build());
  }

  void onShutup(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    boolean add = command.getOp() == OpType.add_shutup;
    OpType replyOp = add ? OpType.shutup_added : OpType.shutup_removed;
    if (!asks.validClientIds(command, clientId, request.getMList())) {
      return;
    }
    asks.ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.Shutup(
                clientId, request.getMList(), add, asks.clock.millis(), replyTo),
        command,
        clientId,
        reply -> asks.membershipReply(command, clientId, reply, replyOp));
  }

  void onQueryShutup(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    asks.ask(
        ConversationIds.entityId(appId, request.getCid()),
        replyTo ->
            new Conversation.ListModerated(
                false, request.getLimit(), request.getNext(), replyTo, clientId),
        command,
        clientId,
        reply -> {
          Conversation.Listed listed = (Conversation.Listed) reply;
          ConvCommand.Builder result = ConvCommand.newBuilder().addAllM(listed.clientIds());
          if (listed.next() != null) {
            result.setNext(listed.next());
          }
          return Replies.replyTo(command, CommandType.conv, OpType.shutup_result, clientId)
              .setConvMessage(result)
              .build();
        });
  }

  /** cmd=blacklist (§6.11): block, unblock, query; replies carry {@code blacklistMessage}. */
  void onBlacklist(String appId, String clientId, GenericCommand command) {
    BlacklistCommand request = command.getBlacklistMessage();
    if (!ConversationIds.isValid(request.getSrcCid())) {
      asks.emit(
          Replies.errorTo(
              command,
              clientId,
              ErrorCode.CONVERSATION_NOT_FOUND,
              request.hasSrcCid()
                  ? "no conversation " + request.getSrcCid()
                  : "srcCid is required"));
      return;
    }
    String entityId = ConversationIds.entityId(appId, request.getSrcCid());
    if (command.getOp() == OpType.query) {
      asks.ask(
          entityId,
          replyTo ->
              new Conversation.ListModerated(
                  true, request.getLimit(), request.getNext(), replyTo, clientId),
          command,
          clientId,
          reply -> {
            Conversation.Listed listed = (Conversation.Listed) reply;
            BlacklistCommand.Builder result =
                BlacklistCommand.newBuilder()
                    .setSrcCid(request.getSrcCid())
                    .addAllBlockedPids(listed.clientIds());
            if (listed.next() != null) {
              result.setNext(listed.next());
            }
            return Replies.replyTo(command, CommandType.blacklist, OpType.query_result, clientId)
                .setBlacklistMessage(result)
                .build();
          });
      return;
    }
    boolean add = command.getOp() == OpType.block;
    if (!asks.validClientIds(command, clientId, request.getToPidsList())) {
      return;
    }
    asks.ask(
        entityId,
        replyTo ->
            new Conversation.Block(
                clientId, request.getToPidsList(), add, asks.clock.millis(), replyTo),
        command,
        clientId,
        reply -> {
          Conversation.MembershipChanged changed = (Conversation.MembershipChanged) reply;
          BlacklistCommand.Builder result =
              BlacklistCommand.newBuilder()
                  .setSrcCid(request.getSrcCid())
                  .addAllAllowedPids(changed.allowed());
          for (Conversation.Failure failure : changed.failed()) {
            result.addFailedPids(
                ErrorCommand.newBuilder()
                    .setCode(failure.code())
                    .setReason(failure.reason())
                    .addAllPids(failure.clientIds()));
          }
          return Replies.replyTo(
                  command, CommandType.blacklist, add ? OpType.blocked : OpType.unblocked, clientId)
              .setBlacklistMessage(result)
              .build();
        });
  }
}
