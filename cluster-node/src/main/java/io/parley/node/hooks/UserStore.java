package io.parley.node.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.concurrent.Futures;
import io.parley.node.concurrent.RateLimitedLog;
import io.parley.node.settings.NodeSettings;
import io.parley.node.settings.UserStoreSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;

/**
 * Each app's user store (README "Signatures"): the LeanCloud-compatible storage API that owns its
 * {@code _User} session tokens, asked {@code GET {url}/1.1/users/me} with {@code X-LC-Id}, {@code
 * X-LC-Key} (the app key) and {@code X-LC-Session}, as LeanCloud's storage SDK does for {@code
 * AV.User.become}. Each app has its own bounded pool ({@link AppPools}); every lookup completes
 * within the app's timeout, never exceptionally. Session tokens are never logged.
 */
public final class UserStore {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UserStore.class);
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  /** What the store said of a session token. */
  public sealed interface Lookup {
    /** The token is valid: the {@code _User} as the store returned it. */
    record Found(ObjectNode user) implements Lookup {}

    /** The store does not know the token (expired, logged out, never issued). */
    record Unknown(String error) implements Lookup {}

    /** The store did not answer, answered late, refused the app's keys, or answered nonsense. */
    record Unavailable(String reason) implements Lookup {}

    /** The app has no user store configured. */
    record NotConfigured() implements Lookup {}
  }

  private final ActorSystem<?> system;
  private final Http http;
  private final Materializer materializer;
  private final Map<String, Store> stores;

  private record Store(
      UserStoreSettings settings,
      String appId,
      String appKey,
      ConnectionPoolSettings pool,
      RateLimitedLog failureLog) {}

  public UserStore(ActorSystem<?> system, NodeSettings settings) {
    this.system = system;
    this.http = Http.get(system.classicSystem());
    this.materializer = Materializer.matFromSystem(system);
    this.stores =
        settings.apps().values().stream()
            .filter(app -> app.userStore().configured())
            .collect(
                Collectors.toUnmodifiableMap(
                    NodeSettings.App::appId,
                    app ->
                        new Store(
                            app.userStore(),
                            app.appId(),
                            app.appKey(),
                            AppPools.bounded(
                                system,
                                app.userStore().maxConnections(),
                                app.userStore().maxOpenRequests(),
                                app.userStore().timeout()),
                            new RateLimitedLog(LOG, Duration.ofMinutes(1)))));
    stores
        .values()
        .forEach(
            store ->
                LOG.info(
                    "User store of app {}: {} (timeout {} ms)",
                    store.appId(),
                    store.settings().url(),
                    store.settings().timeout().toMillis()));
  }

  /** The user whose session token {@code sessionToken} is, as {@code app}'s store knows it. */
  public CompletionStage<Lookup> me(String appId, String sessionToken) {
    Store store = stores.get(appId);
    if (store == null) {
      return CompletableFuture.completedFuture(new Lookup.NotConfigured());
    }
    Duration timeout = store.settings().timeout();
    CompletableFuture<Lookup> lookup =
        AppPools.expiring(
            system,
            timeout,
            () -> unavailable(store, "no answer within " + timeout.toMillis() + " ms"));
    HttpRequest request =
        HttpRequest.GET(store.settings().url() + "/1.1/users/me")
            .addHeader(RawHeader.create("X-LC-Id", store.appId()))
            .addHeader(RawHeader.create("X-LC-Key", store.appKey()))
            .addHeader(RawHeader.create("X-LC-Session", sessionToken));
    Futures.direct(
            http.singleRequest(
                request,
                http.defaultClientHttpsContext(),
                store.pool(),
                system.classicSystem().log()))
        .thenCompose(
            response ->
                Futures.direct(
                        response
                            .entity()
                            .withSizeLimit(MAX_ANSWER_BYTES)
                            .toStrict(timeout.toMillis(), materializer))
                    .thenApply(
                        strict ->
                            answer(
                                store,
                                response.status().intValue(),
                                strict.getData().utf8String())))
        .whenComplete(
            (answer, failure) ->
                lookup.complete(
                    failure != null
                        ? unavailable(store, String.valueOf(AppPools.rootCause(failure)))
                        : answer));
    return lookup;
  }

  /**
   * 200 with a user object: found. 400 and 404 (LeanCloud: 211 "Could not find user", Parse: 209
   * "invalid session token"): unknown. 401 and 403 refuse the app's own keys, anything else is a
   * broken store: unavailable, for the operator to see.
   */
  private Lookup answer(Store store, int status, String body) {
    if (status == 400 || status == 404) {
      return new Lookup.Unknown("Could not find user.");
    }
    if (status != 200) {
      return unavailable(
          store,
          status == 401 || status == 403
              ? "HTTP " + status + ": the store refuses the app's id and key"
              : "HTTP " + status);
    }
    try {
      JsonNode user = JSON.readTree(body);
      if (user instanceof ObjectNode object
          && object.path("objectId").isTextual()
          && !object.path("objectId").textValue().isEmpty()) {
        return new Lookup.Found(object);
      }
      return unavailable(store, "answer has no objectId");
    } catch (java.io.IOException notJson) {
      return unavailable(store, "answer is not JSON");
    }
  }

  private static Lookup unavailable(Store store, String reason) {
    store
        .failureLog()
        .warn(
            "User store of app {} ({}) failed: {}", store.appId(), store.settings().url(), reason);
    return new Lookup.Unavailable(reason);
  }
}
