package io.parley.protocol;

/** Input that cannot be understood, with the LeanCloud error code the peer should get. */
public final class ProtocolException extends Exception {
  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String detail) {
    super(detail);
    this.code = code;
  }

  public ProtocolException(ErrorCode code, String detail, Throwable cause) {
    super(detail, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
