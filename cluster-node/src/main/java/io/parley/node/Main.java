package io.parley.node;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Durability;
import io.parley.node.conversation.ReliableNotifications;
import io.parley.node.conversation.Residency;
import io.parley.node.gateway.GatewayRoutes;
import io.parley.node.gateway.GatewayServer;
import io.parley.node.gateway.LocalSessions;
import io.parley.node.health.NodeHealth;
import io.parley.node.hooks.HookClient;
import io.parley.node.hooks.Hooks;
import io.parley.node.hooks.OfflinePush;
import io.parley.node.hooks.UserStore;
import io.parley.node.message.BroadcastRegistry;
import io.parley.node.message.MessageStore;
import io.parley.node.metrics.EntityCounter;
import io.parley.node.metrics.MetricsServer;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.DailyClients;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.rest.RestApi;
import io.parley.node.security.SecurityStore;
import io.parley.node.security.SignatureGuard;
import io.parley.node.security.TokenRevocation;
import io.parley.node.security.WarmUpApp;
import io.parley.node.session.ConversationCommands;
import io.parley.node.session.LoginThrottle;
import io.parley.node.session.MessageCommands;
import io.parley.node.session.SessionDependencies;
import io.parley.node.session.SessionTokens;
import io.parley.node.session.UserLogins;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.NodeSettings;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** A Parley node: joins the cluster, starts the conversation shards and binds the gateway. */
public final class Main {

  private static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Main() {}

