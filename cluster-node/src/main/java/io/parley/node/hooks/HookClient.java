package io.parley.node.hooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.RateLimitedLog;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.settings.HookSettings;
import io.parley.node.settings.NodeSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Calls each app's LeanEngine over Pekko HTTP's client (§4.1): {@code POST
 * {engine}/1.1/functions/{hook}} with the app's id, key and hook key, the params as a JSON object,
 * {@code {"result": …}} back. Non-blocking throughout: each app has its own connection pool ({@code
 * max-connections}, {@code max-open-requests}: beyond them a call fails at once), every blocking
 * call is bounded by the app's timeout, and fire-and-forget calls go through one bounded queue per
 * app whose overflow is counted and logged at most once a minute.
 */
public final class HookClient implements Hooks {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HookClient.class);
  private static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

  private final ActorSystem<?> system;
  private final Http http;
  private final Materializer materializer;
  private final Map<String, Engine> engines;
  private final OfflinePush offlinePush;
  private final NodeMetrics metrics;

  /** One app's engine: where, how, its pool, its fire-and-forget queue and its counters. */
  private final class Engine {
    final String appId;
    final HookSettings settings;
    final List<HttpHeader> headers;
    final ConnectionPoolSettings pool;
    final BoundedSourceQueue<Fired> queue;
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final RateLimitedLog failureLog = new RateLimitedLog(LOG, LOG_INTERVAL);
    final RateLimitedLog dropLog = new RateLimitedLog(LOG, LOG_INTERVAL);
    final SystemWebhook webhook;

    Engine(NodeSettings.App app) {
      this.appId = app.appId();
      this.settings = app.hooks();
      this.headers =
          List.of(
              RawHeader.create("X-LC-Id", app.appId()),
              RawHeader.create("X-LC-Key", app.appKey()),
              RawHeader.create("X-LC-Hook-Key", settings.hookKey()),
              RawHeader.create("X-LC-Prod", "1"));
      this.pool =
          AppPools.bounded(
              system, settings.maxConnections(), settings.maxOpenRequests(), settings.timeout());
      this.queue =
          Source.<Fired>queue(settings.queueSize())
              .mapAsyncUnordered(
                  settings.maxConnections(), fired -> post(this, fired.hook(), fired.params()))
              .to(Sink.ignore())
              .run(materializer);
      this.webhook =
          settings.systemWebhookUrl().isEmpty()
              ? null
              : new SystemWebhook(system, http, materializer, app.appId(), settings, pool);
    }
  }

  private record Fired(String hook, ObjectNode params) {}

  public HookClient(ActorSystem<?> system, NodeSettings settings, OfflinePush offlinePush) {
    this.system = system;
    this.http = Http.get(system.classicSystem());
    this.materializer = Materializer.matFromSystem(system);
    this.offlinePush = offlinePush;
    this.metrics = NodeMetrics.get(system);
    this.engines =
        settings.apps().values().stream()
            .filter(
                app ->
                    !app.hooks().engineUrl().isEmpty() || !app.hooks().systemWebhookUrl().isEmpty())
            .collect(Collectors.toUnmodifiableMap(NodeSettings.App::appId, Engine::new));
    // Pools closed before the system stops, so a stopping node does not log them as failed.
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseServiceStop(),
            "parley-hook-pools",
            () ->
                Futures.direct(http.shutdownAllConnectionPools())
                    .thenApply(done -> org.apache.pekko.Done.getInstance()));
    engines
        .values()
        .forEach(
            engine ->
                LOG.info(
                    "Cloud hooks of app {}: {} ({} enabled, timeout {} ms, on failure {})",
                    engine.appId,
                    engine.settings.engineUrl().isEmpty() ? "none" : engine.settings.engineUrl(),
                    engine.settings.enabled().size(),
                    engine.settings.timeout().toMillis(),
                    engine.settings.onFailure()));
  }

  @Override
  public boolean on(String appId, String hook) {
    Engine engine = engines.get(appId);
    return engine != null && engine.settings.on(hook);
  }

  @Override
  public boolean onForApp(String appId, String hook) {
    Engine engine = engines.get(appId);
    return engine != null && engine.settings.onForApp(hook);
  }

  @Override
  public CompletionStage<HookOutcome> decide(String appId, String hook, ObjectNode params) {
    Engine engine = engines.get(appId);
    if (engine == null || !engine.settings.on(hook)) {
      return CompletableFuture.completedFuture(HookOutcome.Answered.PROCEED);
    }
    return post(engine, hook, params);
  }

  @Override
  public CompletionStage<HookOutcome> call(String appId, String hook, ObjectNode params) {
    Engine engine = engines.get(appId);
    if (engine == null || !engine.settings.on(hook)) {
      return CompletableFuture.completedFuture(HookOutcome.Answered.PROCEED);
    }
    return post(engine, hook, params)
        .thenApply(
            outcome ->
                outcome instanceof HookOutcome.Failed failed
                        && engine.settings.onFailure() == HookSettings.FailurePolicy.IGNORE
                    ? HookOutcome.Answered.PROCEED
                    : outcome);
  }

  @Override
  public void fire(String appId, String hook, ObjectNode params) {
    Engine engine = engines.get(appId);
    if (engine == null || !engine.settings.on(hook)) {
      return;
    }
    if (engine.queue.offer(new Fired(hook, params)) != QueueOfferResult.enqueued()) {
      long dropped = engine.dropped.incrementAndGet();
      engine.dropLog.warn(
          "Hook queue of app {} is full ({}): {} dropped, {} in all",
          appId,
          engine.settings.queueSize(),
          hook,
          dropped);
    }
  }

  @Override
  public void systemMessage(String appId, ObjectNode record) {
    Engine engine = engines.get(appId);
    if (engine != null && engine.webhook != null) {
      engine.webhook.offer(record);
    }
  }

  @Override
  public OfflinePush offlinePush() {
    return offlinePush;
  }

  /**
   * Fire-and-forget calls dropped because the app's queue was full (operators: the hook server
   * keeps up?).
   */
  public long dropped(String appId) {
    Engine engine = engines.get(appId);
    return engine == null ? 0 : engine.dropped.get();
  }

  /**
   * One call; completes within the timeout with the answer or {@link HookOutcome.Failed}, never
   * exceptionally.
   */
  private CompletionStage<HookOutcome> post(Engine engine, String hook, ObjectNode params) {
    Duration timeout = engine.settings.timeout();
    long started = System.nanoTime();
    CompletableFuture<HookOutcome> outcome =
        AppPools.expiring(
            system,
            timeout,
            () -> {
              metrics.hookCall(hook, "timeout", System.nanoTime() - started);
              return failed(engine, hook, "no answer within " + timeout.toMillis() + " ms");
            });
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(params);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      outcome.complete(failed(engine, hook, "params not serializable: " + e.getMessage()));
      return outcome;
    }
    HttpRequest request =
        HttpRequest.POST(engine.settings.engineUrl() + "/1.1/functions/" + hook)
            .withEntity(ContentTypes.APPLICATION_JSON, body)
            .addHeaders(engine.headers);
    Futures.direct(
            http.singleRequest(
                request,
                http.defaultClientHttpsContext(),
                engine.pool,
                system.classicSystem().log()))
        .thenCompose(
            response ->
                Futures.direct(response.entity().toStrict(timeout.toMillis(), materializer))
                    .thenApply(
                        strict -> answer(engine, hook, response, strict.getData().utf8String())))
        .whenComplete(
            (answer, failure) -> {
              HookOutcome result =
                  failure != null
                      ? failed(engine, hook, String.valueOf(AppPools.rootCause(failure)))
                      : answer;
              if (outcome.complete(result)) {
                metrics.hookCall(
                    hook,
                    result instanceof HookOutcome.Answered answered
                            && (answered.refuses("drop")
                                || answered.refuses("reject")
                                || answered.result().isBoolean() && !answered.isTrue())
                        ? "rejected"
                        : result instanceof HookOutcome.Answered ? "ok" : "error",
                    System.nanoTime() - started);
              }
            });
    return outcome;
  }

  private HookOutcome answer(Engine engine, String hook, HttpResponse response, String body) {
    if (response.status().intValue() != 200) {
      return failed(engine, hook, "HTTP " + response.status().intValue() + " " + abbreviate(body));
    }
    try {
      return new HookOutcome.Answered(JSON.readTree(body).path("result"));
    } catch (java.io.IOException e) {
      return failed(engine, hook, "answer is not JSON: " + abbreviate(body));
    }
  }

  private HookOutcome.Failed failed(Engine engine, String hook, String reason) {
    long failures = engine.failures.incrementAndGet();
    engine.failureLog.warn(
        "Hook {} of app {} failed ({} so far, policy {}): {}",
        hook,
        engine.appId,
        failures,
        engine.settings.onFailure(),
        reason);
    return new HookOutcome.Failed(reason);
  }

  private static String abbreviate(String body) {
    return body.length() <= 200 ? body : body.substring(0, 200) + "…";
  }
}
