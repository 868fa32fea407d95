package io.parley.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.node.settings.AppSecurity;
import io.parley.node.settings.NodeSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped configurations resolve, and the Kubernetes manifest only sets variables the config
 * reads.
 */
class DeploymentConfigTest {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  private static String resources() throws Exception {
    StringBuilder all = new StringBuilder();
    for (String name :
        List.of(
            "application.conf",
            "cluster.conf",
            "persistence.conf",
            "gateway.conf",
            "kubernetes.conf")) {
      all.append(
          new String(DeploymentConfigTest.class.getResourceAsStream("/" + name).readAllBytes()));
    }
    return all.toString();
  }

  @Test
  void every_environment_variable_of_the_deployment_is_read_by_the_config() throws Exception {
    String manifest = Files.readString(ROOT.resolve("deploy/kubernetes/deployment.yaml"));
    Matcher names = Pattern.compile("- name: (PARLEY_[A-Z_]+|POD_IP)").matcher(manifest);
    String config = resources();
    int found = 0;
    while (names.find()) {
      found++;
      assertTrue(
          config.contains("${?" + names.group(1) + "}"),
          names.group(1) + " is set in deployment.yaml but never read");
    }
    assertTrue(found >= 8, "the manifest sets the app, Cassandra and URL variables");
  }

  @Test
  void kubernetes_config_resolves_with_the_manifest_values() {
    Map<String, String> env = manifestEnv();
    env.put("PARLEY_CASSANDRA_CONTACT_POINT", "cassandra:9042");
    env.put("PARLEY_CASSANDRA_USERNAME", "parley");
    env.put("PARLEY_CASSANDRA_PASSWORD", "secret");
    Config config = kubernetes(env);
    NodeSettings settings = NodeSettings.fromConfig(config);
    assertEquals(
        EnumSet.allOf(AppSecurity.Action.class),
        settings.app("app").orElseThrow().security().signed());
    assertTrue(settings.clusterBootstrap());
    assertEquals("0.0.0.0", settings.gateway().interfaceName());
    assertEquals("wss://chat.example.com/", settings.gateway().advertisedWssUrl());
    assertTrue(settings.app("app").isPresent());
    assertEquals("10.0.0.7", config.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(
        List.of("cassandra:9042"),
        config.getStringList("datastax-java-driver.basic.contact-points"));
    assertFalse(
        config.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"),
        "production never creates tables");
    assertEquals(
        "parley", config.getString("datastax-java-driver.advanced.auth-provider.username"));
    assertEquals(
        "secret", config.getString("datastax-java-driver.advanced.auth-provider.password"));
    assertEquals(
        CassandraAuthProvider.class.getName(),
        config.getString("datastax-java-driver.advanced.auth-provider.class"));
    assertEquals(
        "10.0.0.7",
        config.getString("pekko.management.http.bind-hostname"),
        "management listens on the pod IP only");
  }

  @Test
  void cassandra_tls_is_switched_by_the_environment_for_every_session() {
    io.parley.node.testing.TestTls tls = io.parley.node.testing.TestTls.create();
    Map<String, String> env = manifestEnv();
    Config plain = kubernetes(env);
    assertFalse(NodeSettings.fromConfig(plain).cassandraTls().enabled(), "off by default");

    env.put("PARLEY_CASSANDRA_TLS", "on");
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class, () -> NodeSettings.fromConfig(kubernetes(env)));
    assertTrue(
        missing.getMessage().contains("PARLEY_CASSANDRA_TRUSTSTORE_PATH"), missing::getMessage);

    env.put("PARLEY_CASSANDRA_TRUSTSTORE_PATH", tls.truststore().toString());
    env.put("PARLEY_CASSANDRA_TRUSTSTORE_PASSWORD", "not-the-password");
    IllegalArgumentException wrong =
        assertThrows(
            IllegalArgumentException.class, () -> NodeSettings.fromConfig(kubernetes(env)));
    assertTrue(
        wrong.getMessage().contains("PARLEY_CASSANDRA_TRUSTSTORE_PASSWORD"), wrong::getMessage);

    env.put("PARLEY_CASSANDRA_TRUSTSTORE_PASSWORD", tls.password());
    Config config = kubernetes(env);
    Config driver =
        NodeSettings.fromConfig(config)
            .cassandraTls()
            .applyTo(config.getConfig("datastax-java-driver"));
    assertEquals("DefaultSslEngineFactory", driver.getString("advanced.ssl-engine-factory.class"));
    assertEquals(
        tls.truststore().toString(),
        driver.getString("advanced.ssl-engine-factory.truststore-path"));
    assertTrue(driver.getBoolean("advanced.ssl-engine-factory.hostname-validation"));
    assertFalse(driver.hasPath("advanced.ssl-engine-factory.keystore-path"), "no mutual TLS");
    for (String plugin : List.of("pekko.connectors.cassandra", "pekko.persistence.cassandra")) {
      assertEquals(
          CassandraSessionProvider.class.getName(),
          config.getString(plugin + ".session-provider"),
          plugin + " sessions get the TLS");
    }
  }

