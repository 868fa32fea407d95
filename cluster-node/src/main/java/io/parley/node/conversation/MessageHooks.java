package io.parley.node.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.hooks.Hooks;
import io.parley.node.message.StoredMessage;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The message hooks of one conversation (docs/hooks.md §4.2, §4.7): {@code _messageReceived} before
 * a message is stored, {@code _receiversOffline} and {@code _messageSent} after it is delivered,
 * {@code _messageUpdate} before a patch, and the system-conversation webhook. Sends waiting for
 * {@code _messageReceived} go on in the order they arrived, whatever order the engine answers in;
 * other conversations never wait for them.
 */
final class MessageHooks {

  static final String RECEIVED = "_messageReceived";
  static final String OFFLINE = "_receiversOffline";
  static final String SENT = "_messageSent";
  static final String UPDATE = "_messageUpdate";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What {@code _messageReceived} changed: the recipients ({@code null}: the members) and whether
   * it rewrote.
   */
  record Route(List<String> toPeers, boolean rewritten) {
    static final Route DEFAULT = new Route(null, false);
  }

  /**
   * A send waiting for its hook, with the audience of its edge (a client's or the app server's);
   * {@code outcome} is set when the engine answered.
   */
  static final class Waiting {
    final long seq;
    final Conversation.Send send;
    final List<String> toPeers;
    final ConversationMessaging.Audience audience;
    HookOutcome outcome;

    Waiting(
        long seq,
        Conversation.Send send,
        List<String> toPeers,
        ConversationMessaging.Audience audience) {
      this.seq = seq;
      this.send = send;
      this.toPeers = toPeers;
      this.audience = audience;
    }
  }

  private final Hooks hooks;
  private final String appId;
  private final String cid;
  private final ActorContext<Conversation.Command> context;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private long nextSeq;

  MessageHooks(Hooks hooks, String appId, String cid, ActorContext<Conversation.Command> context) {
    this.hooks = hooks;
    this.appId = appId;
    this.cid = cid;
    this.context = context;
  }

  /**
   * Whether {@code hook} is called for a message of this edge: a client's when the app has it, the
   * app server's (REST) when it also has {@code rest-messages} on (docs/hooks.md §4.5).
   */
  boolean on(String hook, boolean fromApp) {
    return fromApp ? hooks.onForApp(appId, hook) : hooks.on(appId, hook);
  }

  /**
   * Starts {@code _messageReceived} for {@code send} when the app has it for this {@code audience}
   * (not for will messages, which are delivered when their sender is gone); {@code false}: the send
   * goes on at once. The app server's sends have no {@code sourceIP}.
   */
  boolean beforeStore(
      ConversationState state,
      Conversation.Send send,
      ConversationMessaging.Audience audience,
      long receivedAt) {
    if (!on(RECEIVED, audience.fromApp()) || send.draft().deliverOnly()) {
      return false;
    }
    List<String> toPeers =
        state.kind() == Kind.TRANSIENT
            ? List.of()
            : ClientIds.others(state.members(), send.sender());
    Conversation.MessageDraft draft = send.draft();
    ObjectNode params =
        JSON.createObjectNode()
            .put("fromPeer", send.sender())
            .put("convId", cid)
            .put("transient", draft.transientMessage())
            .put("bin", draft.binary())
            .put("content", draft.data())
            .put("receipt", draft.receipt())
            .put("timestamp", receivedAt)
            .put("system", state.kind() == Kind.SYSTEM);
    if (send.sourceIp() != null) {
      params.put("sourceIP", send.sourceIp());
    }
    params.set("toPeers", strings(toPeers));
    params.putNull("groupId");
    Waiting entry = new Waiting(nextSeq++, send, toPeers, audience);
    waiting.add(entry);
    context.pipeToSelf(
        hooks.call(appId, RECEIVED, params),
        (outcome, failure) ->
            new Conversation.MessageHookAnswered(
                entry.seq, outcome != null ? outcome : HookOutcome.Answered.PROCEED));
    return true;
  }

