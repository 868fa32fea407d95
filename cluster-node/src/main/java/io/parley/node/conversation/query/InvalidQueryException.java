package io.parley.node.conversation.query;

/**
 * A {@code conv/query} that cannot be evaluated: malformed JSON, a wrong operand type, an
 * unsupported operator, a bad regex, a negative limit/skip, a query nested too deeply... The
 * message names the offending part and is safe to show to the client.
 */
public final class InvalidQueryException extends Exception {

  private static final long serialVersionUID = 1L;

  public InvalidQueryException(String message) {
    super(message);
  }

  public InvalidQueryException(String message, Throwable cause) {
    super(message, cause);
  }
}
