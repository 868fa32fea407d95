package io.parley.node.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * What a blocking hook came to: the engine's {@code result}, or a failure and what the app's policy
 * makes of it.
 */
public sealed interface HookOutcome {

  /**
   * The hook answered 200 {@code {"result": …}}; {@code result} as the engine returned it: for the
   * realtime hooks an object, where anything else (nothing, {@code null}, a number) reads as {@code
   * {}}; for {@code _rtmClientSign} a boolean.
   */
  record Answered(JsonNode result) implements HookOutcome {
    /**
     * The hook is off, or failed under the {@code ignore} policy: the request proceeds unchanged.
     */
    public static final Answered PROCEED = new Answered(JsonNodeFactory.instance.objectNode());

    /** Whether the result is JSON {@code true} ({@code _rtmClientSign}'s "sign it"). */
    public boolean isTrue() {
      return result.isBoolean() && result.booleanValue();
    }

    /** A field of the result, {@code MissingNode} when absent (or the result is no object). */
    public JsonNode get(String field) {
      return result.path(field);
    }

    /**
     * Whether the hook asked to refuse the request ({@code drop} for message hooks, {@code reject}
     * for others).
     */
    public boolean refuses(String field) {
      JsonNode flag = result.path(field);
      return flag.isBoolean()
          ? flag.booleanValue()
          : flag.isNumber()
              ? flag.intValue() != 0
              : flag.isTextual()
                  && !flag.textValue().isEmpty()
                  && !flag.textValue().equals("false");
    }

    /** The app's {@code code}, or null. */
    public Integer appCode() {
      JsonNode code = result.path("code");
      return code.canConvertToInt()
          ? code.intValue()
          : code.isTextual() && code.textValue().matches("-?\\d{1,9}")
              ? Integer.valueOf(code.textValue())
              : null;
    }

    /** The app's {@code detail}, or null. */
    public String appMessage() {
      JsonNode detail = result.path("detail");
      return detail.isMissingNode() || detail.isNull()
          ? null
          : detail.isTextual() ? detail.textValue() : detail.toString();
    }
  }

  /**
   * The hook failed (timeout, refused connection, not 200) under the {@code reject} policy: refuse
   * the request.
   */
  record Failed(String reason) implements HookOutcome {}
}
