package io.parley.node.settings;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Reliable notifications ({@code parley.notifications}, docs/protocol.md §15): how long they are
 * kept per recipient, and how many one page of {@code /1.1/rtm/notifications} holds.
 */
public record NotificationSettings(Duration ttl, int pageSize) {

  static NotificationSettings fromConfig(Config notifications) {
    return new NotificationSettings(
        notifications.getDuration("ttl"), notifications.getInt("page-size"));
  }
}
