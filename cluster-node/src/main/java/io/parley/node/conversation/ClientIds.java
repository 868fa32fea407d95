package io.parley.node.conversation;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * Lists of client ids as the {@link Conversation} handlers and hooks use them: a request's ids
 * without repeats, and who else gets a notice or a message.
 */
final class ClientIds {

  private ClientIds() {}

  /** {@code clientIds} without {@code except}, in order. */
  static List<String> others(List<String> clientIds, String except) {
    return clientIds.stream().filter(id -> !id.equals(except)).toList();
  }

  /** {@code clientIds} without repeats, in order of first appearance. */
  static List<String> distinct(List<String> clientIds) {
    return List.copyOf(new LinkedHashSet<>(clientIds));
  }
}
