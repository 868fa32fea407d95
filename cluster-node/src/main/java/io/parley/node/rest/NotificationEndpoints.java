package io.parley.node.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.conversation.ReliableNotifications;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Reliable notifications (REST-AND-HOOKS §2.2, docs/protocol.md §15): {@code GET
 * /1.1/rtm/notifications}, which the JS SDK 5 calls after every reconnect with its IM session
 * token, {@code client_id}, {@code start_ts} (the {@code serverTs} of the last notification it saw)
 * and {@code notification_type=permanent}. The master key may read any {@code client_id}'s.
 */
public final class NotificationEndpoints extends RestEndpoints {

  private final ReliableNotifications notifications;

  public NotificationEndpoints(ReliableNotifications notifications) {
    this.notifications = notifications;
  }

  @Override
  public Route routes(Caller caller) {
    return path(
        rtm("notifications"),
        () ->
            get(
                () ->
                    parameterOptional(
                        "client_id",
                        clientId ->
                            parameterOptional(
                                "start_ts",
                                startTs ->
                                    parameterOptional(
                                        "notification_type",
                                        type -> {
                                          String client = ClientScope.client(caller, clientId);
                                          if (type.isPresent() && !type.get().equals("permanent")) {
                                            throw RestError.badParameter(
                                                "notification_type must be permanent");
                                          }
                                          long since = longParameter(startTs, "start_ts", 0);
                                          if (since < 0) {
                                            throw RestError.badParameter(
                                                "start_ts must not be negative");
                                          }
                                          return reply(
                                              notifications
                                                  .since(caller.appId(), client, since)
                                                  .thenApply(NotificationEndpoints::body));
                                        })))));
  }

  private static ObjectNode body(ReliableNotifications.Page page) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode list = body.putArray("notifications");
    for (String notification : page.notifications()) {
      try {
        list.add(JSON.readTree(notification));
      } catch (com.fasterxml.jackson.core.JsonProcessingException corrupt) {
        throw new UncheckedIOException(corrupt);
      }
    }
    body.put("hasMore", page.hasMore());
    return body;
  }
}
