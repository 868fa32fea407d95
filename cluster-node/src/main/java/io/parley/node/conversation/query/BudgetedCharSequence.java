package io.parley.node.conversation.query;

/**
 * A string whose characters can be read only a bounded number of times. {@link
 * java.util.regex.Matcher} reads its input through {@link CharSequence#charAt}, so backtracking
 * costs reads: a pattern that would backtrack catastrophically ({@code (a+)+$}) runs out of budget
 * instead of stalling the thread.
 */
final class BudgetedCharSequence implements CharSequence {

  /** Thrown (without a stack trace) when the budget is spent. */
  static final class BudgetExceeded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetExceeded() {
      super("regex step budget exceeded", null, false, false);
    }
  }

  private final String text;
  private final int[] remaining;
  private final QueryBudget query;
  private final int offset;
  private final int length;

  /**
   * {@code budget} reads of {@code text} for this evaluation, each also taken from the whole {@code
   * query}'s.
   */
  BudgetedCharSequence(String text, int budget, QueryBudget query) {
    this(text, new int[] {budget}, query, 0, text.length());
  }

  private BudgetedCharSequence(
      String text, int[] remaining, QueryBudget query, int offset, int length) {
    this.text = text;
    this.remaining = remaining;
    this.query = query;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    if (--remaining[0] < 0) {
      throw new BudgetExceeded();
    }
    query.spend(1);
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException(index);
    }
    return text.charAt(offset + index);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    if (start < 0 || end > length || start > end) {
      throw new IndexOutOfBoundsException("[" + start + ", " + end + ") of " + length);
    }
    return new BudgetedCharSequence(text, remaining, query, offset + start, end - start);
  }

  @Override
  public String toString() {
    return text.substring(offset, offset + length);
  }
}
