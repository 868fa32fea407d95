package io.parley.node.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Typed view of the {@code parley} config block, read once at start-up and passed down. */
public record NodeSettings(
    Map<String, App> apps,
    boolean clusterBootstrap,
    List<String> seedNodes,
    Persistence persistence,
    ConversationSettings conversation,
    MessageWrites messages,
    NotificationSettings notifications,
    Gateway gateway,
    Session session,
    Storage storage,
    Metrics metrics,
    Limits limits,
    Security security,
    Rest rest,
    CassandraTls cassandraTls,
    DailyClientWrites dailyClients,
    WarmUp warmUp,
    Duration haltAfterShutdown) {

  /**
   * The app id of a node's own warm-up logins ({@code parley.warm-up}): reserved, no configured app
   * may use it.
   */
  public static final String WARM_UP_APP_ID = "parley-warm-up";

  /**
   * Before a node reports ready it logs {@code logins} clients into its own gateway, {@code
   * concurrency} at a time, then has pairs of them exchange about {@code messages} messages, for at
   * most {@code timeout} in all ({@code parley.warm-up}); 0 logins and 0 messages: none.
   */
  public record WarmUp(int logins, int messages, int concurrency, Duration timeout) {
    static WarmUp fromConfig(Config warmUp) {
      WarmUp settings =
          new WarmUp(
              warmUp.getInt("logins"),
              warmUp.getInt("messages"),
              warmUp.getInt("concurrency"),
              warmUp.getDuration("timeout"));
      if (settings.logins() < 0
          || settings.messages() < 0
          || settings.concurrency() < 1
          || settings.timeout().isNegative()
          || settings.timeout().isZero()) {
        throw new IllegalArgumentException(
            "parley.warm-up: logins and messages must be at least 0, concurrency at least 1,"
                + " timeout above 0");
      }
      return settings;
    }
  }

  /**
   * One application: the ids and keys its SDKs are configured with, its REST rate limits ({@link
   * RestLimits#fromConfig}), its signature switches, who may enter its conversations and its cloud
   * hooks.
   */
  public record App(
      String appId,
      String appKey,
      String masterKey,
      RestLimits restLimits,
      AppSecurity security,
      AppAccess access,
      HookSettings hooks,
      UserStoreSettings userStore) {
    /**
     * An app with the default REST limits, without signature switches, with default access, no
     * hooks (tests).
     */
    public App(String appId, String appKey, String masterKey) {
      this(
          appId,
          appKey,
          masterKey,
          RestLimits.DEFAULT,
          AppSecurity.open(),
          AppAccess.defaults(masterKey),
          HookSettings.NONE,
          UserStoreSettings.NONE);
    }

    /** An app with the default REST limits and access and these signature switches (tests). */
    public App(String appId, String appKey, String masterKey, AppSecurity security) {
      this(
          appId,
          appKey,
          masterKey,
          RestLimits.DEFAULT,
          security,
          AppAccess.defaults(masterKey),
          HookSettings.NONE,
          UserStoreSettings.NONE);
    }

    /**
     * An app with the default REST limits, without signature switches, with this access (tests).
     */
    public App(String appId, String appKey, String masterKey, AppAccess access) {
      this(
          appId,
          appKey,
          masterKey,
          RestLimits.DEFAULT,
          AppSecurity.open(),
          access,
          HookSettings.NONE,
          UserStoreSettings.NONE);
    }

    /** An app with the default REST limits and these cloud hooks (tests). */
    public App(
        String appId,
        String appKey,
        String masterKey,
        AppAccess access,
        AppSecurity security,
        HookSettings hooks) {
      this(
          appId,
          appKey,
          masterKey,
          RestLimits.DEFAULT,
          security,
          access,
          hooks,
          UserStoreSettings.NONE);
    }
  }

  /**
   * Where the node keeps its data: the keyspace of the journal and the read-side tables ({@code
   * pekko.persistence.cassandra.journal.keyspace}), whether the node creates its tables at start
   * ({@code ...journal.tables-autocreate}; production runs deploy/cassandra/schema.cql instead),
   * the replication of a keyspace it creates ({@code parley.conversation.local-replication}), and
   * how often and how far apart that creation is tried ({@code parley.storage.schema-create-*}).
   */
  public record Persistence(
      String keyspace,
      boolean tablesAutocreate,
      String localReplication,
      int schemaCreateAttempts,
      Duration schemaCreateRetryDelay) {
    static Persistence fromConfig(Config root) {
      int attempts = root.getInt("parley.storage.schema-create-attempts");
      if (attempts < 1) {
        throw new IllegalArgumentException(
            "parley.storage.schema-create-attempts must be at least 1, not " + attempts);
      }
      return new Persistence(
          root.getString("pekko.persistence.cassandra.journal.keyspace"),
          root.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"),
          root.getString("parley.conversation.local-replication"),
          attempts,
          root.getDuration("parley.storage.schema-create-retry-delay"));
    }
  }

  /** {@code parley.security}: how long a client signature (docs/protocol.md §14.1) stays valid. */
  public record Security(Duration signatureValidity) {}

  /**
   * How a node writes the day's clients ({@code parley.daily-clients}, for {@code /rtm/stats}):
   * writes in flight, clients per batch, logins that may wait, clients remembered per day, how long
   * a login may wait for others to share its write.
   */
  public record DailyClientWrites(
      int writesInFlight,
      int batchMaxClients,
      int maxQueued,
      int rememberedPerDay,
      Duration flushInterval) {
    static DailyClientWrites fromConfig(Config daily) {
      DailyClientWrites settings =
          new DailyClientWrites(
              daily.getInt("writes-in-flight"),
              daily.getInt("batch-max-clients"),
              daily.getInt("max-queued"),
              daily.getInt("remembered-per-day"),
              daily.getDuration("flush-interval"));
      if (settings.writesInFlight() < 1
          || settings.batchMaxClients() < 1
          || settings.maxQueued() < 1
          || settings.rememberedPerDay() < 0
          || settings.flushInterval().isNegative()) {
        throw new IllegalArgumentException(
            "parley.daily-clients: writes-in-flight, batch-max-clients and max-queued must be at"
                + " least 1, remembered-per-day and flush-interval at least 0");
      }
      return settings;
    }
  }

  public record Gateway(
      String interfaceName,
      int port,
      String advertisedWsUrl,
      String advertisedWssUrl,
      String secondaryWsUrl,
      String secondaryWssUrl,
      Duration routerTtl,
      Optional<Tls> tls,
      Edge edge) {}

  /**
   * Which WebSocket edge serves the listener ({@code parley.gateway.edge}), and the lean edge's
   * bounds on a connection's HTTP request head.
   */
  public record Edge(Kind kind, int maxRequestHead, Duration requestHeadTimeout) {

    public enum Kind {
      LEAN,
      PEKKO_HTTP
    }

    static Edge fromConfig(Config gateway) {
      String name = gateway.getString("edge");
      Kind kind =
          switch (name) {
            case "lean" -> Kind.LEAN;
            case "pekko-http" -> Kind.PEKKO_HTTP;
            default ->
                throw new IllegalArgumentException(
                    "parley.gateway.edge must be lean or pekko-http, not " + name);
          };
      return new Edge(
          kind,
          Math.toIntExact(gateway.getBytes("max-request-head")),
          gateway.getDuration("request-head-timeout"));
    }
  }

  public record Tls(String keystorePath, String keystorePassword) {}

  /**
   * The REST API (REST-AND-HOOKS §1): request bodies, and how long a call waits for the cluster.
   */
  public record Rest(long maxBodyBytes, java.time.Duration timeout, int maxHistoryLimit) {
    static Rest fromConfig(Config rest) {
      return new Rest(
          rest.getBytes("max-body-size"),
          rest.getDuration("timeout"),
          rest.getInt("max-history-limit"));
    }
  }

  public record Session(
      Duration loginTimeout,
      Duration readIdleTimeout,
      Duration sessionTokenTtl,
      int maxFrameSize,
      Duration frameAssemblyTimeout,
      int outboundBuffer,
      int maxClientIdLength,
      Duration askTimeout,
      int maxPendingSends,
      Duration ackWindow) {}

  /**
   * The Prometheus endpoint ({@code parley.metrics}): its own listener, and how often entities are
   * counted.
   */
  public record Metrics(
      boolean enabled, String interfaceName, int port, Duration entityCountInterval) {}

  public static NodeSettings fromConfig(Config root) {
    Config config = root.getConfig("parley");
    List<App> apps =
        config.getConfigList("apps").stream()
            .map(
                app ->
                    new App(
                        app.getString("app-id"),
                        app.getString("app-key"),
                        app.getString("master-key"),
                        RestLimits.fromConfig(app, config.getConfig("rest.default-limits")),
                        AppSecurity.fromConfig(app),
                        AppAccess.fromConfig(app, app.getString("master-key")),
                        HookSettings.fromConfig(app, config.getConfig("hook-defaults")),
                        UserStoreSettings.fromConfig(app, config.getConfig("user-store-defaults"))))
            .toList();
    if (apps.isEmpty()) {
      throw new IllegalArgumentException("parley.apps must list at least one application");
    }
    for (App app : apps) {
      // The app id is part of every entity id (appId:cid) and of Cassandra keys.
      if (app.appId().equals(WARM_UP_APP_ID)) {
        throw new IllegalArgumentException(
            "parley.apps: app id '" + WARM_UP_APP_ID + "' is reserved for the node's warm-up");
      }
      if (app.appId().isBlank() || app.appId().contains(":") || app.masterKey().isBlank()) {
        throw new IllegalArgumentException(
            "parley.apps: app id '"
                + app.appId()
                + "' must be non-empty without ':' and have a master key");
      }
    }
    checkLogFormat(config.getString("log-format"));
    boolean clusterBootstrap = config.getBoolean("cluster-bootstrap");
    if (clusterBootstrap) {
      apps.forEach(NodeSettings::checkProductionMasterKey);
      apps.forEach(app -> app.security().checkProduction(app.appId()));
    }
    Session session = session(config.getConfig("session"));
    checkHookTimeouts(apps, session);
    return new NodeSettings(
        apps.stream().collect(Collectors.toUnmodifiableMap(App::appId, Function.identity())),
        clusterBootstrap,
        List.copyOf(root.getStringList("pekko.cluster.seed-nodes")),
        Persistence.fromConfig(root),
        section(root, "parley.conversation", ConversationSettings::fromConfig),
        section(root, "parley.messages", MessageWrites::fromConfig),
        section(root, "parley.notifications", NotificationSettings::fromConfig),
        gateway(config.getConfig("gateway")),
        session,
        Storage.fromConfig(config.getConfig("storage")),
        metrics(config.getConfig("metrics")),
        Limits.fromConfig(root),
        new Security(config.getDuration("security.signature-validity")),
        Rest.fromConfig(config.getConfig("rest")),
        CassandraTls.fromConfig(config.getConfig("cassandra.tls")),
        section(root, "parley.daily-clients", DailyClientWrites::fromConfig),
        section(root, "parley.warm-up", WarmUp::fromConfig),
        config.getDuration("halt-after-shutdown"));
  }

  /**
   * Parses the block at {@code path}; a missing key or a value of the wrong type fails naming the
   * block and the key (Typesafe Config names keys relative to the block).
   */
  private static <T> T section(Config root, String path, Function<Config, T> parse) {
    try {
      return parse.apply(root.getConfig(path));
    } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue bad) {
      throw new IllegalArgumentException(path + ": " + bad.getMessage(), bad);
    }
  }

  /**
   * A send waits for _messageReceived before it is stored: the session must wait longer than the
   * hook.
   */
  private static void checkHookTimeouts(List<App> apps, Session session) {
    for (App app : apps) {
      if (app.hooks().timeout().compareTo(session.askTimeout()) >= 0) {
        throw new IllegalArgumentException(
            "app "
                + app.appId()
                + ": hooks.timeout "
                + app.hooks().timeout()
                + " must be shorter than parley.session.ask-timeout "
                + session.askTimeout());
      }
    }
  }

  public Optional<App> app(String appId) {
    return appId == null ? Optional.empty() : Optional.ofNullable(apps.get(appId));
  }

  private static Gateway gateway(Config gateway) {
    String keystore = gateway.getString("tls.keystore");
    Optional<Tls> tls =
        keystore.isBlank()
            ? Optional.empty()
            : Optional.of(new Tls(keystore, gateway.getString("tls.keystore-password")));
    return new Gateway(
        gateway.getString("interface"),
        gateway.getInt("port"),
        gateway.getString("advertised-ws-url"),
        gateway.getString("advertised-wss-url"),
        gateway.getString("secondary-ws-url"),
        gateway.getString("secondary-wss-url"),
        gateway.getDuration("router-ttl"),
        tls,
        Edge.fromConfig(gateway));
  }

  /**
   * Master keys that ship in this repository (application.conf, secret.example.yaml): never secret.
   */
  private static final java.util.Set<String> PUBLIC_MASTER_KEYS =
      java.util.Set.of("parley-dev-master", "your-master-key");

  private static final int MIN_MASTER_KEY_BYTES = 32;

  /**
   * With Cluster Bootstrap (a Kubernetes deployment) the master key signs session tokens and
   * authorises REST calls: the development key, the template's placeholder or a short key would let
   * anyone forge them.
   */
  private static void checkProductionMasterKey(App app) {
    if (PUBLIC_MASTER_KEYS.contains(app.masterKey())
        || app.masterKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            < MIN_MASTER_KEY_BYTES) {
      throw new IllegalArgumentException(
          "parley.apps: the master key of app '"
              + app.appId()
              + "' is "
              + (PUBLIC_MASTER_KEYS.contains(app.masterKey()) ? "a published example" : "too short")
              + "; set PARLEY_MASTER_KEY to a secret of at least "
              + MIN_MASTER_KEY_BYTES
              + " bytes (e.g. openssl rand -base64 32)");
    }
  }

  /**
   * logback.xml names its appenders after the formats: any other value would leave the node without
   * logs.
   */
  private static void checkLogFormat(String format) {
    if (!format.equals("text") && !format.equals("json")) {
      throw new IllegalArgumentException(
          "parley.log-format (PARLEY_LOG_FORMAT) must be text or json, not '" + format + "'");
    }
  }

  private static Metrics metrics(Config metrics) {
    return new Metrics(
        metrics.getBoolean("enabled"),
        metrics.getString("interface"),
        metrics.getInt("port"),
        metrics.getDuration("entity-count-interval"));
  }

  private static Session session(Config session) {
    return new Session(
        session.getDuration("login-timeout"),
        session.getDuration("read-idle-timeout"),
        session.getDuration("session-token-ttl"),
        (int) session.getBytes("max-frame-size").longValue(),
        session.getDuration("frame-assembly-timeout"),
        session.getInt("outbound-buffer"),
        session.getInt("max-client-id-length"),
        session.getDuration("ask-timeout"),
        session.getInt("max-pending-sends"),
        session.getDuration("ack-window"));
  }
}
