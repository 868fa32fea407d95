package io.parley.node.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Per-app hook settings: defaults from {@code parley.hook-defaults}, and clear errors for what
 * cannot work.
 */
class HookSettingsTest {

  private static NodeSettings settings(String apps) {
    return NodeSettings.fromConfig(
        ConfigFactory.parseString("parley.apps = [" + apps + "]")
            .withFallback(ConfigFactory.load())
            .resolve());
  }

  @Test
  void an_app_without_hooks_calls_none_and_one_with_an_engine_gets_the_defaults() {
    NodeSettings settings =
        settings(
            "{app-id = a, app-key = k, master-key = m},"
                + "{app-id = b, app-key = k, master-key = m, hooks { engine-url = \"http://127.0.0.1:3000/\", hook-key = h }}");
    HookSettings none = settings.app("a").orElseThrow().hooks();
    assertFalse(none.on("_messageReceived"));
    HookSettings hooks = settings.app("b").orElseThrow().hooks();
    assertEquals("http://127.0.0.1:3000", hooks.engineUrl());
    assertTrue(hooks.on("_messageReceived"));
    assertTrue(hooks.on("_clientOffline"));
    assertEquals(HookSettings.ALL.size(), hooks.enabled().size());
    assertEquals(Duration.ofSeconds(5), hooks.timeout());
    assertEquals(HookSettings.FailurePolicy.IGNORE, hooks.onFailure());
  }

  @Test
  void only_the_enabled_hooks_are_called_and_the_policy_is_per_app() {
    HookSettings hooks =
        settings(
                "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\","
                    + " hook-key = h, enabled = [_messageReceived], on-failure = reject, timeout = 1500ms }}")
            .app("a")
            .orElseThrow()
            .hooks();
    assertTrue(hooks.on("_messageReceived"));
    assertFalse(hooks.on("_conversationStart"));
    assertEquals(HookSettings.FailurePolicy.REJECT, hooks.onFailure());
    assertEquals(Duration.ofMillis(1500), hooks.timeout());
  }

  @Test
  void rest_messages_call_the_hooks_unless_the_app_turns_them_off() {
    NodeSettings settings =
        settings(
            "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\", hook-key = h }},"
                + "{app-id = b, app-key = k, master-key = m, hooks { engine-url = \"http://e\", hook-key = h,"
                + " rest-messages = off }}");
    HookSettings on = settings.app("a").orElseThrow().hooks();
    assertTrue(on.onForApp("_messageReceived"));
    assertTrue(on.on("_rtmClientSign"), "called by default: an app that lacks it must say so");
    HookSettings off = settings.app("b").orElseThrow().hooks();
    assertTrue(off.on("_messageReceived"), "clients' messages still call it");
    assertFalse(off.onForApp("_messageReceived"));
    assertFalse(off.onForApp("_messageUpdate"));
  }

  @Test
  void the_user_store_is_per_app_and_refused_when_it_cannot_work() {
    NodeSettings settings =
        settings(
            "{app-id = a, app-key = k, master-key = m},"
                + "{app-id = b, app-key = k, master-key = m, user-store { url = \"http://store:3000/\" }}");
    assertFalse(settings.app("a").orElseThrow().userStore().configured());
    UserStoreSettings store = settings.app("b").orElseThrow().userStore();
    assertEquals("http://store:3000", store.url());
    assertEquals(Duration.ofSeconds(5), store.timeout());
    assertEquals(16, store.maxConnections());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, user-store { url = \"store:3000\" }}"))
            .getMessage()
            .contains("user-store.url"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, user-store { url = \"http://s\","
                            + " max-open-requests = 10 }}"))
            .getMessage()
            .contains("power of 2"));
  }

  @Test
  void what_cannot_work_is_refused_at_start_with_the_reason() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\", hook-key = h, enabled = [_typo] }}"))
            .getMessage()
            .contains("_typo"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\" }}"))
            .getMessage()
            .contains("hook-key"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"ftp://e\", hook-key = h }}"))
            .getMessage()
            .contains("http"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    settings(
                        "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\", hook-key = h, timeout = 30s }}"))
            .getMessage()
            .contains("ask-timeout"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            settings(
                "{app-id = a, app-key = k, master-key = m, hooks { engine-url = \"http://e\", hook-key = h, on-failure = maybe }}"));
  }
}
