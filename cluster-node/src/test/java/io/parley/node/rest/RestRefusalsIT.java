package io.parley.node.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.testing.NodeCluster;
import io.parley.node.testing.RestClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every implemented endpoint, refused: no key, a wrong key, the app key (plain and signed) where
 * the master key is needed, malformed JSON and missing parameters. Each answer is LeanCloud's
 * status and JSON body, and the conversation, its members and its history are unchanged afterwards.
 * A master signature is accepted.
 */
class RestRefusalsIT {

  @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);

  private record Call(String method, String path, String body, boolean needsParameters) {}

  @Test
  void every_endpoint_refuses_bad_credentials_and_bad_input_and_changes_nothing() {
    RestClient.awaitWritable(CLUSTER.first());
    String run = UUID.randomUUID().toString().substring(0, 6);
    RestClient master = RestClient.master(CLUSTER.first());
    String tom = "tom-" + run;
    String cid =
        master
            .post("/1.2/rtm/conversations", "{\"name\":\"kept\",\"m\":[\"" + tom + "\"]}")
            .body()
            .path("objectId")
            .asText();
    JsonNode sent =
        master
            .post(
                "/1.2/rtm/conversations/" + cid + "/messages",
                "{\"from_client\":\"" + tom + "\",\"message\":\"original\"}")
            .body();
    String mid = sent.path("msg-id").asText();
    long ts = sent.path("timestamp").asLong();
    String system =
        master
            .post(
                "/1.1/classes/_Conversation",
                "{\"name\":\"news\",\"sys\":true,\"m\":[\"" + tom + "\"]}")
            .body()
            .path("objectId")
            .asText();
    String ids = "{\"client_ids\":[\"ghost-" + run + "\"]}";
    String base = "/1.2/rtm/conversations/" + cid;
    String service = "/1.2/rtm/service-conversations";
    List<Call> calls =
        List.of(
            new Call(
                "POST",
                "/1.2/rtm/conversations",
                "{\"name\":\"x\",\"m\":[\"ghost-" + run + "\"]}",
                false),
            new Call("GET", "/1.2/rtm/conversations", null, false),
            new Call("GET", base, null, false),
            new Call("PUT", base, "{\"name\":\"changed\"}", false),
            new Call("DELETE", base, null, false),
            new Call("GET", base + "/members", null, false),
            new Call("POST", base + "/members", ids, true),
            new Call("DELETE", base + "/members", "{\"client_ids\":[\"" + tom + "\"]}", true),
            new Call("GET", base + "/mutes", null, false),
            new Call("POST", base + "/mutes", ids, true),
            new Call("DELETE", base + "/mutes", ids, true),
            new Call(
                "POST",
                base + "/member-infos",
                "{\"clientId\":\"" + tom + "\",\"role\":\"Manager\"}",
                true),
            new Call("GET", base + "/member-infos", null, false),
            new Call(
                "PUT",
                base + "/member-infos/" + RestClient.md5(cid + ":" + tom).substring(0, 24),
                "{\"role\":\"Manager\"}",
                true),
            new Call(
                "DELETE",
                base + "/member-infos/" + RestClient.md5(cid + ":" + tom).substring(0, 24),
                null,
                false),
            new Call(
                "POST",
                base + "/temporary-silenceds",
                "{\"client_id\":\"" + tom + "\",\"ttl\":60}",
                true),
            new Call("DELETE", base + "/temporary-silenceds?client_id=" + tom, null, false),
            new Call(
                "POST",
                "/1.1/rtm/conversation/blacklist",
                "{\"client_id\":\"" + tom + "\",\"conv_id\":\"" + cid + "\",\"ttl\":60}",
                true),
            new Call("GET", "/1.2/rtm/chatrooms/" + cid + "/members", null, false),
            new Call("GET", "/1.1/rtm/transient_group/members?gid=" + cid, null, false),
            new Call(
                "POST",
                "/1.1/rtm/patch/message",
                "{\"from_peer\":\""
                    + tom
                    + "\",\"conv_id\":\""
                    + cid
                    + "\",\"msg_id\":\""
                    + mid
                    + "\",\"timestamp\":"
                    + ts
                    + ",\"message\":\"x\"}",
                true),
            new Call(
                "DELETE",
                "/1.1/rtm/messages/logs?convid=" + cid + "&msgid=" + mid + "&timestamp=" + ts,
                null,
                false),
            new Call("POST", "/1.1/rtm/online", "{\"peers\":[\"" + tom + "\"]}", true),
            new Call("POST", "/1.1/rtm/client/kick", "{\"client_id\":\"" + tom + "\"}", true),
            new Call("GET", base + "/permanent-silenceds", null, false),
            new Call("POST", base + "/permanent-silenceds", ids, true),
            new Call("DELETE", base + "/permanent-silenceds", ids, true),
            new Call("GET", base + "/blacklists", null, false),
            new Call("POST", base + "/blacklists", "{\"client_ids\":[\"" + tom + "\"]}", true),
            new Call("DELETE", base + "/blacklists", ids, true),
            new Call(
                "POST",
                base + "/messages",
                "{\"from_client\":\"x\",\"message\":\"refused\"}",
                true),
            new Call("GET", base + "/messages", null, false),
            new Call(
                "PUT",
                base + "/messages/" + mid,
                "{\"from_client\":\"" + tom + "\",\"message\":\"x\",\"timestamp\":" + ts + "}",
                true),
            new Call(
                "PUT",
                base + "/messages/" + mid + "/recall",
                "{\"from_client\":\"" + tom + "\",\"timestamp\":" + ts + "}",
                true),
            new Call("DELETE", base + "/messages/" + mid + "?timestamp=" + ts, null, false),
            new Call("GET", "/1.2/rtm/clients/" + tom + "/messages", null, false),
            new Call("GET", "/1.2/rtm/messages", null, false),
            new Call("POST", "/1.2/rtm/chatrooms", "{\"name\":\"room\"}", false),
            new Call("GET", "/1.2/rtm/chatrooms/" + cid + "/members/online-count", null, false),
            new Call("POST", "/1.1/classes/_Conversation", "{\"name\":\"x\"}", false),
            new Call("GET", "/1.1/classes/_Conversation", null, false),
            new Call("GET", "/1.1/classes/_Conversation/" + cid, null, false),
            new Call(
                "PUT",
                "/1.1/classes/_Conversation/" + cid,
                "{\"m\":{\"__op\":\"AddUnique\",\"objects\":[\"ghost-" + run + "\"]}}",
                false),
            new Call("DELETE", "/1.1/classes/_Conversation/" + cid, null, false),
            new Call(
                "POST",
                "/1.1/rtm/messages",
                "{\"from_peer\":\"x\",\"conv_id\":\"" + cid + "\",\"message\":\"y\"}",
                true),
            new Call("GET", "/1.1/rtm/messages/history?convid=" + cid, null, false),
            new Call("POST", service, "{\"name\":\"x\"}", false),
            new Call("GET", service, null, false),
            new Call("PUT", service + "/" + system, "{\"name\":\"changed\"}", false),
            new Call("GET", service + "/" + system + "/subscribers", null, false),
            new Call("GET", service + "/" + system + "/subscribers/count", null, false),
            new Call(
                "POST",
                service + "/" + system + "/subscribers",
                "{\"client_id\":\"ghost-" + run + "\"}",
                true),
            new Call("DELETE", service + "/" + system + "/subscribers/" + tom, null, false),
            new Call(
                "POST",
                service + "/" + system + "/broadcasts",
                "{\"from_client\":\"x\",\"message\":\"y\"}",
                true),
            new Call(
                "POST",
                service + "/" + system + "/messages",
                "{\"from_client\":\"x\",\"to_clients\":[\"" + tom + "\"],\"message\":\"y\"}",
                true),
            new Call(
                "GET", service + "/" + system + "/subscribers/" + tom + "/messages", null, false),
            new Call(
                "PUT",
                service + "/" + system + "/messages/" + mid,
                "{\"from_client\":\"x\",\"message\":\"y\",\"timestamp\":" + ts + "}",
                true),
            new Call(
                "POST",
                "/1.2/rtm/broadcasts",
                "{\"from_client\":\"x\",\"conv_id\":\"" + system + "\",\"message\":\"y\"}",
                true),
            new Call("GET", "/1.2/rtm/broadcasts?conv_id=" + system, null, false),
            new Call("DELETE", "/1.2/rtm/broadcasts/" + mid, null, false),
            new Call(
                "POST",
                "/1.1/rtm/conversation/subscription",
                "{\"conv_id\":\"" + system + "\",\"client_id\":\"ghost-" + run + "\"}",
                true),
            new Call(
                "POST",
                "/1.1/rtm/broadcast/subscriber",
                "{\"from_peer\":\"x\",\"conv_id\":\"" + system + "\",\"message\":\"y\"}",
                true),
            new Call("GET", "/1.2/rtm/stats", null, false),
            new Call("POST", "/1.2/rtm/clients/check-online", ids, true),
            new Call("POST", "/1.2/rtm/clients/" + tom + "/kick", "{\"reason\":\"x\"}", false),
            new Call("GET", "/1.2/rtm/clients/" + tom + "/service-conversations", null, false),
            new Call(
                "POST",
                "/1.1/rtm/broadcast",
                "{\"from_peer\":\"x\",\"conv_id\":\"" + system + "\",\"message\":\"y\"}",
                true));
    String before = state(master, cid);
    String subscribers = master.get(service + "/" + system + "/subscribers").text();
    long now = System.currentTimeMillis();
    List<RestClient> strangers =
        List.of(
            RestClient.anonymous(CLUSTER.second()),
            RestClient.with(
                CLUSTER.second(), Map.of("X-LC-Id", RestClient.APP, "X-LC-Key", "wrong,master")),
            RestClient.with(
                CLUSTER.first(),
                Map.of(
                    "X-LC-Id",
                    RestClient.APP,
                    "X-LC-Sign",
                    RestClient.md5(now + "wrong") + "," + now + ",master")),
            RestClient.appKey(CLUSTER.first()),
            RestClient.signed(CLUSTER.second(), RestClient.APP_KEY, false));
    List<String> wrong = new ArrayList<>();
    for (Call call : calls) {
      for (RestClient stranger : strangers) {
        RestClient.Response answer = stranger.send(call.method(), call.path(), call.body());
        if (answer.status() != 401 || answer.code() != 401 || !answer.body().has("error")) {
          wrong.add(call + " -> " + answer);
        }
      }
      if (call.body() != null) {
        RestClient.Response malformed = master.send(call.method(), call.path(), "{\"oops\":");
        if (malformed.status() != 400 || malformed.code() != 107) {
          wrong.add(call + " malformed -> " + malformed);
        }
      }
      if (call.needsParameters()) {
        RestClient.Response missing = master.send(call.method(), call.path(), "{}");
        if (missing.status() != 400 || missing.code() != 1) {
          wrong.add(call + " without parameters -> " + missing);
        }
      }
    }
    assertEquals(List.of(), wrong, "answers not as LeanCloud's");
    assertEquals(before, state(master, cid), "refused calls changed the conversation");
    assertEquals(
        subscribers, master.get(service + "/" + system + "/subscribers").text(), "subscribers");
    RestClient.Response signed =
        RestClient.signed(CLUSTER.second(), RestClient.MASTER_KEY, true).get(base + "/members");
    assertEquals(200, signed.status(), signed::toString);
    assertTrue(
        master.get("/1.2/rtm/conversations/" + system + "/messages").body().isEmpty(),
        "no broadcast stored");
  }

  /** What a refused call must not change: the document, the members, the lists and the history. */
  private static String state(RestClient master, String cid) {
    String base = "/1.2/rtm/conversations/" + cid;
    return String.join(
        "\n",
        master.get(base).text(),
        master.get(base + "/members").text(),
        master.get(base + "/mutes").text(),
        master.get(base + "/member-infos").text(),
        master.get(base + "/permanent-silenceds").text(),
        master.get(base + "/blacklists").text(),
        master.get(base + "/messages").text());
  }
}
