package io.parley.node.logging;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run in its own JVM by {@link LogFormatTest}: logs as the node does, with the node's logback.xml,
 * then flushes.
 */
public final class LogProbe {

  private LogProbe() {}

  public static void main(String[] args) {
    Logger log = LoggerFactory.getLogger("io.parley.node.Main");
    log.info("Gateway listening on /127.0.0.1:8080 (http/ws)");
    log.warn("Writing 3 message(s) failed", new IllegalStateException("Cassandra timed out"));
    log.trace("tom <- direct {\"msg\":\"per-message traffic\"}");
    ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
  }
}