  /** The variables deployment.yaml sets for every pod (the app's, the pod's address). */
  private static Map<String, String> manifestEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("POD_IP", "10.0.0.7");
    env.put("PARLEY_APP_ID", "app");
    env.put("PARLEY_APP_KEY", "key");
    env.put("PARLEY_MASTER_KEY", "a-master-key-of-at-least-32-bytes-0123");
    env.put("PARLEY_ADVERTISED_WSS_URL", "wss://chat.example.com/");
    env.put("PARLEY_SIGNATURES", "all");
    return env;
  }

  /**
   * kubernetes.conf as deployed: root-level keys stand in for the environment (${?VAR} looks there
   * first).
   */
  private static Config kubernetes(Map<String, String> env) {
    return ConfigFactory.parseMap(env)
        .withFallback(ConfigFactory.parseResourcesAnySyntax("kubernetes.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /**
   * README "Secure defaults": the Kubernetes configuration refuses to start with open logins or the
   * dev key.
   */
  @Test
  void
      kubernetes_config_refuses_to_start_with_login_signatures_off_or_the_development_master_key() {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "POD_IP",
                "10.0.0.7",
                "PARLEY_MASTER_KEY",
                "a-real-secret-of-at-least-32-bytes-0123456789"));
    IllegalArgumentException open =
        assertThrows(
            IllegalArgumentException.class, () -> NodeSettings.fromConfig(kubernetes(env)));
    assertTrue(
        open.getMessage().contains("login signatures off")
            && open.getMessage().contains("PARLEY_SIGNATURES"),
        open.getMessage());
    env.put("PARLEY_SIGNATURES", "start,invite,kick");
    assertThrows(
        IllegalArgumentException.class,
        () -> NodeSettings.fromConfig(kubernetes(env)),
        "conversation signatures without login signatures are still open logins");

    env.put("PARLEY_SIGNATURES", "login");
    assertTrue(
        NodeSettings.fromConfig(kubernetes(env))
            .app("parley-dev")
            .orElseThrow()
            .security()
            .requires(AppSecurity.Action.LOGIN));
    env.remove("PARLEY_SIGNATURES");
    env.put("PARLEY_INSECURE_OPEN_LOGIN", "on");
    assertFalse(
        NodeSettings.fromConfig(kubernetes(env))
            .app("parley-dev")
            .orElseThrow()
            .security()
            .requires(AppSecurity.Action.LOGIN),
        "the explicit opt-out starts with open logins");

    env.put("PARLEY_SIGNATURES", "all");
    env.remove("PARLEY_MASTER_KEY");
    IllegalArgumentException devKey =
        assertThrows(
            IllegalArgumentException.class, () -> NodeSettings.fromConfig(kubernetes(env)));
    assertTrue(devKey.getMessage().contains("PARLEY_MASTER_KEY"), devKey.getMessage());
  }

  @Test
  void local_config_keeps_signatures_off_and_starts_with_the_development_key() {
    NodeSettings settings = NodeSettings.fromConfig(ConfigFactory.load("local.conf"));
    NodeSettings.App app = settings.app("parley-dev").orElseThrow();
    assertEquals("parley-dev-master", app.masterKey());
    assertEquals(Set.of(), app.security().signed());
    assertEquals(java.time.Duration.ofHours(6), settings.security().signatureValidity());
  }

  @Test
  void a_kubernetes_node_refuses_a_published_or_short_master_key() {
    for (String key : List.of("parley-dev-master", "your-master-key", "short-but-not-public")) {
      Config config =
          ConfigFactory.parseMap(Map.of("POD_IP", "10.0.0.7", "PARLEY_MASTER_KEY", key))
              .withFallback(ConfigFactory.parseResourcesAnySyntax("kubernetes.conf"))
              .withFallback(ConfigFactory.defaultReference())
              .resolve();
      IllegalArgumentException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> NodeSettings.fromConfig(config), key);
      assertTrue(refused.getMessage().contains("PARLEY_MASTER_KEY"), refused.getMessage());
    }
    // Local runs keep the development key.
    assertEquals(
        "parley-dev-master",
        NodeSettings.fromConfig(ConfigFactory.load("local.conf"))
            .app("parley-dev")
            .orElseThrow()
            .masterKey());
  }

  @Test
  void without_cassandra_credentials_the_login_is_empty() {
    Config config = ConfigFactory.load("local.conf");
    assertEquals("", config.getString("datastax-java-driver.advanced.auth-provider.username"));
    assertEquals("", config.getString("datastax-java-driver.advanced.auth-provider.password"));
  }

  @Test
  void an_app_id_that_would_break_entity_ids_is_refused_at_start() {
    Config bad =
        ConfigFactory.parseString("parley.apps = [{app-id = \"a:b\", app-key = k, master-key = m}]")
            .withFallback(ConfigFactory.load("local.conf"));
    IllegalArgumentException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> NodeSettings.fromConfig(bad));
    assertTrue(refused.getMessage().contains("a:b"));
  }

  @Test
  void local_config_joins_the_first_node_and_creates_the_schema() {
    Config config = ConfigFactory.load("local.conf");
    assertEquals(
        List.of("pekko://parley@127.0.0.1:25520"),
        config.getStringList("pekko.cluster.seed-nodes"));
    assertTrue(config.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"));
    NodeSettings settings = NodeSettings.fromConfig(config);
    assertEquals(8080, settings.gateway().port());
    assertTrue(settings.app("parley-dev").isPresent());
  }
}
