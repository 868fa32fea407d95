package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.query.ConversationFinder;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * IM REST API v1.2, normal conversations (REST-AND-HOOKS §3.1): {@code /1.2/rtm/conversations...}. Master key
 * only, as on LeanCloud.
 */
public final class ConversationEndpoints extends RestEndpoints {

  private final ConversationFinder finder;

  public ConversationEndpoints(ConversationFinder finder) {
    this.finder = finder;
  }

  @Override
  public Route routes(Caller caller) {
    return pathPrefix(PathMatchers.segment("rtm").slash("conversations"), () -> concat(
        path(PathMatchers.segment().slash("members"), cid -> get(() -> members(caller.requireMaster(), cid)))));
  }

  /** {@code GET .../{cid}/members}: {@code {"result": [clientIds]}}. */
  private Route members(Caller caller, String cid) {
    return reply(existing(caller, cid).thenApply(conversation -> {
      ObjectNode body = JSON.createObjectNode();
      conversation.members().forEach(body.putArray("result")::add);
      return body;
    }));
  }

  /** The conversation, read through the finder; 404 with 4303 when there is none. */
  CompletionStage<Conversation.Snapshot> existing(Caller caller, String cid) {
    return finder.byIds(caller.appId(), List.of(cid)).thenApply(found -> found.stream().findFirst()
        .orElseThrow(() -> RestError.refused(4303, "Conversation " + cid + " not found.")));
  }
}
