package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.query.ConversationFinder;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Member roles as the storage class {@code _ConversationMemberInfo} (REST-AND-HOOKS §2.3): {@code
 * GET /1.1/classes/_ConversationMemberInfo?where={"cid":…}}, which JS {@code getAllMemberInfo} and
 * Java {@code queryMemberInfo} call with the IM session token. Only members read it (4317
 * otherwise), or the master key. One row per member who is not a plain Member: the Owner (the
 * creator) and the Managers; the SDKs treat every other member as a Member. {@code where} may also
 * name a {@code clientId}.
 */
public final class MemberInfoEndpoints extends RestEndpoints {

  private final ConversationFinder finder;

  public MemberInfoEndpoints(ConversationFinder finder) {
    this.finder = finder;
  }

  @Override
  public Route routes(Caller caller) {
    return path(
        PathMatchers.segment("classes").slash("_ConversationMemberInfo"),
        () ->
            get(
                () ->
                    parameterOptional(
                        "where",
                        where ->
                            parameterOptional(
                                "client_id",
                                clientId -> {
                                  String reader =
                                      caller.imClient().isPresent() || !caller.master()
                                          ? ClientScope.client(caller, clientId)
                                          : null;
                                  ObjectNode condition = where(where);
                                  String cid = requiredText(condition, "cid");
                                  Optional<String> onlyClient = optionalText(condition, "clientId");
                                  return reply(
                                      finder
                                          .roles(caller.appId(), cid, reader)
                                          .thenApply(
                                              answer -> {
                                                if (answer
                                                    instanceof Conversation.Rejected rejected) {
                                                  throw RestError.refused(
                                                      rejected.code(), rejected.detail());
                                                }
                                                return results(
                                                    (Conversation.Roles) answer, onlyClient);
                                              }));
                                }))));
  }

  private static ObjectNode where(Optional<String> where) {
    if (where.isEmpty() || where.get().isBlank()) {
      throw RestError.badParameter("where is required: {\"cid\": \"<conversation id>\"}");
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(where.get());
    } catch (Exception malformed) {
      throw RestError.malformedJson();
    }
    if (!(parsed instanceof ObjectNode object)) {
      throw RestError.malformedJson();
    }
    return object;
  }

  private static ObjectNode results(Conversation.Roles roles, Optional<String> onlyClient) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode results = body.putArray("results");
    String at = Instant.ofEpochMilli(roles.updatedAt()).toString();
    for (Map.Entry<String, String> role : roles.roles().entrySet()) {
      if (onlyClient.isPresent() && !onlyClient.get().equals(role.getKey())) {
        continue;
      }
      results
          .addObject()
          .put("objectId", objectId(roles.cid(), role.getKey()))
          .put("cid", roles.cid())
          .put("clientId", role.getKey())
          .put("role", role.getValue())
          .put("createdAt", at)
          .put("updatedAt", at);
    }
    return body;
  }

  /** A stable 24-hex id per conversation and member, like a storage objectId. */
  static String objectId(String cid, String clientId) {
    return RestAuth.md5Hex(cid + ":" + clientId).substring(0, 24);
  }
}
