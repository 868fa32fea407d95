package io.parley.node.session;

import io.parley.node.conversation.Notice;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ConvMemberInfo;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Instant;

/** Turns conversation notices into the pushes of PROTOCOL.md §11, addressed to the recipient. */
final class NoticeFrames {

  private NoticeFrames() {}

  static GenericCommand toPush(String recipient, Notice notice) {
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
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setPeerId(recipient)
        .setServerTs(System.currentTimeMillis())
        .setConvMessage(conv)
        .build();
  }
}
