package io.parley.node.rest;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.query.ConversationFinder;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who is online in a chatroom, as the clients on any node joined it (the room's entity keeps its
 * sessions):
 *
 * <ul>
 *   <li>{@code GET /1.1/rtm/transient_group/onlines?gid=<chatroom id>} with the app key ⇒ {@code
 *       {"result": n}}, the clients online in the room now, as .NET {@code CountOnlineClientsAsync}
 *       asks (REST-AND-HOOKS §2.4; the same count as {@code conv/count});
 *   <li>{@code GET /1.2/rtm/chatrooms/{id}/members} and the legacy {@code GET
 *       /1.1/rtm/transient_group/members?gid=} with the master key ⇒ {@code {"result": [...]}}, a
 *       random sample of at most {@value #MAX_SAMPLE} of them (§3.2, §3.6).
 * </ul>
 *
 * Mounted before {@link ConversationEndpoints}, whose {@code .../members} lists a normal
 * conversation's members.
 */
public final class ChatroomOnlineEndpoints extends RestEndpoints {

  /** Online members one call lists at most (LeanCloud: 50). */
  static final int MAX_SAMPLE = 50;

  private final ConversationFinder finder;

  public ChatroomOnlineEndpoints(ConversationFinder finder) {
    this.finder = finder;
  }

  @Override
  public Route routes(Caller caller) {
    return concat(
        path(
            rtm("transient_group", "onlines"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "gid",
                            gid ->
                                reply(
                                    answer(finder.onlineCount(caller.appId(), chatroom(gid)))
                                        .thenApply(
                                            counted ->
                                                ConversationEndpoints.result(
                                                    ((Conversation.Counted) counted).count())))))),
        path(
            rtm("transient_group", "members"),
            () ->
                get(
                    () ->
                        parameterOptional(
                            "gid", gid -> sample(caller.requireMaster(), chatroom(gid))))),
        path(
            rtm("chatrooms").slash(PathMatchers.segment()).slash("members"),
            cid -> get(() -> sample(caller.requireMaster(), cid))));
  }

  private Route sample(Caller caller, String cid) {
    return reply(
        answer(finder.onlineSample(caller.appId(), cid, MAX_SAMPLE))
            .thenApply(
                listed ->
                    ConversationEndpoints.strings(
                        "result", ((Conversation.Listed) listed).clientIds())));
  }

  private static String chatroom(Optional<String> gid) {
    return gid.filter(id -> !id.isEmpty())
        .orElseThrow(() -> RestError.badParameter("gid is required"));
  }

  private static CompletionStage<Conversation.Reply> answer(
      CompletionStage<Conversation.Reply> asked) {
    return asked.thenApply(
        answer -> {
          if (answer instanceof Conversation.Rejected rejected) {
            throw RestError.refused(rejected.code(), rejected.detail());
          }
          return answer;
        });
  }
}
