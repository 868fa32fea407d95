package io.parley.node.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped configuration is read once into {@link NodeSettings}: every block Main needs is
 * there, typed; a bad value stops the start with an error naming its key; every key in the shipped
 * files says what it does.
 */
class NodeSettingsTest {

  private static final Path RESOURCES = Path.of("src/main/resources");

  private static Config shipped() {
    return ConfigFactory.load("application.conf");
  }

  private static NodeSettings with(String overrides) {
    return NodeSettings.fromConfig(
        ConfigFactory.parseString(overrides).withFallback(shipped()).resolve());
  }

  @Test
  void the_shipped_config_gives_every_block_main_needs() {
    NodeSettings settings = NodeSettings.fromConfig(shipped());
    assertEquals(500, settings.conversation().maxMembers());
    assertEquals(16 * 1024, settings.conversation().maxAttributesSize());
    assertEquals(Duration.ofDays(30), settings.conversation().maxTemporaryTtl());
    assertEquals(Duration.ofDays(7), settings.notifications().ttl());
    assertEquals(100, settings.notifications().pageSize());
    assertEquals(40 * 1024, settings.messages().batchMaxBytes());
    assertEquals(Duration.ofSeconds(5), settings.messages().writeTimeout());
    assertEquals("parley", settings.persistence().keyspace());
    assertEquals(false, settings.persistence().tablesAutocreate());
    assertTrue(settings.persistence().localReplication().contains("SimpleStrategy"));
    assertEquals(8, settings.persistence().schemaCreateAttempts());
    assertEquals(Duration.ofSeconds(2), settings.persistence().schemaCreateRetryDelay());
    assertEquals(List.of(), settings.seedNodes());
    assertEquals(
        List.of("pekko://parley@127.0.0.1:25520"),
        NodeSettings.fromConfig(ConfigFactory.load("local.conf")).seedNodes());
  }

  @Test
  void a_value_of_the_wrong_type_fails_naming_its_key() {
    assertRefusedNaming(
        "parley.conversation.max-members = lots", "parley.conversation", "max-members");
    assertRefusedNaming("parley.messages.write-timeout = soon", "parley.messages", "write-timeout");
  }

  @Test
  void a_value_out_of_range_fails_naming_its_key_and_the_bound() {
    assertRefusedNaming(
        "parley.conversation.max-members = 0", "parley.conversation", "max-members", "at least 1");
    assertRefusedNaming(
        "parley.storage.schema-create-attempts = 0", "parley.storage.schema-create-attempts");
  }

  @Test
  void the_warm_up_is_on_by_default_and_its_app_id_is_reserved() {
    NodeSettings.WarmUp warmUp = NodeSettings.fromConfig(shipped()).warmUp();
    assertEquals(3000, warmUp.logins());
    assertEquals(6000, warmUp.messages());
    assertEquals(Duration.ofSeconds(60), warmUp.timeout());
    assertRefusedNaming("parley.warm-up.concurrency = 0", "parley.warm-up", "concurrency");
    assertRefusedNaming("parley.warm-up.messages = -1", "parley.warm-up", "messages");
    assertRefusedNaming(
        "parley.apps = [{ app-id = parley-warm-up, app-key = k, master-key = m }]",
        "parley-warm-up",
        "reserved");
  }

  /** The start fails on {@code override} with an error that says each of {@code words}. */
  private static void assertRefusedNaming(String override, String... words) {
    String error = assertThrows(IllegalArgumentException.class, () -> with(override)).getMessage();
    System.out.println("refused at start: " + error);
    for (String word : words) {
      assertTrue(error.contains(word), error);
    }
  }

  @Test
  void an_environment_override_reaches_the_typed_settings() {
    NodeSettings settings =
        NodeSettings.fromConfig(
            ConfigFactory.parseString("PARLEY_NOTIFICATION_TTL = 2d, PARLEY_KEYSPACE = other")
                .withFallback(ConfigFactory.parseResources("application.conf"))
                .resolve());
    assertEquals(Duration.ofDays(2), settings.notifications().ttl());
    assertEquals("other", settings.persistence().keyspace());
  }

  /**
   * Each key, or the run of keys it starts, is under a comment (what it does, its unit, when to
   * change it); a key opening a block may share the comment above the block.
   */
  @Test
  void every_key_in_the_shipped_config_carries_a_comment() throws IOException {
    List<String> uncommented = new ArrayList<>();
    try (Stream<Path> files = Files.list(RESOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).sorted().toList()) {
        List<String> lines = Files.readAllLines(file);
        String previous = "blank";
        for (int n = 0; n < lines.size(); n++) {
          String line = lines.get(n).strip();
          if (line.isEmpty()) {
            previous = "blank";
          } else if (line.startsWith("#") || line.startsWith("//")) {
            previous = "comment";
          } else if (line.startsWith("}") || line.startsWith("]")) {
            previous = "close";
          } else if (line.startsWith("include")) {
            previous = "key";
          } else if (line.endsWith("{") || line.endsWith("[")) {
            previous =
                previous.equals("blank") || previous.equals("close") || previous.equals("open")
                    ? "open"
                    : "commented-open";
          } else {
            if (previous.equals("blank") || previous.equals("close") || previous.equals("open")) {
              uncommented.add(file.getFileName() + ":" + (n + 1) + " " + line);
            }
            previous = "key";
          }
        }
      }
    }
    assertEquals(List.of(), uncommented, "keys without a comment");
  }
}
