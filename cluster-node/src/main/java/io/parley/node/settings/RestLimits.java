package io.parley.node.settings;

import com.typesafe.config.Config;

/**
 * An app's REST rate limits (REST-AND-HOOKS §3.7), each a budget per minute on each node: the
 * message APIs (send, edit, recall; {@code /1.1/rtm/messages}), broadcasts ({@code
 * /1.1/rtm/broadcast}, service conversation broadcasts), and every other REST call. An app's entry
 * under {@code parley.apps} may override any of them in a {@code rest-limits} block; the rest come
 * from {@code parley.rest.default-limits}.
 */
public record RestLimits(int messagesPerMinute, int broadcastsPerMinute, int requestsPerMinute) {

  /** LeanCloud's commercial defaults. */
  public static final RestLimits DEFAULT = new RestLimits(1800, 30, 60000);

  static RestLimits fromConfig(Config app, Config defaults) {
    Config limits =
        app.hasPath("rest-limits") ? app.getConfig("rest-limits").withFallback(defaults) : defaults;
    RestLimits parsed =
        new RestLimits(
            limits.getInt("messages-per-minute"),
            limits.getInt("broadcasts-per-minute"),
            limits.getInt("requests-per-minute"));
    if (parsed.messagesPerMinute() < 1
        || parsed.broadcastsPerMinute() < 1
        || parsed.requestsPerMinute() < 1) {
      throw new IllegalArgumentException(
          "parley.apps: REST limits of '"
              + app.getString("app-id")
              + "' must be at least 1 per minute: "
              + parsed);
    }
    return parsed;
  }
}
