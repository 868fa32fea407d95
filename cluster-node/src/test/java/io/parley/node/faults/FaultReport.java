package io.parley.node.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fault test checks once the traffic has stopped, and the figures it prints: every
 * acknowledged message stored exactly once (Cassandra read directly), no resend stored twice, every
 * member that stayed online got every other member's acknowledged message pushed live, every member
 * that was away finds them in history when back, and the longest time a client was away.
 */
final class FaultReport {

  private final String scenario;
  private final Traffic traffic;

  /**
   * A member online from this long before a message was stored until this long after its ack must
   * have had it pushed live.
   */
  private static final long LIVE_MARGIN_MS = 1000;

  private final Map<String, Integer> refusals = new TreeMap<>();
  private boolean requireLive = true;
  int lost;
  int duplicated;
  int missedLive;
  int missedAfterLogin;
  long slowestLivePush;
  long longestAway;
  long slowestAnswer;
  int unanswered;

  FaultReport(String scenario, Traffic traffic) {
    this.scenario = scenario;
    this.traffic = traffic;
  }

  /**
   * For a partition: a minority node's pushes to the majority are lost with it; those members catch
   * up at login.
   */
  FaultReport withoutLivePushes() {
    requireLive = false;
    return this;
  }

  /**
   * Reads everything back: Cassandra, the live pushes (after a quiet {@code settle}), history of
   * returning clients.
   */
  FaultReport collect(Duration settle) {
    Traffic.sleep(settle.toMillis());
    Map<String, List<Traffic.Message>> sentByCid = new HashMap<>();
    traffic.attempts.forEach(
        a -> sentByCid.computeIfAbsent(a.message().cid(), c -> new ArrayList<>()).add(a.message()));
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, List<Traffic.Message>> entry : sentByCid.entrySet()) {
      Map<String, Integer> stored = new HashMap<>();
      traffic.storedTexts(entry.getKey()).forEach(text -> stored.merge(text, 1, Integer::sum));
      for (Traffic.Message message : entry.getValue().stream().distinct().toList()) {
        int rows = stored.getOrDefault(message.text(), 0);
        if (traffic.acked.containsKey(message.text()) && rows == 0) {
          lost++;
          problems.add("acked, not stored: " + message);
        }
        if (rows > 1) {
          duplicated++;
          problems.add("stored " + rows + " times: " + message);
        }
      }
    }
    for (Traffic.Peer peer : traffic.peers()) {
      peer.awaitOnline(Duration.ofSeconds(30));
      longestAway =
          Math.max(longestAway, peer.absences.stream().mapToLong(Long::longValue).max().orElse(0));
      for (String cid : peer.conversations) {
        List<Traffic.Message> expected =
            traffic.acked.values().stream()
                .filter(m -> m.cid().equals(cid) && !m.sender().equals(peer.id))
                .toList();
        Map<String, Long> live = peer.received.getOrDefault(cid, Map.of());
        java.util.Set<String> history = null;
        for (Traffic.Message message : expected) {
          Long at = live.get(message.text());
          long ackedAt = traffic.ackedAt.get(message.text());
          // Pushed when stored: between its server time and the ack its sender saw (on a resend
          // after a lost answer, the push went out with the first write, seconds before).
          long storedAt = traffic.storedAt.getOrDefault(message.text(), ackedAt);
          if (at != null) {
            slowestLivePush = Math.max(slowestLivePush, at - ackedAt);
          } else if (requireLive && peer.onlineThroughout(cid, storedAt, ackedAt, LIVE_MARGIN_MS)) {
            missedLive++;
            problems.add(
                peer.id
                    + " was online and got no push of "
                    + message
                    + " (stored at "
                    + storedAt
                    + ", acked at "
                    + ackedAt
                    + ", online "
                    + peer.spans(cid)
                    + ")");
          } else {
            history = history != null ? history : peer.history(cid);
            if (!history.contains(message.text())) {
              missedAfterLogin++;
              problems.add(peer.id + " came back and does not see " + message);
            }
          }
        }
      }
    }
    for (Traffic.Attempt attempt : traffic.attempts) {
      if (attempt.outcome().startsWith("refused")) {
        refusals.merge(attempt.outcome().substring("refused ".length()), 1, Integer::sum);
      }
      if (attempt.outcome().equals("no answer")) {
        unanswered++;
      }
      slowestAnswer = Math.max(slowestAnswer, attempt.millis());
    }
    System.out.println(figures());
    problems.stream().limit(20).forEach(p -> System.out.println("[" + scenario + "] " + p));
    return this;
  }

  String figures() {
    return "["
        + scenario
        + "] acknowledged "
        + traffic.acked.size()
        + ", lost "
        + lost
        + ", duplicated "
        + duplicated
        + ", attempts "
        + traffic.attempts.size()
        + ", refused "
        + refusals
        + ", unanswered "
        + unanswered
        + ", slowest answer "
        + slowestAnswer
        + " ms, online members' missed pushes "
        + missedLive
        + " (slowest push "
        + slowestLivePush
        + " ms after the ack), missing after login "
        + missedAfterLogin
        + " (history reads refused and retried: "
        + traffic.historyRefusals.get()
        + ")"
        + ", longest time a client was away "
        + longestAway
        + " ms";
  }

  /**
   * The promise of every scenario: nothing acknowledged lost or stored twice, and nobody misses a
   * message.
   */
  FaultReport assertLossFree() {
    assertTrue(traffic.acked.size() > 0, scenario + ": no message was acknowledged at all");
    assertEquals(0, lost, scenario + ": acknowledged messages lost. " + figures());
    assertEquals(0, duplicated, scenario + ": messages stored twice. " + figures());
    assertEquals(0, missedLive, scenario + ": online members missed live pushes. " + figures());
    assertEquals(
        0, missedAfterLogin, scenario + ": members that came back miss messages. " + figures());
    assertTrue(
        traffic.unfinished.isEmpty(), scenario + ": sends never answered: " + traffic.unfinished);
    return this;
  }

  FaultReport assertBackWithin(Duration limit) {
    assertTrue(
        longestAway <= limit.toMillis(),
        scenario + ": a client was away " + longestAway + " ms. " + figures());
    return this;
  }

  FaultReport assertAnsweredWithin(Duration limit) {
    assertEquals(0, unanswered, scenario + ": sends got no answer. " + figures());
    assertTrue(
        slowestAnswer <= limit.toMillis(),
        scenario + ": a send took " + slowestAnswer + " ms. " + figures());
    return this;
  }

  Map<String, Integer> refusals() {
    return refusals;
  }
}
