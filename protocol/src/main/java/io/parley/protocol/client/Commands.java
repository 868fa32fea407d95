package io.parley.protocol.client;

import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.util.List;

/**
 * Builders of the commands an {@link ImClient} sends most, without the envelope {@code i}: {@link
 * ImClient#request} sets it.
 */
public final class Commands {

  private Commands() {}

  /**
   * {@code session/open} for {@code peerId} (the envelope {@code i} is set by {@link
   * ImClient#request}).
   */
  public static GenericCommand.Builder sessionOpen(String appId, String peerId) {
    GenericCommand.Builder builder =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.open)
            .setAppId(appId)
            .setSessionMessage(SessionCommand.newBuilder().setUa("parley-imclient/1"));
    if (peerId != null) {
      builder.setPeerId(peerId);
    }
    return builder;
  }

  /** {@code session/close} for {@code peerId}. */
  public static GenericCommand.Builder sessionClose(String peerId) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.session)
        .setOp(OpType.close)
        .setPeerId(peerId)
        .setSessionMessage(SessionCommand.getDefaultInstance());
  }

  /** {@code conv/start} with the given members and attributes ({@code attrJson} may be null). */
  public static GenericCommand.Builder convStart(
      String peerId, List<String> members, String attrJson) {
    ConvCommand.Builder conv = ConvCommand.newBuilder().addAllM(members);
    if (attrJson != null) {
      conv.setAttr(JsonObjectMessage.newBuilder().setData(attrJson));
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(OpType.start)
        .setPeerId(peerId)
        .setConvMessage(conv);
  }

  /**
   * {@code direct}: send {@code msg} (e.g. {@code {"_lctype":-1,"_lctext":"hi"}}) to conversation
   * {@code cid}.
   */
  public static GenericCommand.Builder direct(String peerId, String cid, String msg) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.direct)
        .setPeerId(peerId)
        .setDirectMessage(DirectCommand.newBuilder().setCid(cid).setMsg(msg));
  }

  /** {@code echo} (the JS SDK's application-level heartbeat). */
  public static GenericCommand.Builder echo() {
    return GenericCommand.newBuilder().setCmd(CommandType.echo);
  }
}
