package io.parley.node.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.pekko.util.ByteString;

/**
 * The lean edge's framing over generated traffic: any text messages, each sent whole or in up to
 * three fragments with pings between them, arriving in TCP chunks of any size, come back as the
 * same messages in order, every ping answered in order (a pong may overtake the echo of the message
 * before: pings are answered as they are read, messages once the session has handled them).
 */
class LeanConnectionPropertyTest {

  @Provide
  Arbitrary<List<String>> messages() {
    // At most 3 bytes per char in this range: 16 chars stay under LeanConnectionTest's 64-byte cap.
    return Arbitraries.strings().withCharRange(' ', '\uD7FF').ofMaxLength(16).list().ofMaxSize(8);
  }

  @Property(tries = 100)
  void messages_in_any_fragments_and_chunks_come_back_whole_and_in_order(
      @ForAll("messages") List<String> messages,
      @ForAll @IntRange(min = 1, max = 3) int fragments,
      @ForAll @IntRange(min = 1, max = 40) int chunkSize)
      throws Exception {
    ByteString bytes = LeanConnectionTest.ascii(LeanConnectionTest.UPGRADE);
    List<String> expected = new ArrayList<>();
    for (String message : messages) {
      byte[] payload = message.getBytes(StandardCharsets.UTF_8);
      int parts = Math.min(fragments, Math.max(1, payload.length));
      for (int part = 0; part < parts; part++) {
        int from = payload.length * part / parts;
        int to = payload.length * (part + 1) / parts;
        byte[] slice = java.util.Arrays.copyOfRange(payload, from, to);
        bytes =
            bytes.concat(
                LeanConnectionTest.clientFrame(
                    part == parts - 1,
                    part == 0 ? WebSocketFrames.TEXT : WebSocketFrames.CONTINUATION,
                    slice));
        if (part < parts - 1) {
          bytes = bytes.concat(LeanConnectionTest.text(true, WebSocketFrames.PING, "p" + part));
          expected.add("10:p" + part);
        }
      }
      expected.add("1:echo:" + message);
    }
    List<ByteString> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.size(); i += chunkSize) {
      chunks.add(bytes.slice(i, Math.min(bytes.size(), i + chunkSize)));
    }
    expected.add("8:1000");
    // The client closes once every message is echoed, as a client that has its answers does.
    List<String> frames =
        LeanConnectionTest.parse(
                LeanConnectionTest.serveThenCloseAfter(
                    chunks, LeanConnectionTest.close(1000), messages.size()))
            .frames();
    assertEquals(only(expected, "1:"), only(frames, "1:"));
    assertEquals(only(expected, "10:"), only(frames, "10:"));
    assertEquals("8:1000", frames.get(frames.size() - 1));
    assertEquals(expected.size(), frames.size());
  }

  private static List<String> only(List<String> frames, String prefix) {
    return frames.stream().filter(frame -> frame.startsWith(prefix)).toList();
  }
}
