package io.parley.node.settings;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How new messages are written ({@code parley.messages}): the write consistency, the group commit's
 * batch bounds and writes in flight, the queue before refusing, and a write's timeout.
 */
public record MessageWrites(
    String writeConsistency,
    int batchMaxStatements,
    int batchMaxBytes,
    int writesInFlight,
    int maxQueuedWrites,
    Duration writeTimeout) {

  static MessageWrites fromConfig(Config messages) {
    return new MessageWrites(
        messages.getString("write-consistency"),
        messages.getInt("batch-max-statements"),
        Math.toIntExact(messages.getBytes("batch-max-bytes")),
        messages.getInt("writes-in-flight"),
        messages.getInt("max-queued-writes"),
        messages.getDuration("write-timeout"));
  }
}
