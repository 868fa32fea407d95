package io.parley.node.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.hooks.Hooks;
import io.parley.node.hooks.UserStore;
import io.parley.node.security.Signatures;
import io.parley.node.settings.NodeSettings;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Login signatures for the app's own users (REST-AND-HOOKS §2.1, §4.6; README "Signatures"): what
 * {@code createIMClient(AV.User)} asks {@code /1.1/rtm/sign} for. The user's {@code _User} session
 * token is checked with the app's user store, the app's {@code _rtmClientSign} hook (when it has
 * one) must answer {@code true}, and then the login of client id = the user's {@code objectId} is
 * signed with the master key ({@code appId:userId::timestamp:nonce}, docs/protocol.md §14.2), the
 * same signature the session's login check accepts (once: the nonce is fresh every time).
 */
public final class UserLogins {

  static final String HOOK = "_rtmClientSign";
  private static final char[] NONCE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final int NONCE_LENGTH = 16;

  /** Why a signature was not given. */
  public enum Reason {
    /** The app has no user store: nothing can check its users' session tokens. */
    NOT_CONFIGURED,
    /** The store does not know the session token. */
    UNKNOWN_TOKEN,
    /** The store did not answer in time, or not as a store. */
    STORE_UNAVAILABLE,
    /** {@code _rtmClientSign} answered, and not {@code true}. */
    REFUSED_BY_APP,
    /** {@code _rtmClientSign} failed (timeout, not 200): refused whatever the app's policy. */
    HOOK_FAILED
  }

  /** What a sign call came to. */
  public sealed interface Outcome {
    /** A login signature for {@code clientId} (the user's objectId); timestamp in ms. */
    record Signed(String clientId, long timestamp, String nonce, String signature)
        implements Outcome {}

    record Refused(Reason reason) implements Outcome {}
  }

  private final UserStore store;
  private final Hooks hooks;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public UserLogins(UserStore store, Hooks hooks, Clock clock) {
    this.store = store;
    this.hooks = hooks;
    this.clock = clock;
  }

  /** Checks {@code sessionToken} with {@code app}'s store, asks its hook, signs. */
  public CompletionStage<Outcome> sign(NodeSettings.App app, String sessionToken) {
    return Futures.direct(store.me(app.appId(), sessionToken))
        .thenCompose(
            lookup -> {
              if (lookup instanceof UserStore.Lookup.Found found) {
                return ask(app, found.user(), sessionToken);
              }
              return refused(
                  lookup instanceof UserStore.Lookup.Unknown
                      ? Reason.UNKNOWN_TOKEN
                      : lookup instanceof UserStore.Lookup.Unavailable
                          ? Reason.STORE_UNAVAILABLE
                          : Reason.NOT_CONFIGURED);
            });
  }

  private CompletionStage<Outcome> ask(NodeSettings.App app, ObjectNode user, String token) {
    String userId = user.path("objectId").textValue();
    if (!hooks.on(app.appId(), HOOK)) {
      return CompletableFuture.completedFuture(signed(app, userId));
    }
    ObjectNode params = user.deepCopy();
    if (!params.path("sessionToken").isTextual()) {
      params.put("sessionToken", token);
    }
    return Futures.direct(hooks.decide(app.appId(), HOOK, params))
        .thenApply(
            outcome ->
                outcome instanceof HookOutcome.Answered answer
                    ? answer.isTrue()
                        ? signed(app, userId)
                        : new Outcome.Refused(Reason.REFUSED_BY_APP)
                    : new Outcome.Refused(Reason.HOOK_FAILED));
  }

  private Outcome signed(NodeSettings.App app, String userId) {
    long timestamp = clock.millis();
    String nonce = nonce();
    return new Outcome.Signed(
        userId,
        timestamp,
        nonce,
        Signatures.sign(app.masterKey(), Signatures.login(app.appId(), userId, timestamp, nonce)));
  }

  private String nonce() {
    char[] nonce = new char[NONCE_LENGTH];
    for (int i = 0; i < nonce.length; i++) {
      nonce[i] = NONCE_CHARS[random.nextInt(NONCE_CHARS.length)];
    }
    return new String(nonce);
  }

  private static CompletionStage<Outcome> refused(Reason reason) {
    return CompletableFuture.completedFuture(new Outcome.Refused(reason));
  }
}
