package io.parley.node.conversation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Conversation ids: 24 lowercase hex characters (4 bytes of creation seconds, then 8 random bytes,
 * like a MongoDB ObjectId, so ids sort by creation time); temporary ones start with {@code _tmp:}.
 * A unique conversation's id is derived from its member set and the app's secret (an HMAC), so two
 * concurrent starts of the same unique set reach the same entity, which creates it once: race-free
 * without a lock or a lightweight transaction. A unique temporary set's first conversation is found
 * the same way, and knows the one that replaced it after expiry.
 */
public final class ConversationIds {

  public static final String TEMPORARY_PREFIX = "_tmp:";

  private static final SecureRandom RANDOM = new SecureRandom();

  private ConversationIds() {}

  /** The sharded entity id of conversation {@code cid} of app {@code appId}: {@code appId:cid}. */
  public static String entityId(String appId, String cid) {
    return appId + ":" + cid;
  }

  public static String newId(Instant now) {
    byte[] id = new byte[12];
    int seconds = (int) now.getEpochSecond();
    id[0] = (byte) (seconds >>> 24);
    id[1] = (byte) (seconds >>> 16);
    id[2] = (byte) (seconds >>> 8);
    id[3] = (byte) seconds;
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    System.arraycopy(random, 0, id, 4, 8);
    return HexFormat.of().formatHex(id);
  }

  public static String newTemporaryId(Instant now) {
    return TEMPORARY_PREFIX + newId(now);
  }

  /**
   * The {@code uniqueId} of a member set: 32 hex characters of an HMAC-SHA256 keyed by the app's
   * secret, independent of order and duplicates. Deterministic, so concurrent starts of one set
   * meet in one entity; unguessable without the key, so knowing two clientIds does not reveal their
   * conversation.
   */
  public static String uniqueId(byte[] key, List<String> members) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] tag =
          mac.doFinal(
              String.join("\u0000", new TreeSet<>(members)).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(tag).substring(0, 32);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** The conversation id of the unique conversation {@code uniqueId}. */
  public static String uniqueConversationId(String uniqueId) {
    return HexFormat.of().formatHex(digest("SHA-256", "unique:" + uniqueId)).substring(0, 24);
  }

  /**
   * The id of the first temporary conversation of the unique member set {@code uniqueId}; once it
   * expires it names the one that replaced it (a temporary conversation's id is never reused).
   */
  public static String uniqueTemporaryConversationId(String uniqueId) {
    return TEMPORARY_PREFIX
        + HexFormat.of()
            .formatHex(digest("SHA-256", "unique-temporary:" + uniqueId))
            .substring(0, 24);
  }

  /**
   * 24 lowercase hex characters, optionally after {@link #TEMPORARY_PREFIX} (no regex: runs on
   * every ack).
   */
  public static boolean isValid(String cid) {
    if (cid == null) {
      return false;
    }
    int from = cid.startsWith(TEMPORARY_PREFIX) ? TEMPORARY_PREFIX.length() : 0;
    if (cid.length() - from != 24) {
      return false;
    }
    for (int n = from; n < cid.length(); n++) {
      char c = cid.charAt(n);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static byte[] digest(String algorithm, String text) {
    try {
      return MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is not available", e);
    }
  }
}
