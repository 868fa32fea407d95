package io.parley.node.session;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.ConversationState.Kind;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.SelfJoin;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The session side of membership (docs/protocol.md §6.1–§6.3): {@code conv/start}, {@code add}
 * (invite or join) and {@code remove} (kick or quit), with the app's cloud hooks before and after;
 * a chatroom start or join attaches this session to the room ({@link Chatrooms}). Part of {@link
 * ConversationCommands}; the asks and error frames are {@link ConversationAsks}'.
 */
final class MembershipCommands {

  private final ConversationAsks asks;
  private final Chatrooms rooms;
  private final Conversations conversations;

  MembershipCommands(ConversationAsks asks, Chatrooms rooms) {
    this.asks = asks;
    this.rooms = rooms;
    this.conversations = new Conversations(asks.entities, asks.askTimeout);
  }

  /** conv/start (§6.1): normal, unique, chatroom or temporary; replies {@code started}. */
  void onStart(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String attributes = request.hasAttr() ? request.getAttr().getData() : "{}";
    if (!asks.validAttributes(command, clientId, attributes, true)) {
      return;
    }
    if (!asks.validClientIds(command, clientId, request.getMList())) {
      return;
    }
    Instant now = asks.clock.instant();
    Kind kind =
        request.getTransient()
            ? Kind.TRANSIENT
            : request.getTempConv() ? Kind.TEMPORARY : Kind.NORMAL;
    List<String> members = new ArrayList<>(request.getMList());
    if (!members.contains(clientId)) {
      members.add(clientId);
    }
    // Temporary conversations honour `unique` too (JS 5 sends it by default): the unexpired one of
    // the set.
    long ttlSeconds = kind == Kind.TEMPORARY ? temporaryTtl(request) : 0;
    // The app's _conversationStart may refuse, or give the attributes to create with.
    CompletionStage<Conversation.Reply> answer =
        asks.hooks
            .beforeStart(appId, clientId, members, attributes)
            .thenCompose(
                verdict ->
                    verdict.refusal() != null
                        ? CompletableFuture.completedFuture(verdict.refusal())
                        : conversations.start(
                            appId,
                            asks.access(appId).uniqueIdKey(),
                            clientId,
                            members,
                            ConversationHooks.attributes(verdict, attributes),
                            kind,
                            request.getUnique(),
                            ttlSeconds,
                            now));
    asks.pipe(
        answer,
        command,
        clientId,
        reply -> {
          Conversation.Snapshot conversation = ((Conversation.Created) reply).conversation();
          if (!((Conversation.Created) reply).existing()) {
            asks.hooks.started(appId, conversation.id());
          }
          ConvCommand.Builder started =
              ConvCommand.newBuilder()
                  .setCid(conversation.id())
                  .setCdate(Instant.ofEpochMilli(conversation.createdAt()).toString());
          if (conversation.uniqueId() != null) {
            started.setUniqueId(conversation.uniqueId());
          }
          if (((Conversation.Created) reply).existing()) {
            started.setExisting(true);
          }
          if (conversation.kind() == Kind.TEMPORARY) {
            // What is left of it: all of it when new, less when an existing unique one is returned.
            long left = Math.max(1, (conversation.expiresAt() - now.toEpochMilli() + 999) / 1000);
            started.setTempConv(true).setTempConvTTL((int) left);
          }
          if (conversation.kind() == Kind.TRANSIENT) {
            // The creator is in its chatroom (§6.1 step 3).
            String entityId = ConversationIds.entityId(appId, conversation.id());
            asks.entities
                .apply(entityId)
                .tell(new Conversation.JoinRoom(clientId, asks.inbox, null));
            rooms.join(clientId, entityId);
          }
          return Replies.replyTo(command, CommandType.conv, OpType.started, clientId)
              .setConvMessage(started)
              .build();
        });
  }

  private long temporaryTtl(ConvCommand request) {
    long requested =
        request.getTempConvTTL() > 0
            ? request.getTempConvTTL()
            : asks.limits.defaultTemporaryTtl().toSeconds();
    return Math.min(requested, asks.limits.maxTemporaryTtl().toSeconds());
  }

