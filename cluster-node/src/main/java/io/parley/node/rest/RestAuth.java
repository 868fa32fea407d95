package io.parley.node.rest;

import io.parley.node.security.TokenRevocation;
import io.parley.node.session.SessionTokens;
import io.parley.node.settings.NodeSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * REST authentication (REST-AND-HOOKS §1): the app from {@code X-LC-Id}, then its app key or master
 * key from {@code X-LC-Key} ({@code key} or {@code masterKey,master}) or a signature {@code
 * X-LC-Sign: md5hex(timestamp + key),timestamp[,master]}; the legacy {@code X-AVOSCloud-*} and
 * {@code X-Uluru-*} names are accepted too. A client-scoped call adds {@code X-LC-IM-Session-Token}
 * and the query {@code client_id}. Anything missing or wrong is 401 with LeanCloud's body, before
 * any state is touched. Keys are compared in constant time and never logged.
 */
public final class RestAuth {

  static final String SESSION_TOKEN_HEADER = "X-LC-IM-Session-Token";

  private final NodeSettings settings;
  private final SessionTokens sessionTokens;
  private final TokenRevocation revocations;
  private final Clock clock;

  public RestAuth(
      NodeSettings settings,
      SessionTokens sessionTokens,
      TokenRevocation revocations,
      Clock clock) {
    this.settings = settings;
    this.sessionTokens = sessionTokens;
    this.revocations = revocations;
    this.clock = clock;
  }

  /** The caller of {@code request}, or a {@link RestError} (401). */
  public Caller authenticate(HttpRequest request) {
    NodeSettings.App app =
        header(request, "X-LC-Id", "X-AVOSCloud-Application-Id", "X-Uluru-Application-Id")
            .flatMap(settings::app)
            .orElseThrow(RestError::unauthorized);
    boolean master = keyLevel(request, app).orElseThrow(RestError::unauthorized);
    Optional<String> token = header(request, SESSION_TOKEN_HEADER);
    if (token.isEmpty()) {
      return new Caller(app, master, Optional.empty(), Optional.empty());
    }
    String clientId =
        request
            .getUri()
            .query()
            .get("client_id")
            .orElseThrow(
                () -> RestError.badParameter("client_id is required with " + SESSION_TOKEN_HEADER));
    SessionTokens.Grant grant =
        sessionTokens
            .verify(app, clientId, token.get(), clock.instant())
            .orElseThrow(RestAuth::invalidToken);
    return new Caller(app, master, Optional.of(clientId), Optional.of(grant.issuedAt()));
  }

  /**
   * Whether {@code caller}'s session token was revoked after it was issued (a REST kick or ban, on
   * any node): the same rule as a re-login with it, which gets 4112. Calls without a token are
   * never revoked.
   */
  public CompletionStage<Boolean> revoked(Caller caller) {
    if (caller.imClient().isEmpty() || caller.tokenIssuedAt().isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return revocations.isRevoked(
        caller.appId(), caller.imClient().get(), caller.tokenIssuedAt().get());
  }

  static RestError invalidToken() {
    return RestError.invalidSessionToken();
  }

  /**
   * {@code true} for the master key, {@code false} for the app key, empty when neither was proved.
   */
  private static Optional<Boolean> keyLevel(HttpRequest request, NodeSettings.App app) {
    Optional<String> sign = header(request, "X-LC-Sign", "X-AVOSCloud-Request-Sign");
    if (sign.isPresent()) {
      return signature(sign.get(), app);
    }
    Optional<String> key =
        header(request, "X-LC-Key", "X-AVOSCloud-Application-Key", "X-Uluru-Application-Key");
    if (key.isPresent()) {
      String value = key.get();
      if (value.endsWith(",master")) {
        return same(value.substring(0, value.length() - ",master".length()), app.masterKey())
            ? Optional.of(true)
            : Optional.empty();
      }
      return same(value, app.appKey()) ? Optional.of(false) : Optional.empty();
    }
    return header(request, "X-AVOSCloud-Master-Key", "X-Uluru-Master-Key")
        .filter(masterKey -> same(masterKey, app.masterKey()))
        .map(masterKey -> true);
  }

  /** {@code md5hex(timestamp + key),timestamp[,master]}, hex in either case. */
  private static Optional<Boolean> signature(String sign, NodeSettings.App app) {
    String[] parts = sign.split(",", -1);
    if (parts.length < 2
        || parts.length > 3
        || (parts.length == 3 && !parts[2].equals("master"))
        || parts[1].isEmpty()) {
      return Optional.empty();
    }
    boolean master = parts.length == 3;
    String expected = md5Hex(parts[1] + (master ? app.masterKey() : app.appKey()));
    return same(parts[0].toLowerCase(java.util.Locale.ROOT), expected)
        ? Optional.of(master)
        : Optional.empty();
  }

  static String md5Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is not available", e);
    }
  }

  private static boolean same(String given, String expected) {
    return MessageDigest.isEqual(
        given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }

  /** The first of {@code names} present (header names are case-insensitive), trimmed, non-empty. */
  private static Optional<String> header(HttpRequest request, String... names) {
    return Stream.of(names)
        .map(
            name ->
                request
                    .getHeader(name)
                    .map(h -> h.value().trim())
                    .filter(value -> !value.isEmpty()))
        .flatMap(Optional::stream)
        .findFirst();
  }
}
