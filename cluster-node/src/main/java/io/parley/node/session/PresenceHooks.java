package io.parley.node.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.hooks.Hooks;
import io.parley.protocol.ErrorCode;

/**
 * {@code _clientOnline} and {@code _clientOffline} (docs/hooks.md §4.4), fire-and-forget: after a
 * successful {@code session/open}, and when a login ends, with LeanCloud's close codes (1 logout, 2
 * connection lost, 3 kicked by a login with the same tag, 4 kicked by the app) and, when the server
 * closed the connection, its error code.
 */
final class PresenceHooks {

  static final String ONLINE = "_clientOnline";
  static final String OFFLINE = "_clientOffline";
  static final int LOGOUT = 1;
  static final int CONNECTION_LOST = 2;
  static final int KICKED_BY_TAG = 3;
  static final int KICKED_BY_APP = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Hooks hooks;

  PresenceHooks(Hooks hooks) {
    this.hooks = hooks;
  }

  void online(String appId, String clientId, String sourceIp, String tag, boolean reconnect) {
    if (!hooks.on(appId, ONLINE)) {
      return;
    }
    ObjectNode params =
        JSON.createObjectNode()
            .put("peerId", clientId)
            .put("sourceIP", sourceIp)
            .put("reconnect", reconnect ? 1 : 0);
    if (tag != null) {
      params.put("tag", tag);
    }
    hooks.fire(appId, ONLINE, params);
  }

  /**
   * {@code sourceIp} is left out when the connection dropped, as LeanCloud did; {@code error} is
   * the code the server closed the connection with (4107, 4108, 4109, 4114, 4200), or null.
   */
  void offline(
      String appId, String clientId, int closeCode, String sourceIp, String tag, ErrorCode error) {
    if (!hooks.on(appId, OFFLINE)) {
      return;
    }
    ObjectNode params =
        JSON.createObjectNode()
            .put("peerId", clientId)
            .put("closeCode", closeCode)
            .put(
                "closeMsg",
                switch (closeCode) {
                  case LOGOUT -> "client logged out";
                  case KICKED_BY_TAG -> "kicked by a login with the same tag";
                  case KICKED_BY_APP -> "kicked by the app";
                  default -> "connection lost";
                });
    if (closeCode != CONNECTION_LOST && sourceIp != null) {
      params.put("sourceIP", sourceIp);
    }
    if (tag != null) {
      params.put("tag", tag);
    }
    if (error != null) {
      params.put("errorCode", error.code()).put("errorMsg", error.reason());
    }
    hooks.fire(appId, OFFLINE, params);
  }
}
