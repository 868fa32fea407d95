package io.parley.node.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signed messages of docs/protocol.md §14 and their HMAC: {@code hex(HMAC-SHA1(masterKey,
 * message))}, the message a {@code :}-join of fields with the timestamp and nonce exactly as sent.
 * Pure functions; the {@link SignatureGuard} applies them.
 */
public final class Signatures {

  /**
   * Timestamps below this are seconds (the official signing demo), at or above it milliseconds
   * (§14.1).
   */
  private static final long SECONDS_BELOW = 100_000_000_000L;

  private Signatures() {}

  /** §14.2: {@code appId:clientId::timestamp:nonce}. */
  public static String login(String appId, String clientId, long timestamp, String nonce) {
    return String.join(":", appId, clientId, "", Long.toString(timestamp), nonce);
  }

  /**
   * §14.3: {@code appId:clientId:sortedMemberIds:timestamp:nonce}, members as sent (the .NET SDK)
   * and, if the initiator is not among them, also with it (the JS and Java SDKs sign the list
   * including themselves).
   */
  public static List<String> start(
      String appId, String clientId, List<String> members, long timestamp, String nonce) {
    List<String> messages = new ArrayList<>(2);
    messages.add(
        String.join(":", appId, clientId, sorted(members), Long.toString(timestamp), nonce));
    if (!members.contains(clientId)) {
      List<String> withSelf = new ArrayList<>(members);
      withSelf.add(clientId);
      messages.add(
          String.join(":", appId, clientId, sorted(withSelf), Long.toString(timestamp), nonce));
    }
    return messages;
  }

  /** §14.4: {@code appId:clientId:convId:sortedMemberIds:timestamp:nonce:action}. */
  public static String group(
      String appId,
      String clientId,
      String cid,
      List<String> members,
      long timestamp,
      String nonce,
      String action) {
    return String.join(
        ":", appId, clientId, cid, sorted(members), Long.toString(timestamp), nonce, action);
  }

  /**
   * Member ids sorted in plain code-unit order (JS {@code Array.prototype.sort}) and joined with
   * {@code :}.
   */
  static String sorted(List<String> members) {
    List<String> ids = new ArrayList<>(members);
    ids.sort(null);
    return String.join(":", ids);
  }

  /** The lowercase hex HMAC-SHA1 of {@code message} keyed by {@code masterKey}. */
  public static String sign(String masterKey, String message) {
    byte[] mac = mac(masterKey).doFinal(message.getBytes(StandardCharsets.UTF_8));
    StringBuilder hex = new StringBuilder(mac.length * 2);
    for (byte b : mac) {
      hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return hex.toString();
  }

  /**
   * Whether {@code signature} (hex, any case) signs one of {@code messages}; compared in constant
   * time.
   */
  public static boolean matches(String masterKey, String signature, List<String> messages) {
    byte[] given = signature.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    boolean found = false;
    for (String message : messages) {
      found |=
          MessageDigest.isEqual(
              given, sign(masterKey, message).getBytes(StandardCharsets.US_ASCII));
    }
    return found;
  }

  /**
   * The instant a signature's timestamp names: seconds below 10^11, milliseconds from there
   * (§14.1).
   */
  public static Instant instant(long timestamp) {
    return timestamp < SECONDS_BELOW
        ? Instant.ofEpochSecond(timestamp)
        : Instant.ofEpochMilli(timestamp);
  }

  /** Whether the timestamp lies within {@code validity} of {@code now}, either way. */
  public static boolean fresh(long timestamp, Instant now, Duration validity) {
    if (timestamp <= 0) {
      return false;
    }
    return Duration.between(instant(timestamp), now).abs().compareTo(validity) <= 0;
  }

  /**
   * One keyed MAC per thread and key: looking up the provider and keying it cost more than the MAC.
   */
  private static final ThreadLocal<Map<String, Mac>> MACS = ThreadLocal.withInitial(HashMap::new);

  private static Mac mac(String masterKey) {
    return MACS.get()
        .computeIfAbsent(
            masterKey,
            key -> {
              try {
                Mac keyed = Mac.getInstance("HmacSHA1");
                keyed.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
                return keyed;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA1 is not available", e);
              }
            });
  }
}
