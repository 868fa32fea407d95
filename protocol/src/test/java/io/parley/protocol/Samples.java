package io.parley.protocol;

import com.google.protobuf.ByteString;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.ConvMemberInfo;
import io.parley.protocol.wire.DataCommand;
import io.parley.protocol.wire.DeviceType;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.LogItem;
import io.parley.protocol.wire.LoggedinCommand;
import io.parley.protocol.wire.LoginCommand;
import io.parley.protocol.wire.LogsCommand;
import io.parley.protocol.wire.MaxReadTuple;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.PatchItem;
import io.parley.protocol.wire.RcpCommand;
import io.parley.protocol.wire.ReadCommand;
import io.parley.protocol.wire.ReadTuple;
import io.parley.protocol.wire.SemanticVersion;
import io.parley.protocol.wire.SessionCommand;
import io.parley.protocol.wire.SystemInfo;
import io.parley.protocol.wire.UnreadCommand;
import io.parley.protocol.wire.UnreadTuple;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One representative command per family and direction, named {@code <family>-<what>}. Each has
 * golden fixtures {@code golden/commands/<name>.protobuf.hex}, {@code .base64.txt} and {@code
 * .json}.
 */
public final class Samples {

  public static final String APP_ID = "parley-dev";
  public static final String CID = "5e8c7f1a2d3b4c5d6e7f8091";
  public static final String MSG = "{\"_lctype\":-1,\"_lctext\":\"hello, Jerry\"}";

  private Samples() {}

  private static GenericCommand.Builder cmd(CommandType type) {
    return GenericCommand.newBuilder().setCmd(type);
  }

  private static JsonObjectMessage json(String data) {
    return JsonObjectMessage.newBuilder().setData(data).build();
  }

  /**
   * Same content as the JS SDK 5.0.0-rc.8 capture {@code
   * js-5.0.0-rc.8-lc.protobuf2.3-session-open.bin}.
   */
  public static GenericCommand sessionOpenJs() {
    return cmd(CommandType.session)
        .setOp(OpType.open)
        .setAppId(APP_ID)
        .setPeerId("Tom")
        .setI(1)
        .setSessionMessage(
            SessionCommand.newBuilder()
                .setUa("js/5.0.0-rc.8")
                .setR(false)
                .setDeviceId("d5499126-553e-4736-a980-f93179659bb5")
                .setLastPatchTime(1795675201647L)
                .setConfigBitmap(187))
        .build();
  }

