package io.parley.node.gateway;

import io.parley.node.settings.NodeSettings;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * The lean edge's listener: Pekko's plain {@link Tcp} with Pekko HTTP's backlog, idle timeout and
 * connection cap, one {@link LeanConnection} per accepted socket.
 */
final class LeanEdge {

  private LeanEdge() {}

  /** Pekko's placebo TLS layer: plain bytes as one session's (what Pekko HTTP's own bind uses). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static BidiFlow<
          TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed>
      plainTcp() {
    return (BidiFlow) TLSPlacebo.getInstance();
  }

  static CompletionStage<GatewayBinding> bind(
      ActorSystem<?> system,
      NodeSettings settings,
      ServerSettings server,
      GatewayRoutes routes,
      org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    Http http = Http.get(system);
    scala.concurrent.duration.Duration idle = server.getTimeouts().idleTimeout();
    Flow<HttpRequest, HttpResponse, NotUsed> handlerFlow =
        Flow.<HttpRequest>create().mapAsync(1, handler);
    LeanConnection.Context context =
        new LeanConnection.Context(
            routes,
            remote -> {
              Flow<ByteString, ByteString, NotUsed> served =
                  handlerFlow.join(
                      http.serverLayer(server, Optional.of(remote), system.classicSystem().log())
                          .atop(plainTcp()));
              // pekko.http.server.idle-timeout, on HTTP connections only.
              return idle.isFinite()
                  ? served.idleTimeout(java.time.Duration.ofNanos(idle.toNanos()))
                  : served;
            },
            settings.gateway().edge().maxRequestHead(),
            settings.gateway().edge().requestHeadTimeout(),
            settings.session().maxFrameSize(),
            settings.session().frameAssemblyTimeout());
    int cap = server.getMaxConnections();
    AtomicInteger open = new AtomicInteger();
    Materializer materializer = Materializer.matFromSystem(system);
    NodeSettings.Gateway gateway = settings.gateway();
    return Tcp.get(system)
        .bind(
            gateway.interfaceName(),
            gateway.port(),
            server.getBacklog(),
            List.of(),
            false,
            // No idle-timeout stage and timer per socket: a WebSocket is watched by its session
            // (login and read-idle timeouts), a request head by its deadline, HTTP by the one
            // above.
            scala.concurrent.duration.Duration.Inf())
        .to(
            Sink.foreach(
                connection -> {
                  if (open.incrementAndGet() > cap) {
                    open.decrementAndGet();
                    system
                        .log()
                        .warn(
                            "Refusing a connection from {}: {} are open",
                            connection.remoteAddress(),
                            cap);
                    connection.handleWith(
                        Flow.fromSinkAndSource(Sink.cancelled(), Source.<ByteString>empty()),
                        materializer);
                    return;
                  }
                  InetSocketAddress remote = connection.remoteAddress();
                  connection.handleWith(
                      Flow.fromGraph(new LeanConnection(context, remote, open::decrementAndGet)),
                      materializer);
                }))
        .run(materializer)
        .thenApply(
            binding -> {
              CoordinatedShutdown.get(system)
                  .addTask(
                      CoordinatedShutdown.PhaseServiceUnbind(),
                      "parley-gateway-unbind",
                      () -> binding.unbind().thenApply(unit -> Done.getInstance()));
              return new GatewayBinding(binding.localAddress(), binding::unbind);
            });
  }
}
