package io.parley.node.message;

import io.parley.node.serialization.CborSerializable;
import java.util.List;

/**
 * One message as stored and delivered: the payload is opaque (text, or base64 of binary bytes with
 * {@code binary}), the server adds id, sender and timestamp. {@code receipt} is the sender's {@code
 * r} flag; {@code pushData} (may be null) is kept for the offline-push hook (§7.8).
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
    String pushData)
    implements CborSerializable {

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
        pushData);
  }

  /** Size counted against the message cap: the payload in bytes. */
  public int payloadSize() {
    return binary
        ? (data.length() * 3) / 4
        : data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