  // ---------------------------------------------------------------------------------------- add,
  // remove

  /** conv/add (§6.2): invite or join; a chatroom join attaches this session. */
  void onAdd(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String entityId = ConversationIds.entityId(appId, request.getCid());
    List<String> ids = request.getMCount() == 0 ? List.of(clientId) : request.getMList();
    if (!asks.validClientIds(command, clientId, ids)) {
      return;
    }
    SelfJoin selfJoin = SelfJoin.parse(asks.access(appId).selfJoin());
    CompletionStage<Conversation.Reply> answer =
        asks.hooks
            .beforeAdd(appId, clientId, request.getCid(), ids)
            .thenCompose(
                verdict ->
                    verdict.refusal() != null
                        ? CompletableFuture.completedFuture(verdict.refusal())
                        : Futures.direct(
                            asks.entities
                                .apply(entityId)
                                .ask(
                                    (ActorRef<Conversation.Reply> replyTo) ->
                                        new Conversation.Add(
                                            clientId,
                                            ids,
                                            asks.clock.millis(),
                                            asks.inbox,
                                            replyTo,
                                            selfJoin),
                                    asks.askTimeout)));
    asks.context.pipeToSelf(
        answer,
        (reply, failure) ->
            new SessionActor.AddAnswered(
                new AddAnswer(appId, clientId, command, entityId, reply, failure)));
  }

  /** The answer to a {@code conv/add}, back in the session actor. */
  record AddAnswer(
      String appId,
      String clientId,
      GenericCommand command,
      String entityId,
      Conversation.Reply reply,
      Throwable failure) {}

  /**
   * A {@code conv/add} was answered: the app's hook hears who was added, a chatroom this client
   * joined is delivered to this session from now on; returns the reply to send.
   */
  GenericCommand onAdded(AddAnswer answer) {
    String clientId = answer.clientId();
    if (answer.reply() instanceof Conversation.MembershipChanged changed) {
      asks.hooks.added(
          answer.appId(), clientId, answer.command().getConvMessage().getCid(), changed.allowed());
      if (changed.conversation().kind() == Kind.TRANSIENT && changed.allowed().contains(clientId)) {
        // The entity attached this session to its chatroom: this node now delivers the room to it.
        rooms.join(clientId, answer.entityId());
      }
    }
    return asks.toFrame(answer.command(), clientId, answer.reply(), answer.failure(), OpType.added);
  }

  /** conv/remove (§6.3): kick or quit; leaving a chatroom detaches this session. */
  void onRemove(String appId, String clientId, GenericCommand command) {
    ConvCommand request = command.getConvMessage();
    String entityId = ConversationIds.entityId(appId, request.getCid());
    List<String> ids = request.getMCount() == 0 ? List.of(clientId) : request.getMList();
    if (!asks.validClientIds(command, clientId, ids)) {
      return;
    }
    if (entityId.equals(rooms.of(clientId))) {
      List<String> others = ids.stream().filter(id -> !id.equals(clientId)).toList();
      if (ids.contains(clientId)) {
        rooms.leave(clientId);
      }
      asks.emit(
          asks.membership(
              command,
              clientId,
              ids.contains(clientId) ? List.of(clientId) : List.of(),
              asks.failed(ErrorCode.NORMAL_CONVERSATION_REQUIRED, others),
              OpType.removed));
      return;
    }
    asks.askAfter(
        asks.hooks.beforeRemove(appId, clientId, request.getCid(), ids),
        entityId,
        verdict -> replyTo -> new Conversation.Remove(clientId, ids, asks.clock.millis(), replyTo),
        command,
        clientId,
        reply -> {
          asks.hooks.removed(
              appId,
              clientId,
              request.getCid(),
              ((Conversation.MembershipChanged) reply).allowed());
          return asks.membershipReply(command, clientId, reply, OpType.removed);
        });
  }
}