  public static void main(String[] args) {
    // The JDK's HTTP client, which the warm-up's WebSocket client is, hands one step of every
    // connect to CompletableFuture's default pool; with fewer than 2 threads (a 2-core machine)
    // that pool starts a thread per task. Parley's own code never uses that pool (HotPathIT runs
    // nodes with 1 to catch it). Set before anything makes the pool; an explicit setting wins.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    ActorSystem.create(
        Behaviors.setup(
            context -> {
              ActorSystem<?> system = context.getSystem();
              try {
                NodeSettings settings = NodeSettings.fromConfig(system.settings().config());
                ExitWatchdog.install(system, settings.haltAfterShutdown());
                init(system, settings);
              } catch (RuntimeException e) {
                system.log().error("Parley node failed to start: {}", e.getMessage());
                System.err.println("Parley node failed to start: " + e.getMessage());
                system.terminate();
              }
              return Behaviors.empty();
            }),
        "parley");
  }

  /**
   * The start-up steps, top to bottom; tests call the same method. Completes when the gateway is
   * bound, which is once this node is Up in the cluster.
   */
  public static CompletionStage<io.parley.node.gateway.GatewayBinding> init(
      ActorSystem<?> system, NodeSettings settings) {
    joinCluster(system, settings);
    Clock clock = Clock.systemUTC();
    ClusterSharding sharding = ClusterSharding.get(system);
    ConversationSettings limits = settings.conversation();
    String keyspace = settings.persistence().keyspace();
    io.parley.node.settings.Storage storage = settings.storage();
    ConversationIndex index =
        new ConversationIndex(
            system,
            keyspace,
            new ConversationIndex.Retries(
                storage.indexWriteAttempts(),
                storage.indexRetryBackoff(),
                storage.indexRetryMaxBackoff(),
                storage.indexMaxPendingRetries()),
            storage.memberConversationsScanned(),
            new ConversationIndex.AppIndex(
                storage.buckets().appIndexBuckets(), storage.buckets().appIndexLegacy()),
            storage.memberReads());
    MessageStore messages =
        new MessageStore(
            system,
            keyspace,
            settings.messages(),
            storage.messageRetention(),
            storage.buckets().chatroomLegacyMonths());
    ReliableNotifications notifications =
        new ReliableNotifications(system, keyspace, settings.notifications());
    SecurityStore security = new SecurityStore(system, keyspace);
    DailyClients dailyClients =
        new DailyClients(
            system,
            keyspace,
            clock,
            new DailyClients.Settings(
                settings.dailyClients().writesInFlight(),
                settings.dailyClients().batchMaxClients(),
                settings.dailyClients().maxQueued(),
                settings.dailyClients().rememberedPerDay(),
                settings.dailyClients().flushInterval()));
    BroadcastRegistry broadcasts = new BroadcastRegistry(system, keyspace);
    // Local runs and tests create the read-side tables before serving (production:
    // deploy/cassandra/schema.cql).
    // Schema changes are slow on a busy Cassandra: retried before giving up; each attempt skips the
    // tables that
    // exist (IF NOT EXISTS), so a slow start still progresses.
    CompletionStage<org.apache.pekko.Done> schema =
        settings.persistence().tablesAutocreate()
            ? org.apache.pekko.pattern.Patterns.retry(
                () ->
                    index
                        .createTables(settings.persistence().localReplication())
                        .thenCompose(done -> messages.createTables())
                        .thenCompose(done -> notifications.createTable())
                        .thenCompose(done -> security.createTables())
                        .thenCompose(done -> dailyClients.createTable())
                        .thenCompose(done -> broadcasts.createTable()),
                settings.persistence().schemaCreateAttempts(),
                settings.persistence().schemaCreateRetryDelay(),
                system.classicSystem())
            : java.util.concurrent.CompletableFuture.completedFuture(
                org.apache.pekko.Done.getInstance());
    // Expired temporary conversations leave Cassandra (one job for the cluster).
    new io.parley.node.conversation.TemporaryPurge(
            system,
            keyspace,
            new io.parley.node.conversation.TemporaryPurge.Settings(
                storage.temporaryPurge().interval(),
                storage.temporaryPurge().grace(),
                storage.temporaryPurge().lookback(),
                storage.temporaryPurge().maxPerRun(),
                storage.temporaryPurge().deletesPerSecond()),
            messages)
        .start();
    ClientPresence.init(
        system, new Residency(storage.presenceIdleTimeout(), storage.maxResidentPresences()));
    ClientPresence.Directory presence =
        new ClientPresence.Directory(sharding, settings.session().askTimeout());
    NodeDirectory directory =
        new NodeDirectory(system, settings.session().askTimeout(), dailyClients);
    Hooks hooks = new HookClient(system, settings, OfflinePush.LOGGED);
    Conversation.init(
        system,
        limits,
        notifications.recording(directory),
        index,
        messages,
        hooks,
        clock,
        new Durability(
            storage.snapshotEvery(),
            storage.keepSnapshots(),
            storage.deleteEventsOnSnapshot(),
            storage.positionFlushInterval(),
            storage.indexActivityInterval(),
            new io.parley.node.conversation.TailBudget(storage.offlineTailBudgetBytes())),
        new Residency(storage.conversationIdleTimeout(), storage.maxResidentConversations()));
    SessionTokens sessionTokens = new SessionTokens(settings.session().sessionTokenTtl());
    // Revokes session tokens per client or app, on every node: what REST kicks and bans call.
    TokenRevocation revocations =
        new TokenRevocation(
            security,
            clock,
            settings.session().sessionTokenTtl(),
            settings.security().signatureValidity());
    WarmUpApp warmUpApp = new WarmUpApp();
    SessionDependencies sessions =
        new SessionDependencies(
            settings,
            sessionTokens,
            ConversationCommands.sharded(
                sharding,
                directory,
                index,
                limits,
                settings,
                settings.session().askTimeout(),
                hooks,
                clock),
            MessageCommands.sharded(
                sharding,
                index,
                messages,
                limits,
                settings.limits(),
                settings.session().askTimeout(),
                settings.session().ackWindow(),
                clock),
            directory,
            presence,
            new SignatureGuard(security, settings.security().signatureValidity(), clock),
            revocations,
            hooks,
            clock,
            LoginThrottle.of(settings),
            warmUpApp);
    org.apache.pekko.http.javadsl.server.Route restApi =
        RestApi.routes(
            new RestApi.Dependencies(
                settings,
                sessionTokens,
                sharding,
                directory,
                index,
                messages,
                limits,
                clock,
                notifications,
                revocations,
                new UserLogins(new UserStore(system, settings), hooks, clock),
                dailyClients,
                broadcasts));
    LocalSessions localSessions = new LocalSessions();
    // A rolling restart: clients are told to go away before the listener unbinds.
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "parley-goaway",
            () -> {
              system
                  .log()
                  .info("Telling {} connection(s) to reconnect elsewhere", localSessions.size());
              return localSessions.drain();
            });
    observe(system, settings, localSessions, directory);
    NodeHealth health = NodeHealth.get(system);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "parley-not-ready",
            () -> {
              health.gatewayBound(false);
              return java.util.concurrent.CompletableFuture.completedFuture(
                  org.apache.pekko.Done.getInstance());
            });
    // Clients are served only once this node is Up: every other node then has it in its membership,
    // so the
    // pushes of conversations living elsewhere reach the sessions it registers (a node restarted in
    // a rolling
    // update used to accept its clients before the others knew it, and they missed live pushes:
    // RollingRestartIT).
    return schema
        .thenCombine(memberUp(system), (done, up) -> done)
        .thenCompose(
            done ->
                GatewayServer.start(
                    system,
                    settings,
                    new GatewayRoutes(system, settings, sessions, localSessions, restApi)))
        .thenApply(
            binding -> {
              health.gatewayBound(true);
              // Ready (GET /ready) once the warm-up has ended: the first clients meet compiled
              // code.
              WarmUp.run(
                      system,
                      settings.warmUp(),
                      warmUpApp,
                      sessionTokens,
                      binding.localAddress(),
                      settings.gateway().tls().isPresent(),
                      messages)
                  .thenAccept(result -> health.warmedUp(result.ok(), result.messages()));
              return binding;
            });
  }

  private static CompletionStage<org.apache.pekko.Done> memberUp(ActorSystem<?> system) {
    java.util.concurrent.CompletableFuture<org.apache.pekko.Done> up =
        new java.util.concurrent.CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(system.classicSystem())
        .registerOnMemberUp(() -> up.complete(org.apache.pekko.Done.getInstance()));
    return up;
  }

  /** Metrics (parley.metrics) and the entity counts behind parley_entities. */
  private static void observe(
      ActorSystem<?> system,
      NodeSettings settings,
      LocalSessions localSessions,
      NodeDirectory directory) {
    NodeMetrics metrics = NodeMetrics.get(system);
    metrics.connections(localSessions::size);
    metrics.sessions(directory::size);
    EntityCounter.start(
        system,
        settings.metrics().entityCountInterval(),
        Map.of(
            NodeMetrics.CONVERSATION,
            Conversation.ENTITY_KEY,
            NodeMetrics.PRESENCE,
            ClientPresence.ENTITY_KEY));
    if (settings.metrics().enabled()) {
      MetricsServer.start(system, settings.metrics().interfaceName(), settings.metrics().port());
    }
  }

  /**
   * Management (health checks, and Cluster Bootstrap's contact point) runs on every node.
   * Kubernetes: Cluster Bootstrap; configured seed nodes: Pekko joins them; neither: a cluster of
   * one.
   */
  private static void joinCluster(ActorSystem<?> system, NodeSettings settings) {
    Futures.direct(PekkoManagement.get(system).start())
        .whenComplete(
            (uri, failure) -> {
              if (failure != null) {
                system
                    .log()
                    .error("Management (health checks) could not start: {}", failure.getMessage());
              }
            });
    if (settings.clusterBootstrap()) {
      ClusterBootstrap.get(system).start();
    } else if (settings.seedNodes().isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }
}
