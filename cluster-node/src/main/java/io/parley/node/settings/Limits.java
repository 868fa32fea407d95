package io.parley.node.settings;

import com.typesafe.config.Config;

/**
 * What one client, one connection and one source address may make a node do ({@code parley.limits},
 * docs/protocol.md §17). Rates are per minute with a burst of the same size (token buckets); 0
 * turns a rate off.
 *
 * @param directPerMinute {@code direct} per client (LeanCloud: 60)
 * @param historyPerMinute {@code logs} per client (LeanCloud: 120)
 * @param opsPerMinute every other request of a client: conv/*, blacklist, patch, session/query
 *     (LeanCloud: 30)
 * @param receiptsPerMinute conversations named in {@code ack} and {@code read} per connection;
 *     beyond it they are skipped (positions are cumulative: a later one carries them), never
 *     refused
 * @param refusalsPerMinute refused requests a connection may collect before it is closed with 4116
 * @param sessionsPerConnection clients logged in on one connection
 * @param loginsPerAddressPerMinute {@code session/open} per source address, node-wide
 * @param trackedAddresses source addresses whose login rate is remembered at once (bounds the
 *     memory)
 * @param connectionsPerNode WebSocket connections one node holds; beyond it upgrades get HTTP 503
 * @param idsPerRequest ids in one request: {@code $in} on objectId, {@code tempConvIds}, {@code
 *     read}
 * @param onlineQueryIds ids in one {@code session/query}
 * @param mentionsPerMessage {@code mentionPids} of one message or edit
 * @param dedupTokenLength characters of a message's {@code dt}
 * @param attributesDepth nesting of a conversation's attributes (objects and arrays)
 */
public record Limits(
    int directPerMinute,
    int historyPerMinute,
    int opsPerMinute,
    int receiptsPerMinute,
    int refusalsPerMinute,
    int sessionsPerConnection,
    int loginsPerAddressPerMinute,
    int trackedAddresses,
    int connectionsPerNode,
    int idsPerRequest,
    int onlineQueryIds,
    int mentionsPerMessage,
    int dedupTokenLength,
    int attributesDepth) {

  /** The shipped defaults (application.conf). */
  public static final Limits DEFAULT =
      new Limits(60, 120, 30, 1200, 60, 16, 600, 100_000, 20_000, 100, 20, 20, 64, 16);

  /** Reads {@code parley.limits}. */
  static Limits fromConfig(Config root) {
    Config limits = root.getConfig("parley.limits");
    return new Limits(
        limits.getInt("direct-per-minute"),
        limits.getInt("history-per-minute"),
        limits.getInt("ops-per-minute"),
        limits.getInt("receipts-per-minute"),
        limits.getInt("refusals-per-minute"),
        limits.getInt("sessions-per-connection"),
        limits.getInt("logins-per-address-per-minute"),
        limits.getInt("tracked-addresses"),
        limits.getInt("connections-per-node"),
        limits.getInt("ids-per-request"),
        limits.getInt("online-query-ids"),
        limits.getInt("mentions-per-message"),
        limits.getInt("dedup-token-length"),
        limits.getInt("attributes-depth"));
  }
}
