package io.parley.node.session;

import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;

/**
 * Builders for the frames the server sends. Only fields that carry information are set: the SDKs
 * test presence (§2.1), so a reply never carries {@code code: 0} or {@code i} it was not asked for.
 */
public final class Replies {

  private Replies() {}

  /**
   * An {@code error} command (§16.1). Without {@code i} it is addressed by {@code peerId}, as the
   * Java SDK expects for its re-login without {@code i}.
   */
  public static GenericCommand error(
      Integer requestId, String peerId, ErrorCode code, String detail) {
    GenericCommand.Builder reply =
        GenericCommand.newBuilder()
            .setCmd(CommandType.error)
            .setErrorMessage(
                ErrorCommand.newBuilder()
                    .setCode(code.code())
                    .setReason(code.reason())
                    .setDetail(detail));
    if (requestId != null) {
      reply.setI(requestId);
    }
    if (peerId != null && !peerId.isEmpty()) {
      reply.setPeerId(peerId);
    }
    return reply.build();
  }

  /** An {@code error} (§16.1) answering {@code request}: its {@code i} if it had one. */
  public static GenericCommand errorTo(
      GenericCommand request, String peerId, ErrorCode code, String detail) {
    return error(requestId(request), peerId, code, detail);
  }

  /** The request's {@code i}, or null when it has none. */
  static Integer requestId(GenericCommand request) {
    return request.hasI() ? request.getI() : null;
  }

  /** A code an entity or a reader answered, as the client's error code (4200 if unknown). */
  static ErrorCode known(int code) {
    return ErrorCode.of(code).orElse(ErrorCode.INTERNAL_ERROR);
  }

  /**
   * An {@code error} for a request the app's hook refused (4305, 4405): the hook's {@code code} and
   * {@code detail} as {@code appCode} and {@code appMsg} (the JS SDK's {@code error.appCode}), the
   * detail also as {@code detail}.
   */
  public static GenericCommand rejectedByApp(
      Integer requestId,
      String peerId,
      io.parley.node.conversation.Conversation.RejectedByApp rejected) {
    ErrorCommand.Builder error =
        ErrorCommand.newBuilder().setCode(rejected.code()).setReason(rejected.reason());
    if (rejected.appCode() != null) {
      error.setAppCode(rejected.appCode());
    }
    if (rejected.appMsg() != null) {
      error.setAppMsg(rejected.appMsg()).setDetail(rejected.appMsg());
    }
    GenericCommand.Builder reply =
        GenericCommand.newBuilder().setCmd(CommandType.error).setErrorMessage(error);
    if (requestId != null) {
      reply.setI(requestId);
    }
    if (peerId != null && !peerId.isEmpty()) {
      reply.setPeerId(peerId);
    }
    return reply.build();
  }

  /** The reply to a request that is well-formed but not served by this version. */
  public static GenericCommand unsupported(GenericCommand request, String peerId) {
    String name = request.getCmd() + (request.hasOp() ? "/" + request.getOp() : "");
    return error(
        request.hasI() ? request.getI() : null,
        peerId,
        ErrorCode.INTERNAL_ERROR,
        name + " is not supported by this server");
  }

  /** {@code echo} is answered with {@code cmd} and {@code i} only (§4). */
  public static GenericCommand echo(GenericCommand request) {
    GenericCommand.Builder reply = GenericCommand.newBuilder().setCmd(CommandType.echo);
    if (request.hasI()) {
      reply.setI(request.getI());
    }
    return reply.build();
  }

  public static GenericCommand opened(
      GenericCommand request,
      String clientId,
      String sessionToken,
      Duration tokenTtl,
      long serverTs) {
    return replyTo(request, CommandType.session, OpType.opened, clientId)
        .setServerTs(serverTs)
        .setSessionMessage(
            SessionCommand.newBuilder().setSt(sessionToken).setStTtl((int) tokenTtl.toSeconds()))
        .build();
  }

  /** {@code closed} without {@code code}: the Java SDK reads a code as a server kick. */
  public static GenericCommand closed(GenericCommand request, String clientId) {
    return replyTo(request, CommandType.session, OpType.closed, clientId).build();
  }

  public static GenericCommand refreshed(
      GenericCommand request, String clientId, String sessionToken, Duration tokenTtl) {
    return replyTo(request, CommandType.session, OpType.refreshed, clientId)
        .setSessionMessage(
            SessionCommand.newBuilder().setSt(sessionToken).setStTtl((int) tokenTtl.toSeconds()))
        .build();
  }

  /** A reply envelope: same {@code i} when the request had one, addressed to the acting client. */
  public static GenericCommand.Builder replyTo(
      GenericCommand request, CommandType cmd, OpType op, String clientId) {
    GenericCommand.Builder reply = GenericCommand.newBuilder().setCmd(cmd).setPeerId(clientId);
    if (op != null) {
      reply.setOp(op);
    }
    if (request.hasI()) {
      reply.setI(request.getI());
    }
    return reply;
  }
}
