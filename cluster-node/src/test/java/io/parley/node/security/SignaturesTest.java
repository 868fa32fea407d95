package io.parley.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.settings.AppSecurity;
import io.parley.node.settings.AppSecurity.Action;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.BlacklistCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The signed messages and HMAC of docs/protocol.md §14, with its test vectors (§14.8). */
class SignaturesTest {

  private static final String KEY = "masterKey123";
  private static final Duration SIX_HOURS = Duration.ofHours(6);

  @Test
  void login_vectors_of_the_spec() {
    String message = Signatures.login("myAppId", "Tom", 1700000000000L, "n0nce");
    assertEquals("myAppId:Tom::1700000000000:n0nce", message);
    assertEquals("04a51f470fbfcf872e171e898b80afacbf326cca", Signatures.sign(KEY, message));
    String demoStyle = Signatures.login("myAppId", "Tom", 1700000000L, "12345");
    assertEquals("56482614e95ef4b434b4d9c2babdd3b65365a3bd", Signatures.sign(KEY, demoStyle));
  }

  @Test
  void start_vector_matches_with_or_without_the_initiator_in_the_members() {
    String expected = "52da9b31a61d54614c96eec81f34a5f7ad9af9ff";
    // JS and Java sign the member list including themselves; .NET passes the ids as given.
    assertTrue(
        Signatures.matches(
            KEY,
            expected,
            Signatures.start("myAppId", "Tom", List.of("Tom", "Jerry"), 1700000000000L, "n0nce")));
    assertTrue(
        Signatures.matches(
            KEY,
            expected,
            Signatures.start("myAppId", "Tom", List.of("Jerry"), 1700000000000L, "n0nce")));
    assertFalse(
        Signatures.matches(
            KEY,
            expected,
            Signatures.start(
                "myAppId", "Tom", List.of("Jerry", "Harry"), 1700000000000L, "n0nce")));
  }

  @Test
  void kick_vector_of_the_spec() {
    String message =
        Signatures.group(
            "myAppId",
            "Tom",
            "5a5ecde6c3422b738c8779d7",
            List.of("Harry"),
            1700000000000L,
            "n0nce",
            "kick");
    assertEquals("myAppId:Tom:5a5ecde6c3422b738c8779d7:Harry:1700000000000:n0nce:kick", message);
    assertEquals("21ad42c2dda56cf34e596a6e22a8bdaa7f3c7ac4", Signatures.sign(KEY, message));
  }

  @Test
  void hex_is_compared_case_insensitively_and_a_wrong_key_never_matches() {
    List<String> message = List.of("myAppId:Tom::1700000000000:n0nce");
    assertTrue(
        Signatures.matches(KEY, "04A51F470FBFCF872E171E898B80AFACBF326CCA", message),
        "the C# example emits uppercase");
    assertFalse(
        Signatures.matches("another-key", "04a51f470fbfcf872e171e898b80afacbf326cca", message));
    assertFalse(Signatures.matches(KEY, "", message));
  }

  @Test
  void timestamps_in_seconds_or_milliseconds_are_valid_for_six_hours_either_way() {
    Instant now = Instant.ofEpochSecond(1_700_000_000L);
    assertTrue(Signatures.fresh(1_700_000_000L, now, SIX_HOURS), "seconds (the signing demo)");
    assertTrue(Signatures.fresh(1_700_000_000_000L, now, SIX_HOURS), "milliseconds (the docs)");
    assertTrue(Signatures.fresh(now.minus(SIX_HOURS).toEpochMilli(), now, SIX_HOURS));
    assertFalse(
        Signatures.fresh(now.minus(SIX_HOURS).minusSeconds(1).toEpochMilli(), now, SIX_HOURS),
        "older than 6 h");
    assertFalse(
        Signatures.fresh(now.plus(SIX_HOURS).plusSeconds(1).getEpochSecond(), now, SIX_HOURS),
        "6 h in the future");
    assertFalse(Signatures.fresh(0, now, SIX_HOURS));
  }

