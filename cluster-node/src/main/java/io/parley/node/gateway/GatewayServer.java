package io.parley.node.gateway;

import io.parley.node.settings.NodeSettings;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Binds the gateway's single listener (plain, or TLS from a PKCS12 keystore) and unbinds on
 * shutdown.
 */
public final class GatewayServer {

  private GatewayServer() {}

  /** Connections the listener keeps beyond the WebSocket cap, for the router and probes. */
  static final int RESERVED_CONNECTIONS = 512;

  /**
   * Binds the listener with the edge of {@code parley.gateway.edge}; with TLS configured, always
   * Pekko HTTP's (the lean edge speaks plain TCP only).
   */
  public static CompletionStage<GatewayBinding> start(
      ActorSystem<?> system, NodeSettings settings, GatewayRoutes routes) {
    NodeSettings.Gateway gateway = settings.gateway();
    ServerSettings server = ServerSettings.create(system.classicSystem());
    int webSocketCap = settings.limits().connectionsPerNode();
    server =
        server.withMaxConnections(
            Math.max(server.getMaxConnections(), webSocketCap + RESERVED_CONNECTIONS));
    var handler = routes.handler();
    boolean lean = gateway.edge().kind() == NodeSettings.Edge.Kind.LEAN && gateway.tls().isEmpty();
    String scheme =
        gateway.tls().isPresent() ? "https/wss" : lean ? "http/ws, lean edge" : "http/ws";
    CompletionStage<GatewayBinding> bound =
        lean
            ? LeanEdge.bind(system, settings, server, routes, handler)
            : pekkoHttp(system, gateway, server, handler);
    return bound.whenComplete(
        (binding, failure) -> {
          if (failure != null) {
            system
                .log()
                .error(
                    "Gateway could not bind {}:{}: {}",
                    gateway.interfaceName(),
                    gateway.port(),
                    failure.getMessage());
            system.terminate();
          } else {
            system.log().info("Gateway listening on {} ({})", binding.localAddress(), scheme);
          }
        });
  }

  private static CompletionStage<GatewayBinding> pekkoHttp(
      ActorSystem<?> system,
      NodeSettings.Gateway settings,
      ServerSettings server,
      org.apache.pekko.japi.function.Function<
              org.apache.pekko.http.javadsl.model.HttpRequest,
              CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>>
          handler) {
    ServerBuilder builder =
        Http.get(system)
            .newServerAt(settings.interfaceName(), settings.port())
            .withSettings(server);
    if (settings.tls().isPresent()) {
      builder =
          builder.enableHttps(ConnectionContext.httpsServer(sslContext(settings.tls().get())));
    }
    return builder
        .bind(handler)
        .thenApply(
            binding -> {
              binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
              return new GatewayBinding(binding.localAddress(), binding::unbind);
            });
  }

  private static SSLContext sslContext(NodeSettings.Tls tls) {
    try (InputStream in = Files.newInputStream(Path.of(tls.keystorePath()))) {
      char[] password = tls.keystorePassword().toCharArray();
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(in, password);
      KeyManagerFactory keyManagers =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keyStore, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), null, null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException(
          "Cannot load TLS keystore " + tls.keystorePath() + ": " + e.getMessage(), e);
    }
  }
}