  public static Map<String, GenericCommand> all() {
    Map<String, GenericCommand> samples = new LinkedHashMap<>();

    // ---- session
    samples.put("session-open", sessionOpenJs());
    samples.put(
        "session-open-relogin",
        cmd(CommandType.session)
            .setOp(OpType.open)
            .setAppId(APP_ID)
            .setPeerId("Tom")
            .setSessionMessage(
                SessionCommand.newBuilder()
                    .setUa("java/6.0.5")
                    .setR(true)
                    .setSt("ST-4f1c2a9b")
                    .setTag("mobile")
                    .setDeviceId("device-1")
                    .setT(1700000000123L)
                    .setN("nonce-1")
                    .setS("0a1b2c3d4e5f")
                    .setLastUnreadNotifTime(1700000000000L)
                    .setConfigBitmap(0x2F))
            .build());
    samples.put(
        "session-opened",
        cmd(CommandType.session)
            .setOp(OpType.opened)
            .setPeerId("Tom")
            .setI(1)
            .setServerTs(1700000000456L)
            .setSessionMessage(SessionCommand.newBuilder().setSt("ST-4f1c2a9b").setStTtl(86400))
            .build());
    samples.put(
        "session-closed-conflict",
        cmd(CommandType.session)
            .setOp(OpType.closed)
            .setPeerId("Tom")
            .setSessionMessage(
                SessionCommand.newBuilder()
                    .setCode(ErrorCode.SESSION_CONFLICT.code())
                    .setReason(ErrorCode.SESSION_CONFLICT.reason())
                    .setDetail("logged in on another device"))
            .build());
    samples.put(
        "session-query-result",
        cmd(CommandType.session)
            .setOp(OpType.query_result)
            .setPeerId("Tom")
            .setI(7)
            .setSessionMessage(
                SessionCommand.newBuilder()
                    .addOnlineSessionPeerIds("Jerry")
                    .addOnlineSessionPeerIds("Harry"))
            .build());

    // ---- conv
    samples.put(
        "conv-start",
        cmd(CommandType.conv)
            .setOp(OpType.start)
            .setAppId(APP_ID)
            .setPeerId("Tom")
            .setI(-65533)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .addM("Jerry")
                    .addM("Harry")
                    .setUnique(true)
                    .setAttr(
                        json(
                            "{\"name\":\"Tom & friends\",\"type\":\"group\",\"score\":1.50,\"big\":12345678901234567890}")))
            .build());
    samples.put(
        "conv-started",
        cmd(CommandType.conv)
            .setOp(OpType.started)
            .setPeerId("Tom")
            .setI(-65533)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setCid(CID)
                    .setCdate("2023-11-14T22:13:20.456Z")
                    .setUniqueId("u-1"))
            .build());
    samples.put(
        "conv-members-joined",
        cmd(CommandType.conv)
            .setOp(OpType.members_joined)
            .setPeerId("Jerry")
            .setServerTs(1700000000789L)
            .setNotificationType(1)
            .setConvMessage(ConvCommand.newBuilder().setCid(CID).addM("Bob").setInitBy("Tom"))
            .build());
    samples.put(
        "conv-added-partial",
        cmd(CommandType.conv)
            .setOp(OpType.added)
            .setPeerId("Tom")
            .setI(12)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .addAllowedPids("Bob")
                    .addFailedPids(
                        ErrorCommand.newBuilder()
                            .setCode(ErrorCode.BLOCKED_BY_CONV.code())
                            .setReason(ErrorCode.BLOCKED_BY_CONV.reason())
                            .addPids("Mallory")))
            .build());
    samples.put(
        "conv-query",
        cmd(CommandType.conv)
            .setOp(OpType.query)
            .setPeerId("Tom")
            .setI(13)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setWhere(json("{\"objectId\":{\"$in\":[\"" + CID + "\"]}}"))
                    .setSort("-lm")
                    .setLimit(10)
                    .setFlag(1))
            .build());
    samples.put(
        "conv-results",
        cmd(CommandType.conv)
            .setOp(OpType.results)
            .setPeerId("Tom")
            .setI(13)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setResults(
                        json(
                            "[{\"objectId\":\""
                                + CID
                                + "\",\"m\":[\"Tom\",\"Jerry\"],\"name\":\"chat\",\"tr\":false}]")))
            .build());
    samples.put(
        "conv-max-read",
        cmd(CommandType.conv)
            .setOp(OpType.max_read)
            .setPeerId("Tom")
            .setI(14)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setCid(CID)
                    .addMaxReadTuples(
                        MaxReadTuple.newBuilder()
                            .setPid("Jerry")
                            .setMaxAckTimestamp(1700000000100L)
                            .setMaxReadTimestamp(1700000000050L)))
            .build());
    samples.put(
        "conv-member-info-changed",
        cmd(CommandType.conv)
            .setOp(OpType.member_info_changed)
            .setPeerId("Jerry")
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setCid(CID)
                    .setInitBy("Tom")
                    .setInfo(ConvMemberInfo.newBuilder().setPid("Jerry").setRole("Manager")))
            .build());
    samples.put(
        "conv-updated",
        cmd(CommandType.conv)
            .setOp(OpType.updated)
            .setPeerId("Tom")
            .setI(15)
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setUdate("2023-11-14T22:13:21.000Z")
                    .setAttrModified(json("{\"name\":\"renamed\",\"attr.color\":\"red\"}")))
            .build());

    // ---- direct / ack
    samples.put(
        "direct-send",
        cmd(CommandType.direct)
            .setAppId(APP_ID)
            .setPeerId("1001")
            .setI(-65533)
            .setDirectMessage(DirectCommand.newBuilder().setMsg(MSG).setR(true).setCid(CID))
            .build());
    samples.put(
        "direct-push-offline",
        cmd(CommandType.direct)
            .setPeerId("Jerry")
            .setDirectMessage(
                DirectCommand.newBuilder()
                    .setMsg(MSG)
                    .setFromPeerId("Tom")
                    .setTimestamp(1700000000321L)
                    .setOffline(true)
                    .setCid(CID)
                    .setId("msg-0001")
                    .addMentionPids("Jerry")
                    .setConvType(1))
            .build());
    samples.put(
        "direct-binary",
        cmd(CommandType.direct)
            .setPeerId("Tom")
            .setI(16)
            .setPriority(1)
            .setDirectMessage(
                DirectCommand.newBuilder()
                    .setCid(CID)
                    .setTransient(true)
                    .setBinaryMsg(
                        ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xfe, (byte) 0xff})))
            .build());
    samples.put(
        "ack-reply",
        cmd(CommandType.ack)
            .setAppId(APP_ID)
            .setPeerId("1001")
            .setI(-65533)
            .setAckMessage(
                AckCommand.newBuilder().setT(1490929028400L).setUid("_6jfc+4KT7KtkEgw8lJnAA"))
            .build());
    samples.put(
        "ack-error",
        cmd(CommandType.ack)
            .setPeerId("Tom")
            .setI(17)
            .setAckMessage(
                AckCommand.newBuilder()
                    .setCode(ErrorCode.INVALID_MESSAGING_TARGET.code())
                    .setReason(ErrorCode.INVALID_MESSAGING_TARGET.reason())
                    .setAppCode(42)
                    .setAppMsg("rejected by hook"))
            .build());
    samples.put(
        "ack-client",
        cmd(CommandType.ack)
            .setPeerId("Jerry")
            .setAckMessage(AckCommand.newBuilder().setMid("msg-0001").setCid(CID))
            .build());

    // ---- unread
    samples.put(
        "unread-push",
        cmd(CommandType.unread)
            .setPeerId("Jerry")
            .setUnreadMessage(
                UnreadCommand.newBuilder()
                    .addConvs(
                        UnreadTuple.newBuilder()
                            .setCid(CID)
                            .setUnread(3)
                            .setMid("msg-0003")
                            .setTimestamp(1700000000999L)
                            .setFrom("Tom")
                            .setData(MSG)
                            .setMentioned(true))
                    .addConvs(UnreadTuple.newBuilder().setCid("_tmp:abc").setUnread(0))
                    .setNotifTime(1700000001000L))
            .build());

    // ---- logs
    samples.put(
        "logs-query",
        cmd(CommandType.logs)
            .setPeerId("Tom")
            .setI(18)
            .setLogsMessage(
                LogsCommand.newBuilder()
                    .setCid(CID)
                    .setLimit(20)
                    .setT(1700000000999L)
                    .setTmid("msg-0003")
                    .setDirection(LogsCommand.QueryDirection.NEW)
                    .setTIncluded(true))
            .build());
    samples.put(
        "logs-result",
        cmd(CommandType.logs)
            .setPeerId("Tom")
            .setI(18)
            .setLogsMessage(
                LogsCommand.newBuilder()
                    .addLogs(
                        LogItem.newBuilder()
                            .setFrom("Jerry")
                            .setData(MSG)
                            .setTimestamp(1700000000999L)
                            .setMsgId("msg-0003")
                            .setAckAt(1700000001111L)
                            .addMentionPids("Tom"))
                    .addLogs(
                        LogItem.newBuilder()
                            .setFrom("Tom")
                            .setData("AAEC")
                            .setTimestamp(1700000000998L)
                            .setMsgId("msg-0002")
                            .setBin(true)))
            .build());

    // ---- patch
    samples.put(
        "patch-modify",
        cmd(CommandType.patch)
            .setOp(OpType.modify)
            .setPeerId("Tom")
            .setI(19)
            .setPatchMessage(
                PatchCommand.newBuilder()
                    .addPatches(
                        PatchItem.newBuilder()
                            .setCid(CID)
                            .setMid("msg-0001")
                            .setTimestamp(1700000000321L)
                            .setData("{\"_lctype\":-1,\"_lctext\":\"hello, Jerry (edited)\"}")
                            .addMentionPids("Jerry")))
            .build());
    samples.put(
        "patch-modified-push",
        cmd(CommandType.patch)
            .setOp(OpType.modify)
            .setPeerId("Jerry")
            .setPatchMessage(
                PatchCommand.newBuilder()
                    .addPatches(
                        PatchItem.newBuilder()
                            .setCid(CID)
                            .setMid("msg-0001")
                            .setTimestamp(1700000000321L)
                            .setRecall(true)
                            .setData("{\"_lctype\":-127}")
                            .setPatchTimestamp(1700000002000L)
                            .setFrom("Tom"))
                    .setLastPatchTime(1700000002000L))
            .build());

    // ---- error
    samples.put(
        "error-reply",
        cmd(CommandType.error)
            .setPeerId("Tom")
            .setI(20)
            .setErrorMessage(
                ErrorCommand.newBuilder()
                    .setCode(ErrorCode.SESSION_REQUIRED.code())
                    .setReason(ErrorCode.SESSION_REQUIRED.reason())
                    .setDetail("no open session for peerId Tom"))
            .build());

    // ---- echo, goaway, heartbeat
    samples.put("echo", cmd(CommandType.echo).setI(2).build());
    samples.put("goaway", cmd(CommandType.goaway).build());
    samples.put("heartbeat", GenericCommand.getDefaultInstance());

    // ---- rcp, read
    samples.put(
        "rcp-read",
        cmd(CommandType.rcp)
            .setPeerId("Tom")
            .setRcpMessage(
                RcpCommand.newBuilder()
                    .setId("msg-0001")
                    .setCid(CID)
                    .setT(1700000003000L)
                    .setRead(true)
                    .setFrom("Jerry"))
            .build());
    samples.put(
        "read",
        cmd(CommandType.read)
            .setPeerId("Jerry")
            .setI(21)
            .setReadMessage(
                ReadCommand.newBuilder()
                    .addConvs(
                        ReadTuple.newBuilder()
                            .setCid(CID)
                            .setTimestamp(1700000000999L)
                            .setMid("msg-0003")))
            .build());

    // ---- blacklist
    samples.put(
        "blacklist-block",
        cmd(CommandType.blacklist)
            .setOp(OpType.block)
            .setPeerId("Tom")
            .setI(22)
            .setBlacklistMessage(
                BlacklistCommand.newBuilder().setSrcCid(CID).addToPids("Mallory").addToPids("Eve"))
            .build());
    samples.put(
        "blacklist-blocked",
        cmd(CommandType.blacklist)
            .setOp(OpType.blocked)
            .setPeerId("Tom")
            .setI(22)
            .setBlacklistMessage(
                BlacklistCommand.newBuilder()
                    .setSrcCid(CID)
                    .addAllowedPids("Mallory")
                    .addFailedPids(
                        ErrorCommand.newBuilder()
                            .setCode(4544)
                            .setReason("BLACKLIST_FEATURE_DISABLED")
                            .addPids("Eve")))
            .build());

    // ---- Java push-service login, data
    samples.put(
        "login-java",
        cmd(CommandType.login)
            .setAppId(APP_ID)
            .setInstallationId("a1b2c3d4e5f6")
            .setLoginMessage(
                LoginCommand.newBuilder()
                    .setSystemInfo(
                        SystemInfo.newBuilder()
                            .setDeviceType(DeviceType.android)
                            .setOsVersion(SemanticVersion.newBuilder().setMajor(13).setMinor(0))
                            .setIsEmulator(false)))
            .build());
    samples.put(
        "loggedin",
        cmd(CommandType.loggedin)
            .setService(0)
            .setLoggedinMessage(LoggedinCommand.newBuilder().setPushDisabled(true))
            .build());
    samples.put(
        "data-push",
        cmd(CommandType.data)
            .setService(0)
            .setDataMessage(
                DataCommand.newBuilder()
                    .addIds("push-1")
                    .addMsg(json("{\"alert\":\"hi\",\"badge\":1}")))
            .build());
    return samples;
  }

  public static List<String> names() {
    return List.copyOf(all().keySet());
  }
}
