package io.parley.node.conversation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * Conversation ids: 24 lowercase hex characters (4 bytes of creation seconds, then 8 random bytes, like a
 * MongoDB ObjectId, so ids sort by creation time); temporary ones start with {@code _tmp:}. A unique
 * conversation's id is derived from its member set, so two concurrent starts of the same unique set reach
 * the same entity, which creates it once: race-free without a lock or a lightweight transaction. A unique
 * temporary set's first conversation is found the same way, and knows the one that replaced it after expiry.
 */
public final class ConversationIds {

  public static final String TEMPORARY_PREFIX = "_tmp:";

  private static final SecureRandom RANDOM = new SecureRandom();

  private ConversationIds() {}

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

  /** The {@code uniqueId} of a member set: 32 hex characters, independent of order and duplicates. */
  public static String uniqueId(List<String> members) {
    return HexFormat.of().formatHex(digest("MD5", String.join("\u0000", new TreeSet<>(members)))).substring(0, 32);
  }

  /** The conversation id of the unique conversation {@code uniqueId}. */
  public static String uniqueConversationId(String uniqueId) {
    return HexFormat.of().formatHex(digest("SHA-256", "unique:" + uniqueId)).substring(0, 24);
  }

  /**
   * The id of the first temporary conversation of the unique member set {@code uniqueId}; once it expires it
   * names the one that replaced it (a temporary conversation's id is never reused).
   */
  public static String uniqueTemporaryConversationId(String uniqueId) {
    return TEMPORARY_PREFIX + HexFormat.of().formatHex(digest("SHA-256", "unique-temporary:" + uniqueId)).substring(0, 24);
  }

  public static boolean isValid(String cid) {
    String bare = cid.startsWith(TEMPORARY_PREFIX) ? cid.substring(TEMPORARY_PREFIX.length()) : cid;
    return bare.matches("[0-9a-f]{24}");
  }

  private static byte[] digest(String algorithm, String text) {
    try {
      return MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is not available", e);
    }
  }
}