  /**
   * The sends that may go on now, in arrival order: up to the first whose hook has not answered
   * yet.
   */
  List<Waiting> answered(Conversation.MessageHookAnswered answer) {
    for (Waiting entry : waiting) {
      if (entry.seq == answer.seq()) {
        entry.outcome = answer.outcome();
        break;
      }
    }
    List<Waiting> ready = new ArrayList<>();
    while (!waiting.isEmpty() && waiting.peekFirst().outcome != null) {
      ready.add(waiting.pollFirst());
    }
    return ready;
  }

  /** The draft as the hook left it: its {@code content} (and {@code bin}) replace the payload. */
  static Conversation.MessageDraft rewrite(
      Conversation.MessageDraft draft, HookOutcome.Answered answer) {
    JsonNode content = answer.get("content");
    if (!content.isTextual()) {
      return draft;
    }
    boolean binary =
        answer.get("bin").isBoolean() ? answer.get("bin").booleanValue() : draft.binary();
    return new Conversation.MessageDraft(
        content.textValue(),
        binary,
        draft.mentionPids(),
        draft.mentionAll(),
        draft.receipt(),
        draft.transientMessage(),
        draft.deliverOnly(),
        draft.dedupToken(),
        draft.pushData());
  }

  /**
   * The client ids of a hook's array ({@code toPeers}, {@code offlinePeers}), or null when it
   * returned none.
   */
  static List<String> peers(JsonNode toPeers) {
    if (!toPeers.isArray()) {
      return null;
    }
    LinkedHashSet<String> peers = new LinkedHashSet<>();
    toPeers.forEach(
        peer -> {
          if (peer.isTextual()) {
            peers.add(peer.textValue());
          }
        });
    return List.copyOf(peers);
  }

  /**
   * After a stored or transient message went out (docs/hooks.md §4.2): {@code _receiversOffline}
   * for the recipients ({@code toPeers} when the hook rerouted, else the members but the sender)
   * who are offline (normal and temporary conversations, stored messages), then the offline push,
   * then {@code _messageSent}; a client's message to a system conversation goes to the app's
   * webhook (§4.7), the app server's own ({@code fromApp}: REST sends and broadcasts) never does,
   * and calls the hooks only with {@code rest-messages} on. Runs off the entity: it waits for
   * presence and for the engine, never for the conversation. Without these hooks it costs two map
   * lookups.
   */
  void afterDelivery(
      ConversationState state,
      StoredMessage message,
      List<String> toPeers,
      boolean transientMessage,
      boolean fromApp,
      Notices notices) {
    if (state.kind() == Kind.SYSTEM && !fromApp) {
      hooks.systemMessage(appId, systemRecord(message));
    }
    boolean offlineHook = on(OFFLINE, fromApp);
    boolean sentHook = on(SENT, fromApp);
    if (!offlineHook && !sentHook) {
      return;
    }
    boolean pushable =
        !transientMessage && (state.kind() == Kind.NORMAL || state.kind() == Kind.TEMPORARY);
    List<String> recipients =
        toPeers != null
            ? toPeers
            : state.kind() == Kind.TRANSIENT || state.kind() == Kind.SYSTEM
                ? List.of()
                : ClientIds.others(state.members(), message.from());
    if (!pushable || recipients.isEmpty()) {
      if (sentHook) {
        fireSent(message, List.of(), List.of(), transientMessage, state.kind() == Kind.SYSTEM);
      }
      return;
    }
    Set<String> muted = Set.copyOf(state.muted());
    notices
        .online(appId, recipients)
        .whenComplete(
            (online, failure) -> {
              Set<String> present = online == null ? Set.of() : online;
              List<String> onlinePeers = recipients.stream().filter(present::contains).toList();
              List<String> offlinePeers =
                  recipients.stream().filter(peer -> !present.contains(peer)).toList();
              if (offlineHook && !offlinePeers.isEmpty()) {
                receiversOffline(message, offlinePeers, muted);
              }
              if (sentHook) {
                fireSent(message, onlinePeers, offlinePeers, false, false);
              }
            });
  }

