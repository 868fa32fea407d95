package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.settings.Limits;
import org.junit.jupiter.api.Test;

/**
 * A connection's request rates (docs/protocol.md §17), and the node's warm-up connections, whose
 * rates are lifted (they send bursts of 100 messages) but still counted.
 */
class ClientRatesTest {

  @Test
  void the_sixty_first_message_in_a_minute_is_refused() {
    ClientRates rates = new ClientRates(Limits.DEFAULT);
    assertEquals(60, taken(rates, ClientRates.Kind.DIRECT, 61));
    assertTrue(rates.tryTake("Jerry", ClientRates.Kind.DIRECT, 1), "each client has its own");
  }

  @Test
  void a_warm_up_connection_sends_its_bursts() {
    ClientRates rates = new ClientRates(Limits.DEFAULT);
    rates.lift();
    assertEquals(1000, taken(rates, ClientRates.Kind.DIRECT, 1000));
    assertEquals(1500, taken(rates, ClientRates.Kind.RECEIPTS, 1500));
    assertEquals(100, taken(rates, ClientRates.Kind.OPS, 100));
  }

  @Test
  void a_rate_turned_off_stays_off_for_every_connection() {
    Limits off = new Limits(0, 0, 0, 0, 60, 16, 600, 100_000, 20_000, 100, 20, 20, 64, 16);
    ClientRates rates = new ClientRates(off);
    assertEquals(5000, taken(rates, ClientRates.Kind.DIRECT, 5000));
    rates.lift();
    assertEquals(5000, taken(rates, ClientRates.Kind.RECEIPTS, 5000));
  }

  @Test
  void lifting_one_connection_leaves_the_others_limited() {
    ClientRates warmUp = new ClientRates(Limits.DEFAULT);
    warmUp.lift();
    ClientRates other = new ClientRates(Limits.DEFAULT);
    assertEquals(200, taken(warmUp, ClientRates.Kind.DIRECT, 200));
    assertEquals(60, taken(other, ClientRates.Kind.DIRECT, 200));
    assertFalse(other.tryTake("Tom", ClientRates.Kind.DIRECT, 1));
  }

  /** How many of {@code tries} single requests of Tom's were taken. */
  private static int taken(ClientRates rates, ClientRates.Kind kind, int tries) {
    int taken = 0;
    for (int n = 0; n < tries; n++) {
      if (rates.tryTake("Tom", kind, 1)) {
        taken++;
      }
    }
    return taken;
  }
}
