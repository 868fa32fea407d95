package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cn.leancloud.im.AVIMOptions;
import cn.leancloud.im.Signature;
import cn.leancloud.im.SignatureFactory;
import cn.leancloud.im.v2.AVIMClient;
import cn.leancloud.im.v2.AVIMConversation;
import cn.leancloud.im.v2.AVIMException;
import cn.leancloud.im.v2.callback.AVIMConversationCallback;
import cn.leancloud.im.v2.callback.AVIMConversationCreatedCallback;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.security.SecurityStore;
import io.parley.node.security.Signatures;
import io.parley.node.security.TokenRevocation;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signatures (docs/protocol.md §14) on two nodes with every switch on: the official SDKs sign with
 * their own factories, whose signatures the tests compute as an app server would (HMAC-SHA1 of the
 * master key); unsigned, wrong, expired and replayed requests are refused with 4102 / 4302,
 * reported by the SDK within 2 s. Session tokens re-log in without a signature until revoked
 * (4112); an unknown app gets 4100 at once.
 */
// One at a time with the other shared-lane classes: its tests share an app, and one of them
// revokes every token of it, which a test running beside it would see (CI: a JS token re-login
// refused).
class SignaturesIT {

  /**
   * An app of its own: the app-wide revocation below voids every earlier token of the app, which
   * would log out the clients of classes running beside this one on {@code parley-dev}.
   */
  private static final String APP = "signatures-it";

  private static final String APP_KEY = "signatures-it-key";
  private static final String MASTER_KEY = "signatures-it-master";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final long REPORTED_WITHIN_MS = 2000;

  @RegisterExtension
  static final NodeCluster CLUSTER =
      NodeCluster.own(
          2,
          String.join(
              "\n",
              "parley.apps = [{app-id = \""
                  + APP
                  + "\", app-key = \""
                  + APP_KEY
                  + "\", master-key = \""
                  + MASTER_KEY
                  + "\","
                  + " signatures = all}]"));

