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
import org.apache.pekko.http.javadsl.ServerBinding;
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

  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system,
      NodeSettings.Gateway settings,
      int webSocketCap,
      org.apache.pekko.japi.function.Function<
              org.apache.pekko.http.javadsl.model.HttpRequest,
              CompletionStage<org.apache.pekko.http.javadsl.model.HttpResponse>>
          handler) {
    ServerSettings server = ServerSettings.create(system.classicSystem());
    int listenerCap = Math.max(server.getMaxConnections(), webSocketCap + RESERVED_CONNECTIONS);
    ServerBuilder builder =
        Http.get(system)
            .newServerAt(settings.interfaceName(), settings.port())
            .withSettings(server.withMaxConnections(listenerCap));
    if (settings.tls().isPresent()) {
      builder =
          builder.enableHttps(ConnectionContext.httpsServer(sslContext(settings.tls().get())));
    }
    String scheme = settings.tls().isPresent() ? "https/wss" : "http/ws";
    return builder
        .bind(handler)
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                system
                    .log()
                    .error(
                        "Gateway could not bind {}:{}: {}",
                        settings.interfaceName(),
                        settings.port(),
                        failure.getMessage());
                system.terminate();
              } else {
                binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
                system.log().info("Gateway listening on {} ({})", binding.localAddress(), scheme);
              }
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
