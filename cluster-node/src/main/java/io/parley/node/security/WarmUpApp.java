package io.parley.node.security;

import io.parley.node.settings.AppSecurity;
import io.parley.node.settings.NodeSettings;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The app a node's warm-up logs into ({@code parley.warm-up}, {@link NodeSettings#WARM_UP_APP_ID}).
 * It exists only between {@link #open} and {@link #close}, and every login into it must be signed
 * with a master key drawn at random when it opens, which only this node knows: nobody else can log
 * into it, before, during or after the warm-up. Thread-safe.
 */
public final class WarmUpApp {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final AtomicReference<NodeSettings.App> open = new AtomicReference<>();

  /**
   * Opens the app with a fresh master key and returns it (the warm-up signs its logins with it).
   */
  public NodeSettings.App open() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    String masterKey = Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    NodeSettings.App app =
        new NodeSettings.App(
            NodeSettings.WARM_UP_APP_ID,
            masterKey,
            masterKey,
            new AppSecurity(Set.of(AppSecurity.Action.LOGIN), false));
    open.set(app);
    return app;
  }

  /** Closes the app: from now on a login into it is refused as an unknown app. */
  public void close() {
    open.set(null);
  }

  /** The warm-up app, if {@code appId} names it and it is open. */
  public Optional<NodeSettings.App> app(String appId) {
    NodeSettings.App app = open.get();
    return app != null && app.appId().equals(appId) ? Optional.of(app) : Optional.empty();
  }

  /** Whether {@code app} is the warm-up app (its logins skip the per-address login rate). */
  public static boolean isWarmUp(NodeSettings.App app) {
    return app != null && NodeSettings.WARM_UP_APP_ID.equals(app.appId());
  }
}
