package io.parley.node.conversation.query;

/**
 * A string whose characters can be read only a bounded number of times. {@link java.util.regex.Matcher}
 * reads its input through {@link CharSequence#charAt}, so backtracking costs reads: a pattern that would
 * backtrack catastrophically ({@code (a+)+$}) runs out of budget instead of stalling the thread.
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
  private final int offset;
  private final int length;

  BudgetedCharSequence(String text, int budget) {
    this(text, new int[] {budget}, 0, text.length());
  }

  private BudgetedCharSequence(String text, int[] remaining, int offset, int length) {
    this.text = text;
    this.remaining = remaining;
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
    return new BudgetedCharSequence(text, remaining, offset + start, end - start);
  }

  @Override
  public String toString() {
    return text.substring(offset, offset + length);
  }
}
