package io.parley.node.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.protocol.Frame;
import java.util.Optional;

/**
 * Reads the request id of a JSON frame that the codec refused, so the client can get an error
 * reply.
 */
final class JsonPeek {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonPeek() {}

  static Optional<Integer> requestId(Frame frame) {
    if (!(frame instanceof Frame.Text text) || !text.text().stripLeading().startsWith("{")) {
      return Optional.empty();
    }
    try {
      JsonNode node = MAPPER.readTree(text.text());
      JsonNode id = node == null ? null : node.get("i");
      if (id != null && id.canConvertToInt() && id.isIntegralNumber() && node.hasNonNull("cmd")) {
        return Optional.of(id.intValue());
      }
    } catch (Exception malformed) {
      // not JSON at all: the caller closes the connection
    }
    return Optional.empty();
  }
}
