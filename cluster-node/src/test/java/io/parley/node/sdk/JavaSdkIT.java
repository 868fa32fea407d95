package io.parley.node.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cn.leancloud.im.v2.AVIMClient;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.TestClients;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The unmodified official Java SDK ({@code cn.leancloud:realtime-core:6.0.5}) logs two clients in,
 * once with {@code setRtmServer} and once through the router ({@code initialize(appId, appKey,
 * baseUrl)}); our own client sees them online.
 */
class JavaSdkIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1);

  @AfterAll
  static void resetSdkAtTheEnd() {
    LeanCloudJavaSdk.reset();
  }

  @AfterEach
  void resetSdk() {
    LeanCloudJavaSdk.reset();
  }

  private static List<String> online(String... clientIds) {
    try (ImClient observer = TestClients.login(CLUSTER.first(), "parley-dev", "observer", WAIT)) {
      GenericCommand result =
          observer.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.session)
                  .setOp(OpType.query)
                  .setSessionMessage(
                      SessionCommand.newBuilder().addAllSessionPeerIds(List.of(clientIds))),
              WAIT);
      return result.getSessionMessage().getOnlineSessionPeerIdsList();
    }
  }

  private static void loginTwoAndLogout(String first, String second) {
    LeanCloudJavaSdk.connect(WAIT);
    AVIMClient one = LeanCloudJavaSdk.login(first, WAIT);
    AVIMClient two = LeanCloudJavaSdk.login(second, WAIT);
    assertEquals(List.of(first, second), online(first, second, "nobody"));
    LeanCloudJavaSdk.logout(one, WAIT);
    LeanCloudJavaSdk.logout(two, WAIT);
  }

  @Test
  void two_clients_log_in_with_set_rtm_server() {
    LeanCloudJavaSdk.initDirect(
        "parley-dev",
        "parley-dev-key",
        CLUSTER.first().httpBase(),
        CLUSTER.first().webSocketUri().toString());
    loginTwoAndLogout("java-direct-1", "java-direct-2");
  }

  /**
   * The Java SDK nests custom attributes under {@code attr} itself (§6.1 DECISION: stored as sent,
   * never re-nested); its invite reaches the invitee as {@code joined} and the others as {@code
   * members_joined}.
   */
  @Test
  void a_conversation_created_with_attributes_and_an_invite_is_seen_by_other_clients()
      throws Exception {
    LeanCloudJavaSdk.initDirect(
        "parley-dev",
        "parley-dev-key",
        CLUSTER.first().httpBase(),
        CLUSTER.first().webSocketUri().toString());
    LeanCloudJavaSdk.connect(WAIT);
    AVIMClient creator = LeanCloudJavaSdk.login("java-creator", WAIT);
    try (ImClient member =
            ImClient.connect(
                CLUSTER.first().webSocketUri(),
                Subprotocol.PROTOBUF_3,
                ImClient.OfferMode.HEADER,
                WAIT);
        ImClient invitee =
            ImClient.connect(
                CLUSTER.first().webSocketUri(),
                Subprotocol.JSON_3,
                ImClient.OfferMode.QUERY,
                WAIT)) {
      member.call(Commands.sessionOpen("parley-dev", "java-member"), WAIT);
      invitee.call(Commands.sessionOpen("parley-dev", "java-invitee"), WAIT);

      java.util.concurrent.CompletableFuture<cn.leancloud.im.v2.AVIMConversation> created =
          new java.util.concurrent.CompletableFuture<>();
      creator.createConversation(
          List.of("java-member"),
          "java-group",
          java.util.Map.of("type", "group", "pinned", true),
          false,
          false,
          new cn.leancloud.im.v2.callback.AVIMConversationCreatedCallback() {
            @Override
            public void done(
                cn.leancloud.im.v2.AVIMConversation conversation,
                cn.leancloud.im.v2.AVIMException e) {
              if (e != null) {
                created.completeExceptionally(e);
              } else {
                created.complete(conversation);
              }
            }
          });
      cn.leancloud.im.v2.AVIMConversation conversation =
          created.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      String cid = conversation.getConversationId();
      GenericCommand joined = member.nextPush(WAIT);
      assertEquals(OpType.joined, joined.getOp(), joined::toString);
      assertEquals(cid, joined.getConvMessage().getCid());

      java.util.concurrent.CompletableFuture<Void> added =
          new java.util.concurrent.CompletableFuture<>();
      conversation.addMembers(
          List.of("java-invitee"),
          new cn.leancloud.im.v2.callback.AVIMConversationCallback() {
            @Override
            public void done(cn.leancloud.im.v2.AVIMException e) {
              if (e != null) {
                added.completeExceptionally(e);
              } else {
                added.complete(null);
              }
            }
          });
      added.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(OpType.joined, invitee.nextPush(WAIT).getOp());
      GenericCommand membersJoined = member.nextPush(WAIT);
      assertEquals(OpType.members_joined, membersJoined.getOp());
      assertEquals(List.of("java-invitee"), membersJoined.getConvMessage().getMList());

      GenericCommand results =
          invitee.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.query)
                  .setConvMessage(
                      io.parley.protocol.wire.ConvCommand.newBuilder()
                          .setWhere(
                              io.parley.protocol.wire.JsonObjectMessage.newBuilder()
                                  .setData("{\"objectId\":\"" + cid + "\"}"))),
              WAIT);
      com.fasterxml.jackson.databind.JsonNode seen =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(results.getConvMessage().getResults().getData())
              .get(0);
      assertEquals("java-group", seen.get("name").asText());
      assertEquals(
          "group", seen.get("attr").get("type").asText(), "the Java SDK's own nesting is kept");
      assertEquals(true, seen.get("attr").get("pinned").asBoolean());
      assertEquals(3, seen.get("m").size());
      jsSeesConversation(cid);
    }
  }

  /**
   * The official JS SDK (5.0.0-rc.8) reads the Java-created conversation by id, attributes as
   * stored.
   */
  private static void jsSeesConversation(String cid) {
    com.fasterxml.jackson.databind.JsonNode result =
        JsConversationsIT.run(
            "read-conversation",
            List.of(
                "--sdk",
                "5",
                "--rtm",
                CLUSTER.first().webSocketUri().toString(),
                "--client",
                "js-reader",
                "--cid",
                cid));
    org.junit.jupiter.api.Assertions.assertTrue(result.path("ok").asBoolean(), result::toString);
    com.fasterxml.jackson.databind.JsonNode conversation = result.get("conversation");
    assertEquals(cid, conversation.get("id").asText());
    assertEquals("java-group", conversation.get("name").asText());
    assertEquals("group", conversation.get("attr").get("type").asText(), conversation::toString);
  }

  @Test
  void two_clients_log_in_through_the_router() {
    LeanCloudJavaSdk.initWithRouter("parley-dev", "parley-dev-key", CLUSTER.first().httpBase());
    loginTwoAndLogout("java-router-1", "java-router-2");
  }
}
