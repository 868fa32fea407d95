package io.parley.node.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/**
 * One app's user store (README "Signatures"): the LeanCloud-compatible storage API that owns the
 * app's {@code _User} session tokens, asked {@code GET {url}/1.1/users/me} when a client asks for a
 * login signature as an {@code AV.User} (REST-AND-HOOKS §2.1). Read from the app's {@code
 * user-store} block over {@code parley.user-store-defaults}; no URL means no user logins.
 *
 * @param url the storage API's base URL, without a trailing slash; empty: not configured
 * @param timeout how long one lookup may take
 * @param maxConnections connections to the store (per app and node)
 * @param maxOpenRequests lookups that may wait for a connection (a power of 2); beyond: fail at
 *     once
 */
public record UserStoreSettings(
    String url, Duration timeout, int maxConnections, int maxOpenRequests) {

  public static final UserStoreSettings NONE =
      new UserStoreSettings("", Duration.ofSeconds(5), 1, 1);

  public boolean configured() {
    return !url.isEmpty();
  }

  static UserStoreSettings fromConfig(Config app, Config defaults) {
    Config store =
        (app.hasPath("user-store") ? app.getConfig("user-store") : ConfigFactory.empty())
            .withFallback(defaults);
    String url = store.getString("url").trim();
    if (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("user-store.url must be an http(s) URL: " + url);
    }
    int openRequests = store.getInt("max-open-requests");
    if (Integer.bitCount(openRequests) != 1) {
      throw new IllegalArgumentException(
          "user-store.max-open-requests must be a power of 2: " + openRequests);
    }
    int connections = store.getInt("max-connections");
    if (connections < 1) {
      throw new IllegalArgumentException("user-store.max-connections must be at least 1");
    }
    return new UserStoreSettings(url, store.getDuration("timeout"), connections, openRequests);
  }
}
