package io.parley.node.conversation.query;

/**
 * One key of a {@code sort} string: {@code "-lm"} is {@code SortKey("lm", true)}. The path may be
 * dotted ({@code "attr.level"}).
 */
public record SortKey(String path, boolean descending) {

  public SortKey {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("empty sort key");
    }
  }

  @Override
  public String toString() {
    return descending ? "-" + path : path;
  }
}
