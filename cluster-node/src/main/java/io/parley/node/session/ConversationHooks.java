package io.parley.node.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.Conversation;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.hooks.Hooks;
import io.parley.protocol.ErrorCode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The conversation hooks of docs/hooks.md §4.3, where the request path puts them: {@code
 * _conversationStart}, {@code Add}, {@code Remove} (kicks only) and {@code Update} (also for mute)
 * before the conversation is asked, their after-hooks once it answered. A before-hook may refuse
 * (4305 with the app's {@code code} and {@code detail}) or, for start and update, replace the
 * attributes (update: or the mute flag); a failed one follows the app's policy.
 */
final class ConversationHooks {

  static final String START = "_conversationStart";
  static final String STARTED = "_conversationStarted";
  static final String ADD = "_conversationAdd";
  static final String ADDED = "_conversationAdded";
  static final String REMOVE = "_conversationRemove";
  static final String REMOVED = "_conversationRemoved";
  static final String UPDATE = "_conversationUpdate";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a before-hook decided: go on (with the hook's result, {@code {}} when none), or the
   * refusal to answer.
   */
  record Verdict(HookOutcome.Answered answer, Conversation.Reply refusal) {
    static final Verdict PROCEED = new Verdict(HookOutcome.Answered.PROCEED, null);
    static final CompletionStage<Verdict> PROCEED_NOW = CompletableFuture.completedFuture(PROCEED);
  }

  private final Hooks hooks;

  ConversationHooks(Hooks hooks) {
    this.hooks = hooks;
  }

  CompletionStage<Verdict> beforeStart(
      String appId, String initBy, List<String> members, String attributesJson) {
    if (!hooks.on(appId, START)) {
      return Verdict.PROCEED_NOW;
    }
    ObjectNode params = JSON.createObjectNode().put("initBy", initBy);
    params.set("members", strings(members));
    params.set("attr", object(attributesJson));
    return verdict(appId, START, params);
  }

  CompletionStage<Verdict> beforeAdd(
      String appId, String initBy, String cid, List<String> members) {
    return membership(appId, ADD, initBy, cid, members);
  }

  /** Only kicks: a client removing itself (quit) is not asked about (§4.3). */
  CompletionStage<Verdict> beforeRemove(
      String appId, String initBy, String cid, List<String> members) {
    return members.equals(List.of(initBy))
        ? Verdict.PROCEED_NOW
        : membership(appId, REMOVE, initBy, cid, members);
  }

  /** conv/update ({@code attributesJson}) or conv/mute|unmute ({@code mute}, attributes null). */
  CompletionStage<Verdict> beforeUpdate(
      String appId, String initBy, String cid, String attributesJson, Boolean mute) {
    if (!hooks.on(appId, UPDATE)) {
      return Verdict.PROCEED_NOW;
    }
    ObjectNode params = JSON.createObjectNode().put("initBy", initBy).put("convId", cid);
    if (attributesJson != null) {
      params.set("attr", object(attributesJson));
    } else {
      params.put("mute", mute);
    }
    return verdict(appId, UPDATE, params);
  }

  /**
   * The attributes the start or update hook returned, as JSON, or {@code requested} when it
   * returned none.
   */
  static String attributes(Verdict verdict, String requested) {
    JsonNode attr = verdict.answer().get("attr");
    return attr.isObject() ? attr.toString() : requested;
  }

  /** The mute flag the update hook returned, or {@code requested}. */
  static boolean mute(Verdict verdict, boolean requested) {
    JsonNode mute = verdict.answer().get("mute");
    return mute.isBoolean() ? mute.booleanValue() : requested;
  }

  void started(String appId, String cid) {
    if (hooks.on(appId, STARTED)) {
      hooks.fire(appId, STARTED, JSON.createObjectNode().put("convId", cid));
    }
  }

  void added(String appId, String initBy, String cid, List<String> members) {
    after(appId, ADDED, initBy, cid, members);
  }

  void removed(String appId, String initBy, String cid, List<String> members) {
    after(appId, REMOVED, initBy, cid, members);
  }

  private void after(String appId, String hook, String initBy, String cid, List<String> members) {
    if (hooks.on(appId, hook) && !members.isEmpty()) {
      ObjectNode params = JSON.createObjectNode().put("initBy", initBy).put("convId", cid);
      params.set("members", strings(members));
      hooks.fire(appId, hook, params);
    }
  }

  private CompletionStage<Verdict> membership(
      String appId, String hook, String initBy, String cid, List<String> members) {
    if (!hooks.on(appId, hook)) {
      return Verdict.PROCEED_NOW;
    }
    ObjectNode params = JSON.createObjectNode().put("initBy", initBy).put("convId", cid);
    params.set("members", strings(members));
    return verdict(appId, hook, params);
  }

  private CompletionStage<Verdict> verdict(String appId, String hook, ObjectNode params) {
    return hooks
        .call(appId, hook, params)
        .thenApply(
            outcome -> {
              if (!(outcome instanceof HookOutcome.Answered answer)) {
                return new Verdict(
                    HookOutcome.Answered.PROCEED,
                    new Conversation.Rejected(
                        ErrorCode.CONVERSATION_REJECTED_BY_APP, "hook failed"));
              }
              return answer.refuses("reject")
                  ? new Verdict(
                      answer,
                      new Conversation.RejectedByApp(
                          ErrorCode.CONVERSATION_REJECTED_BY_APP,
                          answer.appCode(),
                          answer.appMessage()))
                  : new Verdict(answer, null);
            });
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static JsonNode object(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      return node != null && node.isObject() ? node : JSON.createObjectNode();
    } catch (java.io.IOException e) {
      return JSON.createObjectNode();
    }
  }
}
