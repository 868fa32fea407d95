package io.parley.node.hooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.RateLimitedLog;
import io.parley.node.settings.HookSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The system-conversation webhook of one app (docs/hooks.md §4.7): the messages clients send to
 * system conversations, POSTed as a JSON array to the app's URL, up to {@code batch} records at
 * least every {@code interval}, one batch at a time; a batch that fails (not 2xx, no answer within
 * 5 s) is tried again up to {@code retries} times, 1 s apart, then dropped and logged. Records wait
 * in a bounded queue.
 */
final class SystemWebhook {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SystemWebhook.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

  private final ActorSystem<?> system;
  private final Http http;
  private final Materializer materializer;
  private final String appId;
  private final HookSettings settings;
  private final ConnectionPoolSettings pool;
  private final BoundedSourceQueue<ObjectNode> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final RateLimitedLog log = new RateLimitedLog(LOG, Duration.ofMinutes(1));

  SystemWebhook(
      ActorSystem<?> system,
      Http http,
      Materializer materializer,
      String appId,
      HookSettings settings,
      ConnectionPoolSettings pool) {
    this.system = system;
    this.http = http;
    this.materializer = materializer;
    this.appId = appId;
    this.settings = settings;
    this.pool = pool;
    this.queue =
        Source.<ObjectNode>queue(settings.queueSize())
            .groupedWithin(settings.webhookBatch(), settings.webhookInterval())
            .mapAsync(1, this::deliver)
            .to(Sink.ignore())
            .run(materializer);
  }

  void offer(ObjectNode record) {
    if (queue.offer(record) != QueueOfferResult.enqueued()) {
      log.warn(
          "System-conversation webhook queue of app {} is full: {} record(s) dropped",
          appId,
          dropped.incrementAndGet());
    }
  }

  private CompletionStage<Done> deliver(List<ObjectNode> batch) {
    ArrayNode body = JSON.createArrayNode().addAll(batch);
    return Patterns.retry(
            () -> post(body), settings.webhookRetries(), RETRY_DELAY, system.classicSystem())
        .exceptionally(
            failure -> {
              log.warn(
                  "System-conversation webhook of app {} failed {} time(s), {} record(s) dropped: {}",
                  appId,
                  settings.webhookRetries() + 1,
                  batch.size(),
                  failure.toString());
              return Done.getInstance();
            });
  }

  private CompletionStage<Done> post(ArrayNode body) {
    HttpRequest request =
        HttpRequest.POST(settings.systemWebhookUrl())
            .withEntity(ContentTypes.APPLICATION_JSON, body.toString());
    CompletableFuture<Done> done = new CompletableFuture<>();
    var timer =
        system
            .scheduler()
            .scheduleOnce(
                TIMEOUT,
                () ->
                    done.completeExceptionally(
                        new java.util.concurrent.TimeoutException("no answer within 5 s")),
                system.executionContext());
    Futures.direct(
            http.singleRequest(
                request, http.defaultClientHttpsContext(), pool, system.classicSystem().log()))
        .whenComplete(
            (response, failure) -> {
              timer.cancel();
              if (failure != null) {
                done.completeExceptionally(failure);
                return;
              }
              response.discardEntityBytes(materializer);
              if (response.status().isSuccess()) {
                done.complete(Done.getInstance());
              } else {
                done.completeExceptionally(
                    new IllegalStateException("HTTP " + response.status().intValue()));
              }
            });
    return done;
  }
}
