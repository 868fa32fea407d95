package io.parley.node.rest;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.query.ConversationFinder;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Chatroom online count as the .NET SDK asks for it (REST-AND-HOOKS §2.4, {@code
 * CountOnlineClientsAsync}): {@code GET /1.1/rtm/transient_group/onlines?gid=<chatroom id>} with
 * the app key ⇒ {@code {"result": n}}, the clients online in the room now (the same count as {@code
 * conv/count}).
 */
public final class ChatroomOnlineEndpoints extends RestEndpoints {

  private final ConversationFinder finder;

  public ChatroomOnlineEndpoints(ConversationFinder finder) {
    this.finder = finder;
  }

  @Override
  public Route routes(Caller caller) {
    return path(
        PathMatchers.segment("rtm").slash("transient_group").slash("onlines"),
        () ->
            get(
                () ->
                    parameterOptional(
                        "gid",
                        gid -> {
                          String cid =
                              gid.filter(id -> !id.isEmpty())
                                  .orElseThrow(() -> RestError.badParameter("gid is required"));
                          return reply(
                              finder
                                  .onlineCount(caller.appId(), cid)
                                  .thenApply(
                                      answer -> {
                                        if (answer instanceof Conversation.Rejected rejected) {
                                          throw RestError.refused(
                                              rejected.code(), rejected.detail());
                                        }
                                        return JSON.createObjectNode()
                                            .put("result", ((Conversation.Counted) answer).count());
                                      }));
                        })));
  }
}
