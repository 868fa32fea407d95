package io.parley.node.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * The HTTP/1.1 request head the lean edge reads itself: just enough to tell a WebSocket upgrade
 * (RFC 6455 §4.2.1) from anything else, which Pekko HTTP then parses again from the same bytes.
 */
record RequestHead(String method, String target, String version, List<String[]> headers) {

  /** The index just past the blank line that ends the head, or -1 while it has not arrived. */
  static int end(ByteString buffer) {
    for (int i = 3; i < buffer.size(); i++) {
      if (buffer.apply(i) == '\n'
          && buffer.apply(i - 1) == '\r'
          && buffer.apply(i - 2) == '\n'
          && buffer.apply(i - 3) == '\r') {
        return i + 1;
      }
    }
    return -1;
  }

  /** Compiled once: {@code String.split("\r\n")} compiles its regex on every call. */
  private static final java.util.regex.Pattern LINES = java.util.regex.Pattern.compile("\r\n");

  /** The head in {@code bytes} (ending with the blank line), or empty when it is not HTTP/1.x. */
  static Optional<RequestHead> parse(ByteString bytes) {
    String[] lines = LINES.split(bytes.decodeString(StandardCharsets.ISO_8859_1));
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
      return Optional.empty();
    }
    List<String[]> headers = new ArrayList<>(lines.length - 1);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        return Optional.empty();
      }
      headers.add(
          new String[] {lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()});
    }
    return Optional.of(new RequestHead(requestLine[0], requestLine[1], requestLine[2], headers));
  }

  Optional<String> header(String name) {
    for (String[] header : headers) {
      if (header[0].equalsIgnoreCase(name)) {
        return Optional.of(header[1]);
      }
    }
    return Optional.empty();
  }

  /** The comma-separated values of every {@code name} header, in order, trimmed, none empty. */
  List<String> values(String name) {
    List<String> values = new ArrayList<>();
    for (String[] header : headers) {
      if (header[0].equalsIgnoreCase(name)) {
        for (String value : header[1].split(",")) {
          if (!value.isBlank()) {
            values.add(value.trim());
          }
        }
      }
    }
    return values;
  }

  String path() {
    int query = target.indexOf('?');
    return query < 0 ? target : target.substring(0, query);
  }

  String rawQuery() {
    int query = target.indexOf('?');
    return query < 0 ? "" : target.substring(query + 1);
  }

  /**
   * A complete WebSocket opening handshake as Pekko HTTP accepts one; anything less goes to Pekko
   * HTTP, which answers it as it always did.
   */
  boolean webSocketUpgrade() {
    return method.equals("GET")
        && version.equals("HTTP/1.1")
        && values("Upgrade").stream().anyMatch(value -> value.equalsIgnoreCase("websocket"))
        && values("Connection").stream().anyMatch(value -> value.equalsIgnoreCase("upgrade"))
        && header("Sec-WebSocket-Key").filter(key -> !key.isEmpty()).isPresent()
        && header("Sec-WebSocket-Version").map(v -> v.equals("13")).orElse(false);
  }

  /** For logs: never the headers (they may carry credentials). */
  @Override
  public String toString() {
    return method + " " + path().toLowerCase(Locale.ROOT);
  }
}
