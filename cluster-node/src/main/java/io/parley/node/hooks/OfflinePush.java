package io.parley.node.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Where offline recipients' push notifications go (docs/hooks.md §4.2: after {@code
 * _receiversOffline}). Parley has no push provider yet: the default logs the request; an APNs/FCM
 * sender implements this interface.
 */
public interface OfflinePush {

  /**
   * A message reached {@code cid} while {@code clientIds} were offline; {@code payload} is the push
   * payload (the hook's {@code pushMessage}, or the message's own {@code pushData}), {@code force}
   * pushes to muted members.
   */
  void push(
      String appId,
      String cid,
      String messageId,
      String from,
      List<String> clientIds,
      JsonNode payload,
      boolean force);

  /** Logs every request at DEBUG (the payload may carry personal data: never above DEBUG). */
  OfflinePush LOGGED =
      new OfflinePush() {
        private final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OfflinePush.class);

        @Override
        public void push(
            String appId,
            String cid,
            String messageId,
            String from,
            List<String> clientIds,
            JsonNode payload,
            boolean force) {
          log.debug(
              "Offline push for {} recipient(s) of message {} in {} (no push provider configured)",
              clientIds.size(),
              messageId,
              cid);
        }
      };
}
