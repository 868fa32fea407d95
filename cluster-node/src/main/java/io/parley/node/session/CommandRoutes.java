package io.parley.node.session;

import io.parley.protocol.wire.GenericCommand;

/**
 * The route table: every command a logged-in client can send, and the one method that handles it.
 * The session answers session commands itself ({@code session/*}, {@code echo}, {@code login});
 * everything else comes here. The README's "Commands" table lists the same routes.
 */
final class CommandRoutes {

  private final ConversationCommands conversations;
  private final MessageCommands messages;

  CommandRoutes(ConversationCommands conversations, MessageCommands messages) {
    this.conversations = conversations;
    this.messages = messages;
  }

  /**
   * Hands {@code command} to its handler; {@code false} when no route exists (the caller answers
   * it).
   */
  boolean route(String appId, String clientId, GenericCommand command) {
    switch (command.getCmd()) {
      case direct -> messages.onDirect(appId, clientId, command, conversations.roomOf(clientId));
      case ack -> messages.onAck(appId, clientId, command);
      case read -> messages.onRead(appId, clientId, command);
      case logs -> messages.onLogs(appId, clientId, command);
      case patch -> {
        return switch (command.getOp()) {
          case modify -> run(() -> messages.onPatch(appId, clientId, command));
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
                    conversations.onBlacklist(appId, clientId, command);
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
      case start -> conversations.onStart(appId, clientId, command);
      case query -> conversations.onQuery(appId, clientId, command);
      case max_read -> messages.onMaxRead(appId, clientId, command);
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
          case add -> conversations.onAdd(appId, clientId, command);
          case remove -> conversations.onRemove(appId, clientId, command);
          case update -> conversations.onUpdate(appId, clientId, command);
          case mute, unmute -> conversations.onMute(appId, clientId, command);
          case count -> conversations.onCount(appId, clientId, command);
          case is_member, members -> conversations.onMembers(appId, clientId, command);
          case member_info_update -> conversations.onMemberInfoUpdate(appId, clientId, command);
          case add_shutup, remove_shutup -> conversations.onShutup(appId, clientId, command);
          default -> conversations.onQueryShutup(appId, clientId, command);
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
