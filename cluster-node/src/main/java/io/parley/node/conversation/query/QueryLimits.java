package io.parley.node.conversation.query;

/**
 * Bounds applied to a {@code conv/query}.
 *
 * @param defaultLimit results returned when the request has no {@code limit} (LeanCloud: 10)
 * @param maxLimit largest honoured {@code limit}; a larger one is clamped to it (LeanCloud: 1000)
 * @param maxLogicalDepth deepest allowed nesting of {@code $and}/{@code $or} (the top level is
 *     depth 0)
 * @param maxRegexLength longest accepted {@code $regex} pattern, in chars
 * @param regexStepBudget characters a single regex evaluation against one document value may read
 *     (backtracking re-reads count); an evaluation that exceeds it counts as "no match"
 */
public record QueryLimits(
    int defaultLimit, int maxLimit, int maxLogicalDepth, int maxRegexLength, int regexStepBudget) {

  public static final int DEFAULT_MAX_LOGICAL_DEPTH = 32;
  public static final int DEFAULT_MAX_REGEX_LENGTH = 1024;
  public static final int DEFAULT_REGEX_STEP_BUDGET = 100_000;

  /** LeanCloud's values: limit 10 by default, at most 1000. */
  public static final QueryLimits DEFAULT = new QueryLimits(10, 1000);

  public QueryLimits {
    if (maxLimit < 0) {
      throw new IllegalArgumentException("maxLimit must be >= 0: " + maxLimit);
    }
    if (defaultLimit < 0 || defaultLimit > maxLimit) {
      throw new IllegalArgumentException("defaultLimit must be in [0, maxLimit]: " + defaultLimit);
    }
    if (maxLogicalDepth < 0) {
      throw new IllegalArgumentException("maxLogicalDepth must be >= 0: " + maxLogicalDepth);
    }
    if (maxRegexLength < 0) {
      throw new IllegalArgumentException("maxRegexLength must be >= 0: " + maxRegexLength);
    }
    if (regexStepBudget <= 0) {
      throw new IllegalArgumentException("regexStepBudget must be > 0: " + regexStepBudget);
    }
  }

  /** The given limits with the default depth, regex length and regex budget. */
  public QueryLimits(int defaultLimit, int maxLimit) {
    this(
        defaultLimit,
        maxLimit,
        DEFAULT_MAX_LOGICAL_DEPTH,
        DEFAULT_MAX_REGEX_LENGTH,
        DEFAULT_REGEX_STEP_BUDGET);
  }
}
