package io.parley.node.settings;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One app's cloud hooks (docs/hooks.md): where its LeanEngine app listens, the hook key it checks,
 * which hooks it defines, how long a blocking hook may take and what a failed one does. Read from
 * the app's {@code hooks} block over {@code parley.hook-defaults}; no engine URL means no hooks.
 */
public record HookSettings(
    String engineUrl,
    String hookKey,
    Set<String> enabled,
    Duration timeout,
    FailurePolicy onFailure,
    int maxConnections,
    int maxOpenRequests,
    int queueSize,
    String systemWebhookUrl,
    int webhookBatch,
    Duration webhookInterval,
    int webhookRetries,
    boolean restMessages) {

  /** What a hook that times out or does not answer 200 does to the request (§4.1). */
  public enum FailurePolicy {
    /** The request proceeds as if the hook had answered {@code {}} (LeanCloud's default). */
    IGNORE,
    /**
     * The client gets an error (4305, 4402, 4405 with detail "hook failed") and the request stops.
     */
    REJECT
  }

  /** Every realtime hook of §4.2–§4.4 and §4.6, by its cloud-function name. */
  public static final List<String> ALL =
      List.of(
          "_messageReceived",
          "_receiversOffline",
          "_messageSent",
          "_messageUpdate",
          "_conversationStart",
          "_conversationStarted",
          "_conversationAdd",
          "_conversationAdded",
          "_conversationRemove",
          "_conversationRemoved",
          "_conversationUpdate",
          "_clientOnline",
          "_clientOffline",
          "_rtmClientSign");

  public static final HookSettings NONE =
      new HookSettings(
          "",
          "",
          Set.of(),
          Duration.ofSeconds(5),
          FailurePolicy.IGNORE,
          1,
          1,
          1,
          "",
          1,
          Duration.ofSeconds(1),
          0,
          true);

  /** Whether {@code hook} is called for this app. */
  public boolean on(String hook) {
    return !engineUrl.isEmpty() && enabled.contains(hook);
  }

  /**
   * Whether {@code hook} is called for a message the app server sent, edited or recalled through
   * the REST API ({@code rest-messages}; docs/hooks.md §4.5).
   */
  public boolean onForApp(String hook) {
    return restMessages && on(hook);
  }

  /** The app's {@code hooks} block (may be absent) over the node's defaults. */
  static HookSettings fromConfig(Config app, Config defaults) {
    Config hooks =
        (app.hasPath("hooks") ? app.getConfig("hooks") : com.typesafe.config.ConfigFactory.empty())
            .withFallback(defaults);
    List<String> enabled = hooks.getStringList("enabled");
    for (String hook : enabled) {
      if (!ALL.contains(hook)) {
        throw new IllegalArgumentException(
            "hooks.enabled: unknown hook '" + hook + "' (known: " + ALL + ")");
      }
    }
    String url = stripSlash(hooks.getString("engine-url"));
    if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("hooks.engine-url must be an http(s) URL: " + url);
    }
    if (!url.isEmpty() && hooks.getString("hook-key").isEmpty()) {
      throw new IllegalArgumentException(
          "hooks.hook-key is required with hooks.engine-url (the engine checks it)");
    }
    int openRequests = hooks.getInt("max-open-requests");
    if (Integer.bitCount(openRequests) != 1) {
      throw new IllegalArgumentException(
          "hooks.max-open-requests must be a power of 2: " + openRequests);
    }
    return new HookSettings(
        url,
        hooks.getString("hook-key"),
        Set.copyOf(enabled),
        hooks.getDuration("timeout"),
        FailurePolicy.valueOf(hooks.getString("on-failure").toUpperCase(java.util.Locale.ROOT)),
        hooks.getInt("max-connections"),
        openRequests,
        hooks.getInt("queue-size"),
        stripSlash(hooks.getString("system-webhook.url")),
        hooks.getInt("system-webhook.batch"),
        hooks.getDuration("system-webhook.interval"),
        hooks.getInt("system-webhook.retries"),
        hooks.getBoolean("rest-messages"));
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