  private void receiversOffline(
      StoredMessage message, List<String> offlinePeers, Set<String> muted) {
    ObjectNode params =
        JSON.createObjectNode()
            .put("fromPeer", message.from())
            .put("convId", cid)
            .put("content", message.data())
            .put("timestamp", message.timestamp())
            .put("mentionAll", message.mentionAll());
    params.set("offlinePeers", strings(offlinePeers));
    params.set(
        "mentionOfflinePeers",
        strings(
            message.mentionAll()
                ? List.of()
                : offlinePeers.stream().filter(message.mentionPids()::contains).toList()));
    hooks
        .call(appId, OFFLINE, params)
        .whenComplete(
            (outcome, failure) -> {
              if (!(outcome instanceof HookOutcome.Answered answer) || answer.refuses("skip")) {
                return;
              }
              List<String> filtered = peers(answer.get("offlinePeers"));
              List<String> targets = filtered != null ? filtered : offlinePeers;
              boolean force = answer.refuses("force");
              JsonNode payload =
                  answer.get("pushMessage").isTextual()
                      ? parse(answer.get("pushMessage").textValue())
                      : answer.get("pushMessage").isObject()
                          ? answer.get("pushMessage")
                          : parse(message.pushData());
              if (payload != null) {
                hooks
                    .offlinePush()
                    .push(
                        appId,
                        cid,
                        message.id(),
                        message.from(),
                        force
                            ? targets
                            : targets.stream().filter(peer -> !muted.contains(peer)).toList(),
                        payload,
                        force);
              }
            });
  }

  private void fireSent(
      StoredMessage message,
      List<String> onlinePeers,
      List<String> offlinePeers,
      boolean transientMessage,
      boolean system) {
    ObjectNode params =
        JSON.createObjectNode()
            .put("fromPeer", message.from())
            .put("convId", cid)
            .put("msgId", message.id())
            .put("transient", transientMessage)
            .put("system", system)
            .put("bin", message.binary())
            .put("content", message.data())
            .put("receipt", message.receipt())
            .put("timestamp", message.timestamp());
    params.set("onlinePeers", strings(onlinePeers));
    params.set("offlinePeers", strings(offlinePeers));
    hooks.fire(appId, SENT, params);
  }

  /**
   * {@code _messageUpdate} (§4.2) before a patch is applied; completes at once when the app has
   * none for the patch's edge.
   */
  java.util.concurrent.CompletionStage<HookOutcome> beforePatch(
      ConversationState state, Conversation.PatchMessage patch, long receivedAt) {
    if (!patchHookOn(patch)) {
      return java.util.concurrent.CompletableFuture.completedFuture(HookOutcome.Answered.PROCEED);
    }
    ObjectNode params =
        JSON.createObjectNode()
            .put("fromPeer", patch.requester())
            .put("convId", cid)
            .put("bin", patch.binary())
            .put("content", patch.data())
            .put("timestamp", receivedAt)
            .put("msgId", patch.messageId())
            .put("recall", patch.recall())
            .put("system", state.kind() == Kind.SYSTEM);
    params.set("toPeers", strings(ClientIds.others(state.members(), patch.requester())));
    return hooks.call(appId, UPDATE, params);
  }

  /**
   * Whether {@code patch} calls {@code _messageUpdate}: the app server's patches (REST, no {@code
   * origin}) only with {@code rest-messages} on.
   */
  boolean patchHookOn(Conversation.PatchMessage patch) {
    return on(UPDATE, patch.origin() == null);
  }

  /** One record of the system-conversation webhook, in LeanCloud's shape (§4.7). */
  private ObjectNode systemRecord(StoredMessage message) {
    ObjectNode record = JSON.createObjectNode();
    ObjectNode conv =
        record
            .putObject("conv")
            .put("__type", "Pointer")
            .put("className", "_Conversation")
            .put("objectId", cid);
    record.set("conv", conv);
    record
        .put("msgId", message.id())
        .put("from", message.from())
        .put("bin", message.binary())
        .put("data", message.data())
        .put("timestamp", message.timestamp());
    String iso = Instant.ofEpochMilli(message.timestamp()).toString();
    record.putObject("createdAt").put("__type", "Date").put("iso", iso);
    record.putObject("updatedAt").put("__type", "Date").put("iso", iso);
    return record;
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static JsonNode parse(String json) {
    if (json == null || json.isEmpty()) {
      return null;
    }
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      return JSON.getNodeFactory().textNode(json);
    }
  }
}
