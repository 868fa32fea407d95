package io.parley.node.session;

import io.parley.protocol.wire.GenericCommand;

/**
 * The route table: every command a logged-in client can send, and the one method that handles it.
 * The session answers session commands itself ({@code session/*}, {@code echo}, {@code login});
 * everything else comes here. The README's "Commands" table lists the same routes.
 */
final class CommandRoutes {

  private final ConversationCommands conversations;
  private final MembershipCommands membership;
  private final ModerationCommands moderation;
  private final ConversationQueries queries;
  private final SendCommands sends;
  private final ReceiptCommands receipts;
  private final HistoryCommands history;

  CommandRoutes(ConversationCommands conversations, MessageCommands messages) {
    this.conversations = conversations;
    this.membership = conversations.membership();
    this.moderation = conversations.moderation();
    this.queries = conversations.queries();
    this.sends = messages.sends();
    this.receipts = messages.receipts();
    this.history = messages.history();
  }

  /**
   * Hands {@code command} to its handler; {@code false} when no route exists (the caller answers
   * it).
   */
  boolean route(String appId, String clientId, GenericCommand command) {
    switch (command.getCmd()) {
      case direct -> sends.onDirect(appId, clientId, command, conversations.roomOf(clientId));
      case ack -> receipts.onAck(appId, clientId, command);
      case read -> receipts.onRead(appId, clientId, command);
      case logs -> history.onLogs(appId, clientId, command);
      case patch -> {
        return switch (command.getOp()) {
          case modify -> run(() -> sends.onPatch(appId, clientId, command));
          default -> false;
        };
      }
      case conv -> {
        return conv(appId, clientId, command);
      }
      case blacklist -> {
        return switch (command.getOp()) {
          case block, unblock, query ->
              run(
                  () -> {
                    conversations.track(command);
                    moderation.onBlacklist(appId, clientId, command);
                  });
          default -> false;
        };
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private boolean conv(String appId, String clientId, GenericCommand command) {
    switch (command.getOp()) {
      case start -> membership.onStart(appId, clientId, command);
      case query -> queries.onQuery(appId, clientId, command);
      case max_read -> receipts.onMaxRead(appId, clientId, command);
      case add,
          remove,
          update,
          mute,
          unmute,
          count,
          is_member,
          members,
          member_info_update,
          add_shutup,
          remove_shutup,
          query_shutup -> {
        conversations.track(command);
        if (!conversations.hasCid(clientId, command)) {
          return true;
        }
        switch (command.getOp()) {
          case add -> membership.onAdd(appId, clientId, command);
          case remove -> membership.onRemove(appId, clientId, command);
          case update -> moderation.onUpdate(appId, clientId, command);
          case mute, unmute -> moderation.onMute(appId, clientId, command);
          case count -> queries.onCount(appId, clientId, command);
          case is_member, members -> queries.onMembers(appId, clientId, command);
          case member_info_update -> moderation.onMemberInfoUpdate(appId, clientId, command);
          case add_shutup, remove_shutup -> moderation.onShutup(appId, clientId, command);
          default -> moderation.onQueryShutup(appId, clientId, command);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static boolean run(Runnable handler) {
    handler.run();
    return true;
  }
}
