package io.parley.node.settings;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may enter an app's conversations on their own, and the key that makes unique conversation ids
 * unguessable (docs/protocol.md §6.1, §6.2), from one entry of {@code parley.apps}.
 *
 * @param selfJoin which conversations a non-member may join by id: {@code any} (LeanCloud), {@code
 *     groups} (normal conversations that are not unique) or {@code none} ({@code self-join})
 * @param uniqueIdKey HMAC key of unique conversation ids: {@code unique-id-secret}, else derived
 *     from the master key. Changing it gives every member set a new unique conversation (the old
 *     ones stay, found by id)
 */
public record AppAccess(String selfJoin, byte[] uniqueIdKey) {

  public static final List<String> SELF_JOIN_VALUES = List.of("any", "groups", "none");

  static AppAccess fromConfig(Config app, String masterKey) {
    String selfJoin =
        app.hasPath("self-join")
            ? app.getString("self-join").trim().toLowerCase(Locale.ROOT)
            : "any";
    if (!SELF_JOIN_VALUES.contains(selfJoin)) {
      throw new IllegalArgumentException(
          "parley.apps: self-join must be one of "
              + SELF_JOIN_VALUES
              + ", not '"
              + app.getString("self-join")
              + "'");
    }
    String secret = app.hasPath("unique-id-secret") ? app.getString("unique-id-secret") : "";
    byte[] key = secret.isBlank() ? derive(masterKey) : secret.getBytes(StandardCharsets.UTF_8);
    return new AppAccess(selfJoin, key);
  }

  /**
   * What an app without its own entry allows: LeanCloud's behaviour, ids keyed by {@code
   * masterKey}.
   */
  public static AppAccess defaults(String masterKey) {
    return new AppAccess("any", derive(masterKey));
  }

  private static byte[] derive(String masterKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(masterKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal("parley unique conversation ids".getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
