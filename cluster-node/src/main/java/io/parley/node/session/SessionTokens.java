package io.parley.node.session;

import io.parley.node.settings.NodeSettings;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * IM session tokens ({@code st}, docs/protocol.md §14.7): signed, self-contained records of a
 * login, so any node of the cluster can accept a re-login after a reconnect, and tokens survive
 * restarts. The issue time lets a revocation ({@code security.TokenRevocation}) void every token
 * issued to a client before it. The record keeps the login's {@code tag} and {@code deviceId},
 * because the JS SDK does not resend the tag when it re-logs in with a token.
 *
 * <p>Format: {@code base64url(appId \n clientId \n tag \n deviceId \n issuedAtMillis \n
 * expiresAtMillis) "." base64url(hmac)}, HMAC-SHA256 keyed by the app's master key.
 */
public final class SessionTokens {

  /** What a valid token says about its login. */
  public record Grant(
      String appId,
      String clientId,
      String tag,
      String deviceId,
      Instant issuedAt,
      Instant expiresAt) {}

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final Duration ttl;

  public SessionTokens(Duration ttl) {
    this.ttl = ttl;
  }

  public Duration ttl() {
    return ttl;
  }

  public String issue(
      NodeSettings.App app, String clientId, String tag, String deviceId, Instant now) {
    String payload =
        String.join(
            "\n",
            app.appId(),
            clientId,
            nullToEmpty(tag),
            nullToEmpty(deviceId),
            Long.toString(now.toEpochMilli()),
            Long.toString(now.plus(ttl).toEpochMilli()));
    byte[] body = payload.getBytes(StandardCharsets.UTF_8);
    return ENCODER.encodeToString(body) + "." + ENCODER.encodeToString(mac(app, body));
  }

  /**
   * The grant of a token that is well-formed, signed by this app, for this client and not expired.
   */
  public Optional<Grant> verify(NodeSettings.App app, String clientId, String token, Instant now) {
    if (token == null) {
      return Optional.empty();
    }
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    try {
      byte[] body = DECODER.decode(token.substring(0, dot));
      byte[] signature = DECODER.decode(token.substring(dot + 1));
      if (!MessageDigest.isEqual(signature, mac(app, body))) {
        return Optional.empty();
      }
      String[] fields = new String(body, StandardCharsets.UTF_8).split("\n", -1);
      if (fields.length != 6 || !fields[0].equals(app.appId()) || !fields[1].equals(clientId)) {
        return Optional.empty();
      }
      Instant issuedAt = Instant.ofEpochMilli(Long.parseLong(fields[4]));
      Instant expiresAt = Instant.ofEpochMilli(Long.parseLong(fields[5]));
      if (!now.isBefore(expiresAt)) {
        return Optional.empty();
      }
      return Optional.of(
          new Grant(fields[0], fields[1], fields[2], fields[3], issuedAt, expiresAt));
    } catch (IllegalArgumentException malformed) {
      return Optional.empty();
    }
  }

  /**
   * One initialized MAC per thread and app: looking up the provider and keying it cost more than
   * the MAC.
   */
  private static final ThreadLocal<java.util.Map<String, Mac>> MACS =
      ThreadLocal.withInitial(java.util.HashMap::new);

  private static byte[] mac(NodeSettings.App app, byte[] body) {
    Mac mac =
        MACS.get()
            .computeIfAbsent(
                app.masterKey(),
                key -> {
                  try {
                    Mac keyed = Mac.getInstance("HmacSHA256");
                    keyed.init(
                        new SecretKeySpec(
                            ("parley-st:" + key).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                    return keyed;
                  } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("HmacSHA256 is not available", e);
                  }
                });
    return mac.doFinal(body);
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }
}
