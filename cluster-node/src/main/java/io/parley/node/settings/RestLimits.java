package io.parley.node.settings;

import com.typesafe.config.Config;

/**
 * An app's REST rate limits (REST-AND-HOOKS §3.7), each a budget on each node: the message APIs
 * (send, edit, recall; {@code /1.1/rtm/messages}) per minute, subscriber broadcasts ({@code
 * /1.2/rtm/service-conversations/{id}/broadcasts}) and global broadcasts ({@code
 * /1.2/rtm/broadcasts}, {@code /1.1/rtm/broadcast}) per minute and per day, and every other REST
 * call per minute. An app's entry under {@code parley.apps} may override any of them in a {@code
 * rest-limits} block; the rest come from {@code parley.rest.default-limits}.
 */
public record RestLimits(
    int messagesPerMinute,
    int broadcastsPerMinute,
    int broadcastsPerDay,
    int globalBroadcastsPerMinute,
    int globalBroadcastsPerDay,
    int requestsPerMinute) {

  /** LeanCloud's commercial defaults. */
  public static final RestLimits DEFAULT = new RestLimits(1800, 30, 1000, 10, 30, 60000);

  static RestLimits fromConfig(Config app, Config defaults) {
    Config limits =
        app.hasPath("rest-limits") ? app.getConfig("rest-limits").withFallback(defaults) : defaults;
    RestLimits parsed =
        new RestLimits(
            limits.getInt("messages-per-minute"),
            limits.getInt("broadcasts-per-minute"),
            limits.getInt("broadcasts-per-day"),
            limits.getInt("global-broadcasts-per-minute"),
            limits.getInt("global-broadcasts-per-day"),
            limits.getInt("requests-per-minute"));
    if (parsed.messagesPerMinute() < 1
        || parsed.broadcastsPerMinute() < 1
        || parsed.broadcastsPerDay() < 1
        || parsed.globalBroadcastsPerMinute() < 1
        || parsed.globalBroadcastsPerDay() < 1
        || parsed.requestsPerMinute() < 1) {
      throw new IllegalArgumentException(
          "parley.apps: REST limits of '"
              + app.getString("app-id")
              + "' must be at least 1: "
              + parsed);
    }
    return parsed;
  }
}
