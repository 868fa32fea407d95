package io.parley.node.message;

import io.parley.node.serialization.CborSerializable;
import java.util.List;

/**
 * One message as stored and delivered: the payload is opaque (text, or base64 of binary bytes with
 * {@code binary}), the server adds id, sender and timestamp. {@code receipt} is the sender's {@code
 * r} flag; {@code pushData} (may be null) is kept for the offline-push hook (§7.8). {@code
 * toClients}: empty for a message to every member; else a per-user message of a service
 * conversation (REST-AND-HOOKS §3.3), which only those clients (and its sender) see: delivered,
 * counted unread, queued offline and read in history by them alone (README, service conversations).
 * {@code validTill}: a global broadcast's expiry (ms; 0: none): after it, it is no longer delivered
 * to who has not received it (offline queue, unread count).
 */
public record StoredMessage(
    String id,
    String from,
    long timestamp,
    String data,
    boolean binary,
    List<String> mentionPids,
    boolean mentionAll,
    boolean receipt,
    long patchTimestamp,
    boolean recalled,
    String pushData,
    List<String> toClients,
    long validTill)
    implements CborSerializable {

  public StoredMessage {
    toClients = toClients == null ? List.of() : List.copyOf(toClients);
  }

  /** A message to every member. */
  public StoredMessage(
      String id,
      String from,
      long timestamp,
      String data,
      boolean binary,
      List<String> mentionPids,
      boolean mentionAll,
      boolean receipt,
      long patchTimestamp,
      boolean recalled,
      String pushData) {
    this(
        id,
        from,
        timestamp,
        data,
        binary,
        mentionPids,
        mentionAll,
        receipt,
        patchTimestamp,
        recalled,
        pushData,
        List.of(),
        0);
  }

  /** Whether it may still be delivered at {@code now}: not an expired broadcast. */
  public boolean validAt(long now) {
    return validTill <= 0 || validTill > now;
  }

  /** Whether {@code clientId} may see it: a message to everyone, or one naming or sent by it. */
  public boolean visibleTo(String clientId) {
    return toClients.isEmpty() || toClients.contains(clientId) || from.equals(clientId);
  }

  /** The payload of a recalled message (§6.16). */
  public static final String RECALLED = "{\"_lctype\":-127}";

  public boolean mentions(String clientId) {
    return !from.equals(clientId) && (mentionAll || mentionPids.contains(clientId));
  }

  public StoredMessage patched(
      String newData,
      boolean newBinary,
      boolean recall,
      long at,
      List<String> newMentions,
      boolean newMentionAll) {
    return new StoredMessage(
        id,
        from,
        timestamp,
        recall ? RECALLED : newData,
        !recall && newBinary,
        recall ? List.of() : newMentions,
        !recall && newMentionAll,
        receipt,
        at,
        recall,
        pushData,
        toClients,
        validTill);
  }

  /** Size counted against the message cap: the payload in bytes. */
  public int payloadSize() {
    return binary
        ? (data.length() * 3) / 4
        : data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
