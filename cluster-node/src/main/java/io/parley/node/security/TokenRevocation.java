package io.parley.node.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Revokes IM session tokens (docs/protocol.md §14.7), for REST kicks (4115) and bans: every token
 * issued to a client (or to every client of an app) up to now stops working on every node, and a
 * re-login with one is refused with 4112. Login signatures made before the revocation are refused
 * too (§14.1: "强制下线后签名立即失效"). Sessions online at that moment are not closed here; the caller kicks
 * them.
 */
public final class TokenRevocation {

  private final SecurityStore store;
  private final Clock clock;

  /**
   * How long a revocation must be remembered: until every token and signature it concerns has
   * expired.
   */
  private final Duration keep;

  public TokenRevocation(
      SecurityStore store, Clock clock, Duration tokenTtl, Duration signatureValidity) {
    this.store = store;
    this.clock = clock;
    this.keep = tokenTtl.compareTo(signatureValidity) > 0 ? tokenTtl : signatureValidity;
  }

  /** Revokes every token issued to {@code clientId} of {@code appId} until now. */
  public CompletionStage<Done> revokeClient(String appId, String clientId) {
    if (clientId == null || clientId.isEmpty()) {
      throw new IllegalArgumentException("clientId is required; use revokeApp for every client");
    }
    return store.revoke(appId, clientId, clock.instant(), keep);
  }

  /** Revokes every token issued to any client of {@code appId} until now. */
  public CompletionStage<Done> revokeApp(String appId) {
    return store.revoke(appId, null, clock.instant(), keep);
  }

  /** Whether a token issued at {@code issuedAt} to the client has been revoked since. */
  public CompletionStage<Boolean> isRevoked(String appId, String clientId, Instant issuedAt) {
    return store
        .revokedAt(appId, clientId)
        .thenApply(
            (Optional<Instant> revokedAt) ->
                revokedAt.isPresent() && !issuedAt.isAfter(revokedAt.get()));
  }
}
