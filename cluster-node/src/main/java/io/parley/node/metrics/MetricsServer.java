package io.parley.node.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The Prometheus scrape endpoint, {@code GET /metrics} on its own listener ({@code
 * parley.metrics}): not on the client port, which the load balancer exposes to the internet, and
 * not on the management port, which carries cluster bootstrap and topology. On Kubernetes it
 * listens on the pod IP and the NetworkPolicy opens it to the monitoring namespace only. The scrape
 * runs on the blocking dispatcher (JVM metrics read MXBeans).
 */
public final class MetricsServer {

  private static final ContentType TEXT =
      ContentTypes.parse(PrometheusTextFormatWriter.CONTENT_TYPE);

  private MetricsServer() {}

  /**
   * Binds the endpoint; completes with the binding (port 0: a free port, see its local address).
   */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, String interfaceName, int port) {
    NodeMetrics metrics = NodeMetrics.get(system);
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    return Http.get(system)
        .newServerAt(interfaceName, port)
        .bind(
            (org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>)
                request -> handle(request, system, metrics, writer, blocking))
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                system
                    .log()
                    .error(
                        "Metrics endpoint could not bind {}:{}: {}",
                        interfaceName,
                        port,
                        failure.getMessage());
              } else {
                binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
                metrics.endpoint(binding.localAddress());
                system
                    .log()
                    .info(
                        "Metrics on http://{}:{}/metrics",
                        interfaceName,
                        binding.localAddress().getPort());
              }
            });
  }

  private static CompletionStage<HttpResponse> handle(
      HttpRequest request,
      ActorSystem<?> system,
      NodeMetrics metrics,
      PrometheusTextFormatWriter writer,
      Executor blocking) {
    request.discardEntityBytes(system);
    if (!request.getUri().path().equals("/metrics")) {
      return CompletableFuture.completedFuture(
          HttpResponse.create()
              .withStatus(StatusCodes.NOT_FOUND)
              .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "metrics are at /metrics"));
    }
    if (!request.method().equals(HttpMethods.GET)) {
      return CompletableFuture.completedFuture(
          HttpResponse.create().withStatus(StatusCodes.METHOD_NOT_ALLOWED));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
          try {
            writer.write(body, metrics.registry().scrape());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return HttpResponse.create().withEntity(TEXT, body.toByteArray());
        },
        blocking);
  }
}
