package io.parley.node.session;

import io.parley.node.security.SignatureGuard;
import io.parley.node.security.SignedRequest;
import io.parley.node.security.TokenRevocation;
import io.parley.node.security.WarmUpApp;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.SessionCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who a login is: which app it belongs to and whether its session token or signature holds
 * (docs/protocol.md §5.1, §14.7). The session actor asks, then acts on the answer; nothing here
 * keeps state.
 */
final class Credentials {

  /** What a login's credentials allow. */
  sealed interface Check {}

  /** Accepted: the login's tag and device id (from the token when the open names none). */
  record Accepted(String tag, String deviceId) implements Check {}

  /** Refused: the error the client gets. */
  record Refused(ErrorCode code, String detail) implements Check {}

  private final NodeSettings settings;
  private final SessionTokens tokens;
  private final SignatureGuard signatures;
  private final TokenRevocation revocations;

  /** The node's warm-up app, known by id while its warm-up runs. */
  private final WarmUpApp warmUp;

  private final Clock clock;

  Credentials(
      NodeSettings settings,
      SessionTokens tokens,
      SignatureGuard signatures,
      TokenRevocation revocations,
      WarmUpApp warmUp,
      Clock clock) {
    this.settings = settings;
    this.warmUp = warmUp;
    this.tokens = tokens;
    this.signatures = signatures;
    this.revocations = revocations;
    this.clock = clock;
  }

  /**
   * The app of a login: the one named, else {@code current} (the Java SDK names it only in its
   * {@code login} command), else none when that {@code login} named an unknown app, else the one
   * whose key signed the session token, else the only one.
   */
  Optional<NodeSettings.App> appOf(
      GenericCommand open, NodeSettings.App current, String unknownApp) {
    if (open.hasAppId() && !open.getAppId().isEmpty()) {
      return settings.app(open.getAppId()).or(() -> warmUp.app(open.getAppId()));
    }
    if (current != null) {
      return Optional.of(current);
    }
    if (unknownApp != null) {
      return Optional.empty();
    }
    SessionCommand request = open.getSessionMessage();
    if (request.hasSt() && open.hasPeerId()) {
      Optional<NodeSettings.App> signer =
          settings.apps().values().stream()
              .filter(
                  candidate ->
                      tokens
                          .verify(candidate, open.getPeerId(), request.getSt(), clock.instant())
                          .isPresent())
              .findFirst();
      if (signer.isPresent()) {
        return signer;
      }
    }
    return settings.apps().size() == 1
        ? settings.apps().values().stream().findFirst()
        : Optional.empty();
  }

  /**
   * Checks a {@code session/open}: a session token is a credential of its own (no signature needed,
   * unless it was revoked since); otherwise the signature, when the app asks for one. Without
   * either, the answer is already complete.
   */
  CompletionStage<Check> checkLogin(
      NodeSettings.App app, String clientId, GenericCommand open, String tag, String deviceId) {
    SessionCommand request = open.getSessionMessage();
    if (request.hasSt()) {
      Optional<SessionTokens.Grant> grant =
          tokens.verify(app, clientId, request.getSt(), clock.instant());
      if (grant.isEmpty()) {
        return done(
            new Refused(ErrorCode.SESSION_TOKEN_EXPIRED, "invalid or expired session token"));
      }
      Accepted accepted =
          new Accepted(
              tag != null ? tag : emptyToNull(grant.get().tag()),
              deviceId != null ? deviceId : emptyToNull(grant.get().deviceId()));
      return revocations
          .isRevoked(app.appId(), clientId, grant.get().issuedAt())
          .handle(
              (revoked, failure) ->
                  failure != null
                      ? new Refused(
                          ErrorCode.INTERNAL_ERROR, "cannot check the session token, retry")
                      : revoked
                          ? new Refused(ErrorCode.SESSION_TOKEN_EXPIRED, "session token revoked")
                          : accepted);
    }
    return checkSignature(app, clientId, open, new Accepted(tag, deviceId));
  }

  /**
   * Checks the signature of a request the app wants signed (login, conversation, blacklist); a
   * request that needs none is accepted at once.
   */
  CompletionStage<Check> checkSignature(
      NodeSettings.App app, String clientId, GenericCommand command, Check accepted) {
    Optional<SignedRequest> signed = SignedRequest.of(app, clientId, command);
    if (signed.isEmpty()) {
      return done(accepted);
    }
    return signatures
        .verify(app, signed.get())
        .handle(
            (verdict, failure) ->
                verdict == null
                    ? new Refused(ErrorCode.INTERNAL_ERROR, "signature check failed, retry")
                    : verdict.accepted()
                        ? accepted
                        : new Refused(verdict.refusal(), verdict.detail()));
  }

  /** Whether {@code command} must have its signature checked before it is routed. */
  boolean needsSignature(NodeSettings.App app, String clientId, GenericCommand command) {
    return SignedRequest.of(app, clientId, command).isPresent();
  }

  /** A fresh session token for a login (§14.7). */
  String issue(NodeSettings.App app, String clientId, String tag, String deviceId) {
    return tokens.issue(app, clientId, tag, deviceId, clock.instant());
  }

  Duration tokenTtl() {
    return tokens.ttl();
  }

  private static CompletionStage<Check> done(Check check) {
    return CompletableFuture.completedFuture(check);
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
