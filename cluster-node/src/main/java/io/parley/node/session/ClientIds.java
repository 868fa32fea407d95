package io.parley.node.session;

import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import java.util.List;
import java.util.Set;

/**
 * The rules for a clientId, the same at login and wherever a request names clients (members,
 * targets): 1 to {@code max-client-id-length} characters, no control characters, no lone surrogates
 * (docs/protocol.md §17). Also what counts as a refusal for a limit, for the session's flood check.
 */
final class ClientIds {

  private static final Set<Integer> QUOTA_CODES =
      Set.of(
          ErrorCode.APP_QUOTA_EXCEEDED.code(),
          ErrorCode.MESSAGE_SENT_QUOTA_EXCEEDED.code(),
          ErrorCode.CONVERSATION_API_QUOTA_EXCEEDED.code());

  private ClientIds() {}

  static boolean valid(String clientId, int maxLength) {
    if (clientId == null || clientId.isEmpty() || clientId.length() > maxLength) {
      return false;
    }
    for (int n = 0; n < clientId.length(); n++) {
      char c = clientId.charAt(n);
      if (Character.isISOControl(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (n + 1 == clientId.length() || !Character.isLowSurrogate(clientId.charAt(n + 1))) {
          return false;
        }
        n++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** The first of {@code clientIds} that breaks the rules, or null. */
  static String firstInvalid(List<String> clientIds, int maxLength) {
    for (String clientId : clientIds) {
      if (!valid(clientId, maxLength)) {
        return clientId;
      }
    }
    return null;
  }

  static String rule(int maxLength) {
    return "clientId must be 1 to " + maxLength + " characters, without control characters";
  }

  /** An answer that refuses a request for a limit or a rate (4113, 4116, 4318). */
  static boolean isQuotaRefusal(GenericCommand reply) {
    if (reply.getCmd() == CommandType.error) {
      return reply.hasErrorMessage() && QUOTA_CODES.contains(reply.getErrorMessage().getCode());
    }
    return reply.getCmd() == CommandType.ack
        && reply.hasAckMessage()
        && reply.getAckMessage().hasCode()
        && QUOTA_CODES.contains(reply.getAckMessage().getCode());
  }
}
