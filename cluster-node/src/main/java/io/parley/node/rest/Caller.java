package io.parley.node.rest;

import io.parley.node.settings.NodeSettings;
import java.util.Optional;

/**
 * Who makes a REST call: the app (from {@code X-LC-Id}), whether it proved the master key or only
 * the app key, and, for client-scoped calls, the IM client whose session token it showed ({@code
 * X-LC-IM-Session-Token} with {@code client_id}) and when that token was issued (for revocation).
 */
public record Caller(
    NodeSettings.App app,
    boolean master,
    Optional<String> imClient,
    Optional<java.time.Instant> tokenIssuedAt) {

  public String appId() {
    return app.appId();
  }

  /** Admin endpoints ("该接口要求使用 master key"): refused with 401 otherwise. */
  public Caller requireMaster() {
    if (!master) {
      throw RestError.masterKeyRequired();
    }
    return this;
  }
}
