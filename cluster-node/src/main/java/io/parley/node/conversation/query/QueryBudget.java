package io.parley.node.conversation.query;

/**
 * The work one query may do, shared by everything it evaluates (docs/protocol.md §6.4, §17): a step
 * per condition tested on a candidate and a step per character a {@code $regex} reads, backtracking
 * included. When it runs out the query stops with {@link Exceeded}, which the edges answer with
 * 4310 (CONVERSATION_QUERY_FAILED): one budget per query, so the cost of a query no longer grows
 * with candidates × members × conditions. Not thread-safe: one evaluation at a time.
 */
public final class QueryBudget {

  /** The query's budget ran out (no stack trace: it is an answer, not a bug). */
  public static final class Exceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Exceeded(long steps) {
      super("query too expensive: it needs more than " + steps + " steps", null, false, false);
    }
  }

  private final long steps;
  private long remaining;

  public QueryBudget(long steps) {
    if (steps <= 0) {
      throw new IllegalArgumentException("steps must be > 0: " + steps);
    }
    this.steps = steps;
    this.remaining = steps;
  }

  /** For callers that bound nothing (tests, the app's own queries). */
  public static QueryBudget unlimited() {
    return new QueryBudget(Long.MAX_VALUE);
  }

  /** Takes {@code n} steps. */
  void spend(long n) {
    remaining -= n;
    if (remaining < 0) {
      throw new Exceeded(steps);
    }
  }

  /** Steps used so far. */
  public long spent() {
    return steps - Math.max(0, remaining);
  }
}
