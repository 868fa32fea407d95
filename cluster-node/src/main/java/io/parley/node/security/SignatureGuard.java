package io.parley.node.security;

import io.parley.node.concurrent.Futures;
import io.parley.node.settings.AppSecurity.Action;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Verifies signed requests (docs/protocol.md §14): fields present, timestamp within the validity
 * window, HMAC of the master key, then (only for a correct signature, so garbage costs no write)
 * the nonce claimed once cluster-wide, and for a login that it was not signed before the client's
 * tokens were revoked (a kicked client's older signatures stop working). Completes with a refusal
 * in the protocol's terms, never fails.
 */
public final class SignatureGuard {

  /**
   * The outcome of a check: accepted, or refused with a LeanCloud code and a reason for the client.
   */
  public record Verdict(ErrorCode refusal, String detail) {
    public static final Verdict ACCEPTED = new Verdict(null, null);

    public boolean accepted() {
      return refusal == null;
    }
  }

  /** Nonces are stored per use: the SDKs and demos send 5 to 40 characters. */
  static final int MAX_NONCE_LENGTH = 128;

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SignatureGuard.class);

  private final SecurityStore store;
  private final Duration validity;
  private final Clock clock;

  public SignatureGuard(SecurityStore store, Duration validity, Clock clock) {
    this.store = store;
    this.validity = validity;
    this.clock = clock;
  }

  public Duration validity() {
    return validity;
  }

  public CompletionStage<Verdict> verify(NodeSettings.App app, SignedRequest request) {
    Instant now = clock.instant();
    if (!request.hasFields() || request.nonce().isEmpty() || request.signature().isEmpty()) {
      return refuse(
          request,
          "signature required: "
              + request.action().name().toLowerCase()
              + " is signed for this app");
    }
    if (request.nonce().length() > MAX_NONCE_LENGTH) {
      return refuse(request, "nonce longer than " + MAX_NONCE_LENGTH + " characters");
    }
    if (!Signatures.fresh(request.timestamp(), now, validity)) {
      return refuse(
          request,
          "signature timestamp "
              + request.timestamp()
              + " is more than "
              + validity.toHours()
              + " h from the server's time");
    }
    if (!Signatures.matches(app.masterKey(), request.signature(), request.messages())) {
      return refuse(request, "signature mismatch");
    }
    // Remembered until the signature could not be fresh any more, from whichever side of now it
    // lies.
    Duration keep =
        Duration.between(now, Signatures.instant(request.timestamp()).plus(validity))
            .plusMinutes(1);
    CompletionStage<Boolean> first =
        store.claimNonce(app.appId(), request.clientId(), request.nonce(), keep);
    CompletionStage<Optional<Instant>> revoked =
        request.action() == Action.LOGIN
            ? store.revokedAt(app.appId(), request.clientId())
            : CompletableFuture.completedFuture(Optional.empty());
    return Futures.direct(
        first
            .thenCombine(
                revoked,
                (unused, revokedAt) -> {
                  if (!unused) {
                    return new Verdict(request.refusal(), "nonce already used");
                  }
                  if (revokedAt.isPresent()
                      && Signatures.instant(request.timestamp()).isBefore(revokedAt.get())) {
                    return new Verdict(request.refusal(), "signed before the client was kicked");
                  }
                  return Verdict.ACCEPTED;
                })
            .exceptionally(
                failure -> {
                  LOG.warn(
                      "Cannot check a {} signature of app {}: {}",
                      request.action(),
                      app.appId(),
                      failure.toString());
                  return new Verdict(
                      request.action() == Action.LOGIN
                          ? ErrorCode.INTERNAL_ERROR
                          : ErrorCode.CONVERSATION_API_FAILED,
                      "signature store unavailable, retry");
                }));
  }

  private static CompletionStage<Verdict> refuse(SignedRequest request, String detail) {
    return CompletableFuture.completedFuture(new Verdict(request.refusal(), detail));
  }
}
