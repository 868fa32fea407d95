package io.parley.node.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.node.hooks.HookOutcome;
import io.parley.node.message.MessageArchive;
import io.parley.node.message.StoredMessage;
import io.parley.protocol.ErrorCode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Changes to stored messages of a {@link Conversation} entity: patch/modify, a sender's recall or
 * edit of its own message after the app's {@code _messageUpdate} hook (docs/protocol.md §6.16,
 * docs/hooks.md §4.2), and the app server's deletion of one message (REST-AND-HOOKS §3.1). A
 * message is found in the entity's {@link MessageLog} or else read from the archive; the change is
 * written, then the members are told. Handlers return the entity's effects; the entity routes its
 * commands here.
 */
final class ConversationEdits {

  private final Conversation entity;
  private final String appId;
  private final String cid;
  private final ActorContext<Conversation.Command> context;
  private final Notices notices;
  private final MessageArchive archive;
  private final Clock clock;
  private final MessageLog log;
  private final MessageHooks hooks;

  ConversationEdits(
      Conversation entity,
      String appId,
      String cid,
      ActorContext<Conversation.Command> context,
      Notices notices,
      MessageArchive archive,
      Clock clock,
      MessageLog log,
      MessageHooks hooks) {
    this.entity = entity;
    this.appId = appId;
    this.cid = cid;
    this.context = context;
    this.notices = notices;
    this.archive = archive;
    this.clock = clock;
    this.log = log;
    this.hooks = hooks;
  }

  /**
   * patch/modify: the app's {@code _messageUpdate} first, when it has one (docs/hooks.md §4.2),
   * then the patch.
   */
  ReplyEffect<Conversation.Event, ConversationState> onPatch(
      ConversationState state, Conversation.PatchMessage patch) {
    if (hooks.patchHookOn(patch)) {
      context.pipeToSelf(
          hooks.beforePatch(state, patch, clock.millis()),
          (outcome, failure) ->
              new Conversation.PatchHookAnswered(
                  patch, outcome != null ? outcome : HookOutcome.Answered.PROCEED));
      return entity.effects().noReply();
    }
    return patch(state, patch);
  }

  /**
   * {@code _messageUpdate} answered: {@code drop} refuses with 4405, {@code content}/{@code bin}
   * replace the edit.
   */
  ReplyEffect<Conversation.Event, ConversationState> onPatchHookAnswered(
      ConversationState state, Conversation.PatchHookAnswered answered) {
    Conversation.PatchMessage patch = answered.patch();
    if (!(answered.outcome() instanceof HookOutcome.Answered answer)) {
      return entity.reject(
          patch.replyTo(), ErrorCode.MESSAGE_UPDATE_REJECTED_BY_APP, "hook failed");
    }
    if (answer.refuses("drop")) {
      return entity.answer(
          patch.replyTo(),
          new Conversation.RejectedByApp(
              ErrorCode.MESSAGE_UPDATE_REJECTED_BY_APP, answer.appCode(), answer.appMessage()));
    }
    JsonNode content = answer.get("content");
    if (content.isTextual() && !patch.recall()) {
      boolean binary =
          answer.get("bin").isBoolean() ? answer.get("bin").booleanValue() : patch.binary();
      patch =
          new Conversation.PatchMessage(
              patch.requester(),
              patch.messageId(),
              patch.timestamp(),
              false,
              content.textValue(),
              binary,
              patch.mentionPids(),
              patch.mentionAll(),
              patch.origin(),
              patch.replyTo());
    }
    return patch(state, patch);
  }

  private ReplyEffect<Conversation.Event, ConversationState> patch(
      ConversationState state, Conversation.PatchMessage patch) {
    Optional<StoredMessage> recent = log.find(patch.messageId());
    if (recent.isPresent()) {
      return applyPatch(state, patch, recent.get());
    }
    context.pipeToSelf(
        ConversationMessaging.archive(archive, state)
            .find(appId, cid, patch.timestamp(), patch.messageId()),
        (original, failure) -> new Conversation.PatchLookedUp(patch, original, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onPatchLookedUp(
      ConversationState state, Conversation.PatchLookedUp found) {
    if (found.failure() != null) {
      return entity.reject(
          found.patch().replyTo(), ErrorCode.CONVERSATION_API_FAILED, "history unavailable, retry");
    }
    if (found.original().isEmpty()) {
      return entity.reject(
          found.patch().replyTo(),
          ErrorCode.MESSAGE_NOT_FOUND,
          "no message " + found.patch().messageId());
    }
    return applyPatch(state, found.patch(), found.original().get());
  }

  ReplyEffect<Conversation.Event, ConversationState> applyPatch(
      ConversationState state, Conversation.PatchMessage patch, StoredMessage original) {
    if (!original.from().equals(patch.requester())) {
      return entity.reject(
          patch.replyTo(),
          ErrorCode.MESSAGE_OWNERSHIP_REQUIRED,
          "only the sender may change " + original.id());
    }
    StoredMessage patched =
        original.patched(
            patch.data(),
            patch.binary(),
            patch.recall(),
            log.nextTimestamp(clock.millis()),
            patch.mentionPids(),
            patch.mentionAll());
    context.pipeToSelf(
        ConversationMessaging.archive(archive, state).update(appId, cid, patched),
        (done, failure) -> new Conversation.PatchWritten(patch, patched, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onPatchWritten(
      ConversationState state, Conversation.PatchWritten written) {
    if (written.failure() != null) {
      return entity.reject(
          written.patch().replyTo(), ErrorCode.CONVERSATION_API_FAILED, "patch not stored, retry");
    }
    log.replace(written.patched());
    List<String> toClients = written.patched().toClients();
    List<String> recipients = new ArrayList<>(state.members());
    if (!toClients.isEmpty()) {
      // A per-user message's edit goes to its recipients (and sender) only.
      recipients = new ArrayList<>(toClients);
      recipients.add(written.patched().from());
    }
    notices.send(
        appId, recipients, new Notice.Patched(cid, written.patched(), written.patch().origin()));
    return entity
        .effects()
        .reply(
            written.patch().replyTo(),
            new Conversation.PatchApplied(written.patched().patchTimestamp()));
  }

  ReplyEffect<Conversation.Event, ConversationState> onDeleteMessage(
      ConversationState state, Conversation.DeleteMessage delete) {
    log.remove(delete.messageId());
    context.pipeToSelf(
        ConversationMessaging.archive(archive, state)
            .delete(appId, cid, delete.timestamp(), delete.messageId()),
        (done, failure) -> new Conversation.MessageDeleted(delete, failure));
    return entity.effects().noReply();
  }

  ReplyEffect<Conversation.Event, ConversationState> onMessageDeleted(
      ConversationState state, Conversation.MessageDeleted deleted) {
    if (deleted.failure() != null) {
      return entity.reject(
          deleted.request().replyTo(),
          ErrorCode.CONVERSATION_API_FAILED,
          "message not deleted, retry");
    }
    return entity.answer(
        deleted.request().replyTo(), new Conversation.Accepted(entity.snapshot(state)));
  }
}
