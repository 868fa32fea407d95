package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.settings.NodeSettings;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionTokensTest {

  private final NodeSettings.App app = new NodeSettings.App("app", "key", "master");
  private final NodeSettings.App otherApp = new NodeSettings.App("app", "key", "another-master");
  private final SessionTokens tokens = new SessionTokens(Duration.ofHours(1));
  private final Instant now = Instant.parse("2026-11-26T00:00:00Z");

  @Test
  void a_token_is_valid_for_its_client_until_it_expires_and_remembers_the_tag() {
    String token = tokens.issue(app, "Tom", "mobile", "device-1", now);
    var grant = tokens.verify(app, "Tom", token, now.plusSeconds(3599)).orElseThrow();
    assertEquals("mobile", grant.tag());
    assertEquals("device-1", grant.deviceId());
    assertTrue(tokens.verify(app, "Tom", token, now.plusSeconds(3600)).isEmpty(), "expired");
  }

  @Test
  void a_token_is_refused_for_another_client_another_key_or_when_tampered_with() {
    String token = tokens.issue(app, "Tom", null, null, now);
    assertTrue(tokens.verify(app, "Jerry", token, now).isEmpty());
    assertTrue(tokens.verify(otherApp, "Tom", token, now).isEmpty());
    assertTrue(
        tokens.verify(app, "Tom", token.substring(0, token.length() - 2) + "AA", now).isEmpty());
    assertTrue(tokens.verify(app, "Tom", "garbage", now).isEmpty());
    assertTrue(tokens.verify(app, "Tom", "", now).isEmpty());
  }
}
