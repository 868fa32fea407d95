package io.parley.node.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TLS between the nodes and Cassandra ({@code parley.cassandra.tls}, persistence.conf): the
 * driver's {@code DefaultSslEngineFactory} with a truststore (required when on), an optional
 * keystore (mutual TLS) and hostname validation. One setting for every Cassandra session of a node
 * (journal, snapshots, messages, indexes): they all read {@code datastax-java-driver}.
 */
public record CassandraTls(
    boolean enabled,
    String truststorePath,
    String truststorePassword,
    String keystorePath,
    String keystorePassword,
    boolean hostnameValidation) {

  /**
   * Reads and checks the block: with TLS on, the stores must exist and open with their passwords.
   */
  public static CassandraTls fromConfig(Config tls) {
    CassandraTls parsed =
        new CassandraTls(
            tls.getBoolean("enabled"),
            tls.getString("truststore-path"),
            tls.getString("truststore-password"),
            tls.getString("keystore-path"),
            tls.getString("keystore-password"),
            tls.getBoolean("hostname-validation"));
    if (parsed.enabled()) {
      if (parsed.truststorePath().isEmpty()) {
        throw new IllegalArgumentException(
            "Cassandra TLS is on (PARLEY_CASSANDRA_TLS) but no truststore is set: set "
                + "PARLEY_CASSANDRA_TRUSTSTORE_PATH and PARLEY_CASSANDRA_TRUSTSTORE_PASSWORD "
                + "(parley.cassandra.tls.truststore-path/-password) to the CA that signed Cassandra's certificate");
      }
      check(
          "truststore",
          "PARLEY_CASSANDRA_TRUSTSTORE",
          parsed.truststorePath(),
          parsed.truststorePassword());
      if (!parsed.keystorePath().isEmpty()) {
        check(
            "keystore",
            "PARLEY_CASSANDRA_KEYSTORE",
            parsed.keystorePath(),
            parsed.keystorePassword());
      }
    }
    return parsed;
  }

  private static void check(String what, String variable, String path, String password) {
    if (!Files.isReadable(Path.of(path))) {
      throw new IllegalArgumentException(
          "Cassandra TLS "
              + what
              + " "
              + path
              + " ("
              + variable
              + "_PATH) is missing or unreadable");
    }
    try {
      KeyStore.getInstance(Path.of(path).toFile(), password.toCharArray());
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "Cassandra TLS "
              + what
              + " "
              + path
              + " cannot be opened (wrong "
              + variable
              + "_PASSWORD or not a PKCS12/JKS file): "
              + e.getMessage());
    }
  }

  /**
   * {@code driver} (a {@code datastax-java-driver} block) with the driver's TLS turned on as this
   * says; unchanged when TLS is off.
   */
  public Config applyTo(Config driver) {
    if (!enabled) {
      return driver;
    }
    Map<String, Object> ssl = new LinkedHashMap<>();
    ssl.put("class", "DefaultSslEngineFactory");
    ssl.put("truststore-path", truststorePath);
    ssl.put("truststore-password", truststorePassword);
    if (!keystorePath.isEmpty()) {
      ssl.put("keystore-path", keystorePath);
      ssl.put("keystore-password", keystorePassword);
    }
    ssl.put("hostname-validation", hostnameValidation);
    return ConfigFactory.parseMap(Map.of("advanced.ssl-engine-factory", ssl)).withFallback(driver);
  }

  @Override
  public String toString() {
    return "CassandraTls[enabled="
        + enabled
        + ", truststore="
        + truststorePath
        + ", keystore="
        + keystorePath
        + ", hostnameValidation="
        + hostnameValidation
        + "]";
  }
}