  /**
   * The cluster's first conversation waits for the journal tables, which a loaded machine creates
   * slowly: one conversation is created before the tests, so their timings measure signatures, not
   * table creation.
   */
  @BeforeAll
  static void firstConversation() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    GenericCommand started = null;
    while (System.nanoTime() < deadline) {
      try (ImClient client = connect(CLUSTER.first())) {
        client.call(signedOpen("warm-up", Instant.now(), nonce()), WAIT);
        started = client.call(signedStart("warm-up", List.of("warm-up-peer")), WAIT);
        if (started.getOp() == OpType.started) {
          return;
        }
      } catch (RuntimeException notYet) {
        started = null;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("no conversation could be created within 90 s: " + started);
  }

  @AfterEach
  void resetJavaSdk() {
    AVIMOptions.getGlobalOptions().setSignatureFactory(null);
    LeanCloudJavaSdk.reset();
  }

  @AfterAll
  static void releaseJavaSdk() {
    AVIMOptions.getGlobalOptions().setSignatureFactory(null);
    LeanCloudJavaSdk.reset();
  }

  private static String rtm() {
    return CLUSTER.first().webSocketUri() + "," + CLUSTER.second().webSocketUri();
  }

  private static JsonNode js(String scenario, String sdk, String... more) {
    List<String> arguments =
        new ArrayList<>(
            List.of(
                "--sdk",
                sdk,
                "--app-id",
                APP,
                "--app-key",
                APP_KEY,
                "--master-key",
                MASTER_KEY,
                "--rtm",
                rtm(),
                "--timeout-ms",
                "90000"));
    arguments.addAll(List.of(more));
    JsonNode result = JsSdk.runScript("security.js", scenario, arguments, Duration.ofSeconds(100));
    assertTrue(result.path("ok").asBoolean(), result::toString);
    return result;
  }

  private static void assertRefused(JsonNode refusal, int code, String what) {
    assertEquals(code, refusal.path("code").asInt(), what + ": " + refusal);
    assertTrue(
        refusal.path("ms").asLong() < REPORTED_WITHIN_MS,
        what + " reported after " + refusal.path("ms") + " ms");
  }

  @ParameterizedTest(name = "JS SDK {0}")
  @ValueSource(strings = {"4", "5"})
  void js_sdks_sign_login_start_invite_and_kick_and_bad_signatures_are_refused_at_once(String sdk) {
    JsonNode result = js("signatures", sdk);
    JsonNode accepted = result.get("accepted");
    assertTrue(accepted.path("start").asText().length() > 0, result::toString);
    assertEquals(
        List.of("Harry", "Jerry", "Tom"),
        strings(accepted.get("invite")),
        "the signed invite added Harry");
    assertEquals(
        List.of("Jerry", "Tom"), strings(accepted.get("kick")), "the signed kick removed Harry");
    JsonNode refused = result.get("refused");
    for (String mode : List.of("unsigned", "wrong", "expired", "replayed")) {
      assertRefused(refused.get("login").get(mode), 4102, "JS " + sdk + " login " + mode);
      assertRefused(refused.get("start").get(mode), 4302, "JS " + sdk + " start " + mode);
    }
    assertRefused(refused.get("invite").get("wrong"), 4302, "JS " + sdk + " invite wrong");
    assertRefused(refused.get("kick").get("wrong"), 4302, "JS " + sdk + " kick wrong");
    assertEquals(
        List.of("Harry", "Jerry", "Tom"),
        strings(result.get("membersAfterRefusals")),
        "refused requests changed nothing; a good one still works");
    System.out.println("[SignaturesIT] JS " + sdk + " refusals (code, ms): " + refused);
  }

  @ParameterizedTest(name = "JS SDK {0}")
  @ValueSource(strings = {"4", "5"})
  void js_sdks_re_login_with_their_session_token_without_signing_again(String sdk) {
    JsonNode result = js("token-relogin", sdk);
    JsonNode reopen = result.get("reopen");
    assertTrue(reopen.path("r").asBoolean() && reopen.path("st").asBoolean(), result::toString);
    assertFalse(reopen.path("signed").asBoolean(), "the re-open carries no signature: " + result);
    assertEquals("opened", reopen.path("answer").asText(), result::toString);
    assertEquals(
        1,
        result.get("calls").path("login").asInt(),
        "the login factory was asked once: " + result);
    assertTrue(result.path("startAfterReopen").asBoolean(), result::toString);
  }

  /**
   * §14.7 / M9: a token re-logs in on any node without a signature, until revoked per client or per
   * app (4112); the revocation voids older login signatures too.
   */
  @Test
  void a_session_token_re_logs_in_without_signature_until_revoked() throws Exception {
    String client = "rita-" + UUID.randomUUID().toString().substring(0, 8);
    String token;
    try (ImClient first = connect(CLUSTER.first())) {
      GenericCommand opened = first.call(signedOpen(client, Instant.now(), nonce()), WAIT);
      assertEquals(OpType.opened, opened.getOp(), opened::toString);
      token = opened.getSessionMessage().getSt();
    }
    try (ImClient second = connect(CLUSTER.second())) {
      GenericCommand opened =
          second.call(
              Commands.sessionOpen(APP, client)
                  .setSessionMessage(SessionCommand.newBuilder().setSt(token).setR(true)),
              WAIT);
      assertEquals(
          OpType.opened, opened.getOp(), "no signature needed with a valid token: " + opened);
    }

    TokenRevocation revocation =
        new TokenRevocation(
            new SecurityStore(CLUSTER.second().system(), SharedCassandra.keyspace()),
            Clock.systemUTC(),
            Duration.ofDays(1),
            Duration.ofHours(6));
    Instant beforeRevocation = Instant.now().minusSeconds(1);
    revocation.revokeClient(APP, client).toCompletableFuture().get(10, TimeUnit.SECONDS);

    try (ImClient first = connect(CLUSTER.first())) {
      GenericCommand refused =
          first.call(
              Commands.sessionOpen(APP, client)
                  .setSessionMessage(SessionCommand.newBuilder().setSt(token).setR(true)),
              WAIT);
      assertEquals(4112, refused.getErrorMessage().getCode(), refused::toString);
      GenericCommand oldSignature = first.call(signedOpen(client, beforeRevocation, nonce()), WAIT);
      assertEquals(
          4102,
          oldSignature.getErrorMessage().getCode(),
          "signed before the kick: " + oldSignature);
      GenericCommand fresh = first.call(signedOpen(client, Instant.now(), nonce()), WAIT);
      assertEquals(OpType.opened, fresh.getOp(), "a new signature logs in again: " + fresh);
      String newToken = fresh.getSessionMessage().getSt();
      try (ImClient second = connect(CLUSTER.second())) {
        GenericCommand opened =
            second.call(
                Commands.sessionOpen(APP, client)
                    .setSessionMessage(SessionCommand.newBuilder().setSt(newToken).setR(true)),
                WAIT);
        assertEquals(
            OpType.opened, opened.getOp(), "a token issued after the revocation works: " + opened);
        String appWideToken = opened.getSessionMessage().getSt();
        // An app-wide revocation (a ban of everyone, a leaked master key) voids every client's
        // earlier tokens.
        revocation.revokeApp(APP).toCompletableFuture().get(10, TimeUnit.SECONDS);
        GenericCommand revokedForAll =
            second.call(
                Commands.sessionOpen(APP, client)
                    .setSessionMessage(SessionCommand.newBuilder().setSt(appWideToken).setR(true)),
                WAIT);
        assertEquals(4112, revokedForAll.getErrorMessage().getCode(), revokedForAll::toString);
      }

      // Blacklist operations are signed too (4546).
      GenericCommand started = first.call(signedStart(client, List.of("rita-friend")), WAIT);
      assertEquals(OpType.started, started.getOp(), started::toString);
      GenericCommand block =
          first.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.blacklist)
                  .setOp(OpType.block)
                  .setPeerId(client)
                  .setBlacklistMessage(
                      BlacklistCommand.newBuilder()
                          .setSrcCid(started.getConvMessage().getCid())
                          .addToPids("rita-friend")),
              WAIT);
      assertEquals(4546, block.getErrorMessage().getCode(), block::toString);
    }
  }

  @Test
  void the_java_sdk_signs_login_start_invite_and_kick_and_bad_signatures_are_refused_at_once()
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    AppServerFactory factory = new AppServerFactory();
    AVIMOptions.getGlobalOptions().setSignatureFactory(factory);
    LeanCloudJavaSdk.initDirect(
        APP, APP_KEY, CLUSTER.first().httpBase(), CLUSTER.first().webSocketUri().toString());
    AVIMClient tom = LeanCloudJavaSdk.login("jtom-" + run, WAIT);
    AVIMConversation conversation =
        await(
            done ->
                tom.createConversation(
                    List.of("jjerry-" + run), "signed", Map.of(), false, false, created(done)));
    await(done -> conversation.addMembers(List.of("jharry-" + run), callback(done, null)));
    await(done -> conversation.kickMembers(List.of("jharry-" + run), callback(done, null)));
    assertTrue(
        factory.calls.get() >= 4, "login, start, invite and kick were signed by the factory");

    Map<String, Integer> codes = new java.util.LinkedHashMap<>();
    Map<String, Long> millis = new java.util.LinkedHashMap<>();
    Consumer<String> timedLoginRefusal =
        mode -> {
          long start = System.nanoTime();
          codes.put(
              "login " + mode,
              LeanCloudJavaSdk.loginExpectingFailure("j" + mode + "-" + run, WAIT));
          millis.put("login " + mode, (System.nanoTime() - start) / 1_000_000);
        };
    factory.mode = "wrong";
    timedLoginRefusal.accept("wrong");
    factory.mode = "expired";
    timedLoginRefusal.accept("expired");
    factory.mode = "good";
    for (String mode : List.of("wrong", "expired")) {
      factory.mode = mode;
      long start = System.nanoTime();
      codes.put(
          "start " + mode,
          failureCode(
              done ->
                  tom.createConversation(
                      List.of("jjerry-" + run), "refused", Map.of(), false, false, created(done))));
      millis.put("start " + mode, (System.nanoTime() - start) / 1_000_000);
    }
    factory.mode = "wrong";
    codes.put(
        "invite wrong",
        failureCode(
            done -> conversation.addMembers(List.of("jharry-" + run), callback(done, null))));
    codes.put(
        "kick wrong",
        failureCode(
            done -> conversation.kickMembers(List.of("jjerry-" + run), callback(done, null))));

    // a start signed with a fixed nonce is accepted once here; its replay on the other node is
    // below
    long startSeconds = Instant.now().getEpochSecond();
    String startNonce = "java-start-replay-" + run;
    factory.mode = "fixed";
    factory.fixedSeconds = startSeconds;
    factory.fixedNonce = startNonce;
    await(
        done ->
            tom.createConversation(
                List.of("jjerry-" + run), "replayable", Map.of(), false, false, created(done)));

    factory.mode = "fixed";
    factory.fixedSeconds = Instant.now().getEpochSecond();
    factory.fixedNonce = "java-replay-" + run;
    LeanCloudJavaSdk.login("jreplay-" + run, WAIT);
    LeanCloudJavaSdk.reset();
    LeanCloudJavaSdk.initDirect(
        APP, APP_KEY, CLUSTER.second().httpBase(), CLUSTER.second().webSocketUri().toString());
    // replayed: the same signature for the same client, now on the other node
    long start = System.nanoTime();
    codes.put("login replayed", LeanCloudJavaSdk.loginExpectingFailure("jreplay-" + run, WAIT));
    millis.put("login replayed", (System.nanoTime() - start) / 1_000_000);

    // the same client on the other node: the start signature used above is refused there
    factory.mode = "good";
    AVIMClient tomThere = LeanCloudJavaSdk.login("jtom-" + run, WAIT);
    factory.mode = "fixed";
    factory.fixedSeconds = startSeconds;
    factory.fixedNonce = startNonce;
    start = System.nanoTime();
    codes.put(
        "start replayed",
        failureCode(
            done ->
                tomThere.createConversation(
                    List.of("jjerry-" + run),
                    "replayable",
                    Map.of(),
                    false,
                    false,
                    created(done))));
    millis.put("start replayed", (System.nanoTime() - start) / 1_000_000);

    AVIMOptions.getGlobalOptions().setSignatureFactory(null);
    start = System.nanoTime();
    codes.put(
        "start unsigned",
        failureCode(
            done ->
                tomThere.createConversation(
                    List.of("jjerry-" + run), "unsigned", Map.of(), false, false, created(done))));
    millis.put("start unsigned", (System.nanoTime() - start) / 1_000_000);
    start = System.nanoTime();
    codes.put("login unsigned", LeanCloudJavaSdk.loginExpectingFailure("junsigned-" + run, WAIT));
    millis.put("login unsigned", (System.nanoTime() - start) / 1_000_000);

    System.out.println("[SignaturesIT] Java SDK refusals: " + codes + " in ms " + millis);
    codes.forEach((what, code) -> assertEquals(what.startsWith("login") ? 4102 : 4302, code, what));
    millis.forEach(
        (what, ms) -> assertTrue(ms < REPORTED_WITHIN_MS, what + " reported after " + ms + " ms"));
  }

  @Test
  void an_unknown_app_is_refused_with_4100_at_once_by_js_4_js_5_and_the_java_sdk() {
    for (String sdk : List.of("4", "5")) {
      JsonNode result =
          JsSdk.runScript(
              "security.js",
              "unknown-app",
              List.of(
                  "--sdk",
                  sdk,
                  "--app-id",
                  "no-such-app",
                  "--app-key",
                  "k",
                  "--rtm",
                  CLUSTER.first().webSocketUri().toString()),
              Duration.ofSeconds(40));
      assertTrue(result.path("ok").asBoolean(), result::toString);
      assertRefused(result.get("refused"), 4100, "JS " + sdk + " unknown app");
      System.out.println(
          "[SignaturesIT] JS "
              + sdk
              + " unknown app: "
              + result.get("refused").path("code")
              + " in "
              + result.get("refused").path("ms")
              + " ms");
      assertTrue(
          result.get("closeCodes").toString().contains("4100"),
          "the connection closes with 4100: " + result);
    }
    LeanCloudJavaSdk.initDirect(
        "no-such-app", "k", CLUSTER.first().httpBase(), CLUSTER.first().webSocketUri().toString());
    long start = System.nanoTime();
    int code = LeanCloudJavaSdk.loginExpectingFailure("java-nobody", WAIT);
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.println("[SignaturesIT] Java SDK unknown app: " + code + " in " + ms + " ms");
    assertEquals(4100, code);
    assertTrue(ms < REPORTED_WITHIN_MS, "Java SDK reported 4100 after " + ms + " ms");
  }

  // ---------------------------------------------------------------------------------------------------------------

  /**
   * The app server of a Java SDK app: signs with the master key, in seconds as the signing demo
   * does.
   */
  private static final class AppServerFactory implements SignatureFactory {
    volatile String mode = "good";
    volatile long fixedSeconds;
    volatile String fixedNonce;
    final java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Login ({@code watchIds} empty) and conversation start: {@code
     * appId:clientId:sortedIds:ts:nonce}.
     */
    @Override
    public Signature createSignature(String peerId, List<String> watchIds) {
      return sign((ts, nonce) -> String.join(":", APP, peerId, sorted(watchIds), ts, nonce));
    }

    @Override
    public Signature createConversationSignature(
        String conversationId, String clientId, List<String> targetIds, String action) {
      return sign(
          (ts, nonce) ->
              String.join(
                  ":", APP, clientId, conversationId, sorted(targetIds), ts, nonce, action));
    }

    @Override
    public Signature createBlacklistSignature(
        String clientId, String conversationId, List<String> memberIds, String action) {
      return sign(
          (ts, nonce) ->
              String.join(
                  ":", APP, clientId, conversationId, sorted(memberIds), ts, nonce, action));
    }

    private Signature sign(java.util.function.BinaryOperator<String> message) {
      calls.incrementAndGet();
      long seconds =
          mode.equals("fixed")
              ? fixedSeconds
              : mode.equals("expired")
                  ? Instant.now().minus(Duration.ofHours(6)).getEpochSecond() - 60
                  : Instant.now().getEpochSecond();
      String nonce = mode.equals("fixed") ? fixedNonce : nonce();
      Signature signature = new Signature();
      signature.setTimestamp(seconds);
      signature.setNonce(nonce);
      signature.setSignature(
          Signatures.sign(
              mode.equals("wrong") ? "not-the-master-key" : MASTER_KEY,
              message.apply(Long.toString(seconds), nonce)));
      return signature;
    }

    private static String sorted(List<String> ids) {
      return ids == null ? "" : String.join(":", ids.stream().sorted().toList());
    }
  }

  private static ImClient connect(TestNode node) {
    return ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT);
  }

  private static String nonce() {
    return UUID.randomUUID().toString();
  }

  private static GenericCommand.Builder signedOpen(String client, Instant at, String nonce) {
    long ts = at.toEpochMilli();
    return Commands.sessionOpen(APP, client)
        .setSessionMessage(
            SessionCommand.newBuilder()
                .setT(ts)
                .setN(nonce)
                .setS(Signatures.sign(MASTER_KEY, Signatures.login(APP, client, ts, nonce))));
  }

  private static GenericCommand.Builder signedStart(String client, List<String> members) {
    long ts = System.currentTimeMillis();
    String nonce = nonce();
    GenericCommand.Builder start = Commands.convStart(client, members, null);
    start
        .getConvMessageBuilder()
        .setT(ts)
        .setN(nonce)
        .setS(
            Signatures.sign(MASTER_KEY, Signatures.start(APP, client, members, ts, nonce).get(0)));
    return start;
  }

  private static <T> T await(Consumer<CompletableFuture<T>> operation) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    operation.accept(done);
    return done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The LeanCloud code an SDK operation failed with, within 2 s (fails if it succeeded). */
  private static int failureCode(Consumer<CompletableFuture<Object>> operation) throws Exception {
    CompletableFuture<Object> done = new CompletableFuture<>();
    operation.accept(done);
    try {
      Object result = done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("accepted: " + result);
    } catch (ExecutionException e) {
      return ((AVIMException) e.getCause()).getCode();
    }
  }

  private static AVIMConversationCreatedCallback created(
      CompletableFuture<? super AVIMConversation> done) {
    return new AVIMConversationCreatedCallback() {
      @Override
      public void done(AVIMConversation conversation, AVIMException e) {
        if (e != null) {
          done.completeExceptionally(e);
        } else {
          done.complete(conversation);
        }
      }
    };
  }

  private static <T> AVIMConversationCallback callback(CompletableFuture<T> done, T value) {
    return new AVIMConversationCallback() {
      @Override
      public void done(AVIMException e) {
        if (e != null) {
          done.completeExceptionally(e);
        } else {
          done.complete(value);
        }
      }
    };
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }
}
