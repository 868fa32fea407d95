package io.parley.node.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationState;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Member roles through the REST API v1.2 (REST-AND-HOOKS §3.1, §3.2): {@code
 * /1.2/rtm/conversations/{id}/member-infos} (and {@code /1.2/rtm/chatrooms/...}). {@code POST
 * {"clientId", "role"}} sets a role, {@code GET ?skip&limit&role} lists the members with their role
 * and info id, {@code PUT .../{info_id} {"role"}} changes it, {@code DELETE .../{info_id}} makes
 * the member a plain Member again. Every change is the entity's {@code conv/member_info_update}
 * made by the app server, so members get {@code member_info_changed}. An info id is the same as
 * {@code _ConversationMemberInfo}'s {@code objectId}: derived from the conversation and the client
 * id, so it is stable and needs no storage. Master key only.
 */
public final class MemberRoleEndpoints extends RestEndpoints {

  private static final int DEFAULT_PAGE = 50;
  private static final List<String> ROLES =
      List.of(ConversationState.OWNER, ConversationState.MANAGER, ConversationState.MEMBER);

  private final ConversationFinder finder;
  private final Conversations conversations;
  private final Clock clock;

  public MemberRoleEndpoints(ConversationFinder finder, Conversations conversations, Clock clock) {
    this.finder = finder;
    this.conversations = conversations;
    this.clock = clock;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        pathPrefix(
            rtm("conversations").slash(PathMatchers.segment()).slash("member-infos"),
            cid -> infos(caller, cid)),
        pathPrefix(
            rtm("chatrooms").slash(PathMatchers.segment()).slash("member-infos"),
            cid -> infos(caller, cid)));
  }

  private Route infos(Caller caller, String cid) {
    return concat(
        pathEndOrSingleSlash(
            () ->
                concat(
                    post(
                        () ->
                            jsonBody(
                                body ->
                                    reply(
                                        changeRole(
                                            caller.requireMaster(),
                                            cid,
                                            requiredText(body, "clientId"),
                                            role(body))))),
                    get(
                        () ->
                            parameterOptional(
                                "skip",
                                skip ->
                                    parameterOptional(
                                        "limit",
                                        limit ->
                                            parameterOptional(
                                                "role",
                                                role ->
                                                    list(
                                                        caller.requireMaster(),
                                                        cid,
                                                        intParameter(
                                                            skip, "skip", 0, 0, Integer.MAX_VALUE),
                                                        intParameter(
                                                            limit,
                                                            "limit",
                                                            DEFAULT_PAGE,
                                                            1,
                                                            ConversationEndpoints.MAX_CLIENT_IDS),
                                                        role.filter(r -> !r.isEmpty())
                                                            .map(MemberRoleEndpoints::known)))))))),
        path(
            PathMatchers.segment(),
            infoId ->
                concat(
                    put(
                        () ->
                            jsonBody(
                                body ->
                                    reply(
                                        byInfoId(
                                                caller.requireMaster(),
                                                cid,
                                                infoId,
                                                optionalText(body, "clientId"))
                                            .thenCompose(
                                                clientId ->
                                                    changeRole(
                                                        caller, cid, clientId, role(body)))))),
                    delete(
                        () ->
                            reply(
                                byInfoId(caller.requireMaster(), cid, infoId, Optional.empty())
                                    .thenCompose(
                                        clientId ->
                                            changeRole(
                                                    caller, cid, clientId, ConversationState.MEMBER)
                                                .thenApply(
                                                    changed ->
                                                        (JsonNode) JSON.createObjectNode())))))));
  }

  /**
   * {@code clientId} becomes {@code role}, as {@code conv/member_info_update} from the app server;
   * answers {@code updatedAt} and the conversation's {@code objectId}.
   */
  private CompletionStage<JsonNode> changeRole(
      Caller caller, String cid, String clientId, String role) {
    return conversations
        .ask(
            caller.appId(),
            cid,
            replyTo ->
                new Conversation.ChangeRole(
                    Conversation.SERVER, clientId, role, clock.millis(), replyTo))
        .thenApply(
            reply -> ConversationEndpoints.updated(cid, ConversationEndpoints.accepted(reply)));
  }

  /**
   * {@code {"results": [{"clientId", "objectId", "role"}]}}: the members in their order, with their
   * role, only those of {@code role} when given, {@code skip} and {@code limit} applied.
   */
  private Route list(Caller caller, String cid, int skip, int limit, Optional<String> onlyRole) {
    return reply(
        roles(caller, cid)
            .thenApply(
                roles -> {
                  ObjectNode answer = JSON.createObjectNode();
                  ArrayNode results = answer.putArray("results");
                  roles.members().stream()
                      .filter(
                          member ->
                              onlyRole.isEmpty() || onlyRole.get().equals(roleOf(roles, member)))
                      .skip(skip)
                      .limit(limit)
                      .forEach(
                          member ->
                              results
                                  .addObject()
                                  .put("clientId", member)
                                  .put("objectId", MemberInfoEndpoints.objectId(cid, member))
                                  .put("role", roleOf(roles, member)));
                  return answer;
                }));
  }

  /**
   * The member whose info id is {@code infoId}: {@code clientId} when the body names it (it must
   * match), else the member it is derived from; 404 with 4317 when no member has it.
   */
  private CompletionStage<String> byInfoId(
      Caller caller, String cid, String infoId, Optional<String> clientId) {
    if (clientId.isPresent()) {
      if (!MemberInfoEndpoints.objectId(cid, clientId.get()).equals(infoId)) {
        throw RestError.badParameter(
            "clientId " + clientId.get() + " does not have info " + infoId);
      }
      return java.util.concurrent.CompletableFuture.completedFuture(clientId.get());
    }
    return roles(caller, cid)
        .thenApply(
            roles ->
                roles.members().stream()
                    .filter(member -> MemberInfoEndpoints.objectId(cid, member).equals(infoId))
                    .findFirst()
                    .orElseThrow(
                        () ->
                            new RestError(
                                org.apache.pekko.http.javadsl.model.StatusCodes.NOT_FOUND,
                                ErrorCode.CONVERSATION_MEMBERSHIP_REQUIRED.code(),
                                "No member of " + cid + " has info " + infoId + ".")));
  }

  private CompletionStage<Conversation.Roles> roles(Caller caller, String cid) {
    return finder
        .roles(caller.appId(), cid, null)
        .thenApply(
            answer -> {
              if (answer instanceof Conversation.Rejected rejected) {
                throw RestError.refused(rejected.code(), rejected.detail());
              }
              return (Conversation.Roles) answer;
            });
  }

  private static String roleOf(Conversation.Roles roles, String member) {
    return roles.roles().getOrDefault(member, ConversationState.MEMBER);
  }

  private static String role(ObjectNode body) {
    return known(requiredText(body, "role"));
  }

  private static String known(String role) {
    if (!ROLES.contains(role)) {
      throw RestError.badParameter("role must be one of " + ROLES);
    }
    return role;
  }
}
