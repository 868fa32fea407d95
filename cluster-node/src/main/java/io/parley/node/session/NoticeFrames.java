package io.parley.node.session;

import com.google.protobuf.ByteString;
import io.parley.node.conversation.Notice;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ConvMemberInfo;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import io.parley.protocol.wire.RcpCommand;
import io.parley.protocol.wire.UnreadCommand;
import io.parley.protocol.wire.UnreadTuple;
import java.time.Instant;
import java.util.Base64;

/**
 * Turns conversation notices into the pushes of docs/protocol.md §6.12 and §11, addressed to the
 * recipient.
 */
final class NoticeFrames {

  /** {@code notificationType} of a push that is also kept as a reliable notification (§15). */
  static final int RELIABLE = 1;

  private NoticeFrames() {}

  /**
   * A {@code direct} push (§6.12). {@code offline} only on version-1 offline delivery: the .NET SDK
   * routes by the key's mere presence, so online pushes never carry it.
   */
  static GenericCommand direct(
      String recipient,
      String cid,
      StoredMessage message,
      int convType,
      boolean transientMessage,
      boolean offline,
      boolean hasMore) {
    DirectCommand.Builder direct =
        DirectCommand.newBuilder()
            .setCid(cid)
            .setId(message.id())
            .setFromPeerId(message.from())
            .setTimestamp(message.timestamp())
            .addAllMentionPids(message.mentionPids());
    if (message.binary()) {
      direct.setBinaryMsg(ByteString.copyFrom(Base64.getDecoder().decode(message.data())));
    } else {
      direct.setMsg(message.data());
    }
    if (message.mentionAll()) {
      direct.setMentionAll(true);
    }
    if (transientMessage) {
      direct.setTransient(true);
    }
    if (message.patchTimestamp() > 0) {
      direct.setPatchTimestamp(message.patchTimestamp());
    }
    if (convType > 0) {
      direct.setConvType(convType);
    }
    if (offline) {
      direct.setOffline(true);
    }
    if (hasMore) {
      direct.setHasMore(true);
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.direct)
        .setPeerId(recipient)
        .setDirectMessage(direct)
        .build();
  }

  /** An unread tuple (§8.4): the count, then the conversation's latest message. */
  static UnreadTuple unreadTuple(
      String cid, int count, StoredMessage last, boolean mentioned, int convType) {
    UnreadTuple.Builder tuple = UnreadTuple.newBuilder().setCid(cid).setUnread(count);
    if (last != null) {
      tuple.setMid(last.id()).setTimestamp(last.timestamp()).setFrom(last.from());
      if (last.binary()) {
        tuple.setBinaryMsg(ByteString.copyFrom(Base64.getDecoder().decode(last.data())));
      } else {
        tuple.setData(last.data());
      }
      if (last.patchTimestamp() > 0) {
        tuple.setPatchTimestamp(last.patchTimestamp());
      }
    }
    if (mentioned) {
      tuple.setMentioned(true);
    }
    if (convType > 0) {
      tuple.setConvType(convType);
    }
    return tuple.build();
  }

  static GenericCommand toPush(String recipient, Notice notice) {
    if (notice instanceof Notice.Message message) {
      return direct(
          recipient,
          message.cid(),
          message.message(),
          message.convType(),
          message.transientMessage(),
          false,
          false);
    }
    if (notice instanceof Notice.Receipt receipt) {
      RcpCommand.Builder rcp =
          RcpCommand.newBuilder()
              .setCid(receipt.cid())
              .setT(receipt.timestamp())
              .setFrom(receipt.from());
      if (receipt.messageId() != null) {
        rcp.setId(receipt.messageId());
      }
      if (receipt.read()) {
        rcp.setRead(true);
      }
      return GenericCommand.newBuilder()
          .setCmd(CommandType.rcp)
          .setPeerId(recipient)
          .setRcpMessage(rcp)
          .build();
    }
    if (notice instanceof Notice.UnreadChanged unread) {
      return GenericCommand.newBuilder()
          .setCmd(CommandType.unread)
          .setPeerId(recipient)
          .setUnreadMessage(
              UnreadCommand.newBuilder()
                  .setNotifTime(System.currentTimeMillis())
                  .addConvs(
                      unreadTuple(
                          unread.cid(), unread.unread(), unread.last(), unread.mentioned(), 0)))
          .build();
    }
    if (notice instanceof Notice.Patched patched) {
      StoredMessage message = patched.message();
      PatchItem.Builder item =
          PatchItem.newBuilder()
              .setCid(patched.cid())
              .setMid(message.id())
              .setTimestamp(message.timestamp())
              .setPatchTimestamp(message.patchTimestamp())
              .setFrom(message.from())
              .addAllMentionPids(message.mentionPids());
      if (message.recalled()) {
        item.setRecall(true);
      }
      if (message.mentionAll()) {
        item.setMentionAll(true);
      }
      if (message.binary()) {
        item.setBinaryMsg(ByteString.copyFrom(Base64.getDecoder().decode(message.data())));
      } else {
        item.setData(message.data());
      }
      return GenericCommand.newBuilder()
          .setCmd(CommandType.patch)
          .setOp(OpType.modify)
          .setPeerId(recipient)
          .setPatchMessage(PatchCommand.newBuilder().addPatches(item))
          .build();
    }
    ConvCommand.Builder conv = ConvCommand.newBuilder().setCid(notice.cid());
    OpType op;
    if (notice instanceof Notice.Joined joined) {
      op = OpType.joined;
      conv.setInitBy(joined.initBy());
    } else if (notice instanceof Notice.MembersJoined joined) {
      op = OpType.members_joined;
      conv.addAllM(joined.members()).setInitBy(joined.initBy());
    } else if (notice instanceof Notice.Left left) {
      op = OpType.left;
      conv.setInitBy(left.initBy());
    } else if (notice instanceof Notice.MembersLeft left) {
      op = OpType.members_left;
      conv.addAllM(left.members()).setInitBy(left.initBy());
    } else if (notice instanceof Notice.MemberInfoChanged changed) {
      op = OpType.member_info_changed;
      conv.setInitBy(changed.initBy())
          .setInfo(ConvMemberInfo.newBuilder().setPid(changed.pid()).setRole(changed.role()));
    } else if (notice instanceof Notice.Moderated moderated) {
      op = OpType.valueOf(moderated.action());
      conv.addAllM(moderated.members()).setInitBy(moderated.initBy());
    } else {
      Notice.Updated updated = (Notice.Updated) notice;
      op = OpType.updated;
      conv.setInitBy(updated.initBy())
          .setUdate(Instant.ofEpochMilli(updated.updatedAt()).toString())
          .setAttr(JsonObjectMessage.newBuilder().setData(updated.attributesJson()))
          .setAttrModified(JsonObjectMessage.newBuilder().setData(updated.modifiedJson()));
    }
    if (conv.getInitBy().isEmpty()) {
      // Done by the app server (REST): no initBy, as on LeanCloud.
      conv.clearInitBy();
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(recipient)
        .setServerTs(((Notice.Reliable) notice).serverTs())
        .setNotificationType(RELIABLE)
        .setConvMessage(conv)
        .build();
  }
}
