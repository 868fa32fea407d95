package io.parley.node.security;

import io.parley.node.settings.AppSecurity.Action;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.util.List;
import java.util.Optional;

/**
 * A client request that its app requires to be signed (docs/protocol.md §14.2–§14.4): the signature
 * fields as sent, the messages that signature may sign, and the code a refusal carries. Requests
 * whose action is not switched on need none, and a signature sent with them is ignored (§14.1).
 */
public record SignedRequest(
    Action action,
    ErrorCode refusal,
    String clientId,
    boolean hasFields,
    long timestamp,
    String nonce,
    String signature,
    List<String> messages) {

  /**
   * What {@code command} by {@code clientId} must be signed with, if the app's switches require it.
   */
  public static Optional<SignedRequest> of(
      NodeSettings.App app, String clientId, GenericCommand command) {
    String appId = app.appId();
    if (command.getCmd() == CommandType.session && command.getOp() == OpType.open) {
      if (!app.security().requires(Action.LOGIN)) {
        return Optional.empty();
      }
      SessionCommand session = command.getSessionMessage();
      return Optional.of(
          new SignedRequest(
              Action.LOGIN,
              ErrorCode.SIGNATURE_FAILED,
              clientId,
              session.hasT() && session.hasN() && session.hasS(),
              session.getT(),
              session.getN(),
              session.getS(),
              List.of(Signatures.login(appId, clientId, session.getT(), session.getN()))));
    }
    if (command.getCmd() == CommandType.conv) {
      ConvCommand conv = command.getConvMessage();
      boolean fields = conv.hasT() && conv.hasN() && conv.hasS();
      List<String> members = conv.getMList();
      return switch (command.getOp()) {
        case start ->
            app.security().requires(Action.START)
                ? Optional.of(
                    new SignedRequest(
                        Action.START,
                        ErrorCode.CONVERSATION_SIGNATURE_FAILED,
                        clientId,
                        fields,
                        conv.getT(),
                        conv.getN(),
                        conv.getS(),
                        Signatures.start(appId, clientId, members, conv.getT(), conv.getN())))
                : Optional.empty();
        case add ->
            app.security().requires(Action.INVITE) && conv.hasCid()
                ? Optional.of(
                    group(
                        Action.INVITE,
                        ErrorCode.CONVERSATION_SIGNATURE_FAILED,
                        appId,
                        clientId,
                        conv.getCid(),
                        members,
                        fields,
                        conv.getT(),
                        conv.getN(),
                        conv.getS(),
                        "invite",
                        "add"))
                : Optional.empty();
        // Quitting needs no signature (§6.3): the JS SDK signs it as a kick of itself, which is
        // then ignored.
        case remove ->
            app.security().requires(Action.KICK)
                    && conv.hasCid()
                    && !members.equals(List.of(clientId))
                ? Optional.of(
                    group(
                        Action.KICK,
                        ErrorCode.CONVERSATION_SIGNATURE_FAILED,
                        appId,
                        clientId,
                        conv.getCid(),
                        members,
                        fields,
                        conv.getT(),
                        conv.getN(),
                        conv.getS(),
                        "kick",
                        "remove"))
                : Optional.empty();
        default -> Optional.empty();
      };
    }
    if (command.getCmd() == CommandType.blacklist
        && (command.getOp() == OpType.block || command.getOp() == OpType.unblock)) {
      BlacklistCommand blacklist = command.getBlacklistMessage();
      if (!app.security().requires(Action.BLACKLIST) || !blacklist.hasSrcCid()) {
        return Optional.empty();
      }
      String action =
          command.getOp() == OpType.block
              ? "conversation-block-clients"
              : "conversation-unblock-clients";
      return Optional.of(
          group(
              Action.BLACKLIST,
              ErrorCode.BLACKLIST_SIGNATURE_FAILED,
              appId,
              clientId,
              blacklist.getSrcCid(),
              blacklist.getToPidsList(),
              blacklist.hasT() && blacklist.hasN() && blacklist.hasS(),
              blacklist.getT(),
              blacklist.getN(),
              blacklist.getS(),
              action,
              action));
    }
    return Optional.empty();
  }

  /**
   * §14.4 with the action's verb; {@code sdkVerb} is the one JS SDK 4.3.1 passes its factory
   * instead ({@code add}, {@code remove}: docs/protocol.md §14.4), which an app server that signs
   * what it is given puts in the message.
   */
  private static SignedRequest group(
      Action action,
      ErrorCode refusal,
      String appId,
      String clientId,
      String cid,
      List<String> members,
      boolean fields,
      long timestamp,
      String nonce,
      String signature,
      String verb,
      String sdkVerb) {
    List<String> messages =
        verb.equals(sdkVerb)
            ? List.of(Signatures.group(appId, clientId, cid, members, timestamp, nonce, verb))
            : List.of(
                Signatures.group(appId, clientId, cid, members, timestamp, nonce, verb),
                Signatures.group(appId, clientId, cid, members, timestamp, nonce, sdkVerb));
    return new SignedRequest(
        action, refusal, clientId, fields, timestamp, nonce, signature, messages);
  }
}