  @Test
  void the_switches_decide_which_requests_are_signed_and_with_which_code() {
    NodeSettings.App all =
        new NodeSettings.App(
            "myAppId", "key", KEY, new AppSecurity(EnumSet.allOf(Action.class), false));
    NodeSettings.App open = new NodeSettings.App("myAppId", "key", KEY);

    GenericCommand login =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.open)
            .setPeerId("Tom")
            .setSessionMessage(
                SessionCommand.newBuilder()
                    .setT(1700000000000L)
                    .setN("n0nce")
                    .setS("04a51f470fbfcf872e171e898b80afacbf326cca"))
            .build();
    SignedRequest signedLogin = SignedRequest.of(all, "Tom", login).orElseThrow();
    assertEquals(ErrorCode.SIGNATURE_FAILED, signedLogin.refusal());
    assertTrue(Signatures.matches(KEY, signedLogin.signature(), signedLogin.messages()));
    assertTrue(
        SignedRequest.of(open, "Tom", login).isEmpty(), "switch off: a signature sent is ignored");

    GenericCommand kick =
        conv(OpType.remove, "5a5ecde6c3422b738c8779d7", List.of("Harry")).toBuilder()
            .setConvMessage(
                ConvCommand.newBuilder()
                    .setCid("5a5ecde6c3422b738c8779d7")
                    .addM("Harry")
                    .setT(1700000000000L)
                    .setN("n0nce")
                    .setS("x"))
            .build();
    SignedRequest signedKick = SignedRequest.of(all, "Tom", kick).orElseThrow();
    assertEquals(ErrorCode.CONVERSATION_SIGNATURE_FAILED, signedKick.refusal());
    assertTrue(
        Signatures.matches(KEY, "21ad42c2dda56cf34e596a6e22a8bdaa7f3c7ac4", signedKick.messages()));
    // JS SDK 4.3.1 hands its factory `add` / `remove` instead of `invite` / `kick`: an app server
    // signs those.
    String js4Kick =
        Signatures.sign(
            KEY, "myAppId:Tom:5a5ecde6c3422b738c8779d7:Harry:1700000000000:n0nce:remove");
    assertTrue(Signatures.matches(KEY, js4Kick, signedKick.messages()));
    assertTrue(
        SignedRequest.of(all, "Tom", conv(OpType.remove, "c", List.of("Tom"))).isEmpty(),
        "quitting needs no signature");
    assertEquals(
        Action.INVITE,
        SignedRequest.of(all, "Tom", conv(OpType.add, "c", List.of("Tom"))).orElseThrow().action(),
        "joining is an invite of oneself, as the SDKs sign it");
    assertFalse(
        SignedRequest.of(all, "Tom", conv(OpType.start, null, List.of("Jerry")))
            .orElseThrow()
            .hasFields(),
        "unsigned");

    GenericCommand block =
        GenericCommand.newBuilder()
            .setCmd(CommandType.blacklist)
            .setOp(OpType.block)
            .setBlacklistMessage(BlacklistCommand.newBuilder().setSrcCid("c").addToPids("Harry"))
            .build();
    assertEquals(
        ErrorCode.BLACKLIST_SIGNATURE_FAILED,
        SignedRequest.of(all, "Tom", block).orElseThrow().refusal());
    assertEquals(
        List.of("myAppId:Tom:c:Harry:0::conversation-block-clients"),
        SignedRequest.of(all, "Tom", block).orElseThrow().messages());
  }

  @Test
  void switches_parse_from_the_configuration_names() {
    assertEquals(
        Set.of(),
        AppSecurity.fromConfig(com.typesafe.config.ConfigFactory.parseString("signatures = none"))
            .signed());
    assertEquals(
        EnumSet.allOf(Action.class),
        AppSecurity.fromConfig(com.typesafe.config.ConfigFactory.parseString("signatures = all"))
            .signed());
    assertEquals(
        EnumSet.of(Action.LOGIN, Action.KICK),
        AppSecurity.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("signatures = \"login, kick\""))
            .signed());
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AppSecurity.fromConfig(
                    com.typesafe.config.ConfigFactory.parseString(
                        "signatures = \"login,create\"")));
    assertTrue(unknown.getMessage().contains("create"), unknown.getMessage());
  }

  private static GenericCommand conv(OpType op, String cid, List<String> members) {
    ConvCommand.Builder conv = ConvCommand.newBuilder().addAllM(members);
    if (cid != null) {
      conv.setCid(cid);
    }
    return GenericCommand.newBuilder()
        .setCmd(CommandType.conv)
        .setOp(op)
        .setConvMessage(conv)
        .build();
  }
}
