package io.parley.node.rest;

import java.util.Optional;

/**
 * The IM client a client-scoped call (REST-AND-HOOKS §2) is about: the one whose session token the
 * caller showed ({@code X-LC-IM-Session-Token} with {@code client_id}), or, with the master key,
 * any {@code client_id}. The app key alone names no client: 401.
 */
final class ClientScope {

  private ClientScope() {}

  static String client(Caller caller, Optional<String> clientId) {
    if (caller.imClient().isPresent()) {
      return caller.imClient().get();
    }
    if (!caller.master()) {
      throw RestError.clientRequired();
    }
    return clientId
        .filter(id -> !id.isEmpty())
        .orElseThrow(() -> RestError.badParameter("client_id is required"));
  }
}
