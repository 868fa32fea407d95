package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plain JUnit regression cases for what {@link CodecPropertyFuzzTest} found (issue 10 item 8). */
class FuzzRegressionTest {

  /**
   * Found by the fuzz: a protobuf or base64 client may send a JSON-object field ({@code attr},
   * {@code msg}, ...) whose text is JSON nested 999 or 1000 deep. Our reader accepts it (limit
   * 1000), but written as a JSON value inside the flat command (depth 1) or a nested sub-message
   * (depth 2) the frame exceeded Jackson's write limit (1000) and {@code JsonCodec.encode} threw
   * UncheckedIOException while relaying it to a JSON peer. It is now written as a string, as text
   * beyond the reader's limit already was.
   */
  @ParameterizedTest
  @ValueSource(ints = {997, 998, 999, 1000, 1001})
  void json_text_nested_up_to_the_write_limit_still_encodes_as_json(int depth) throws Exception {
    for (String deep :
        new String[] {
          "[".repeat(depth) + "]".repeat(depth),
          "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1)
        }) {
      ConvCommand conv =
          ConvCommand.newBuilder().setAttr(JsonObjectMessage.newBuilder().setData(deep)).build();
      GenericCommand flat =
          GenericCommand.newBuilder().setCmd(CommandType.conv).setConvMessage(conv).build();
      GenericCommand nested =
          GenericCommand.newBuilder().setCmd(CommandType.direct).setConvMessage(conv).build();
      for (GenericCommand command : new GenericCommand[] {flat, nested}) {
        GenericCommand decoded = Codecs.protobuf().decode(Codecs.protobuf().encode(command));
        Frame json = Codecs.json().encode(decoded);
        assertEquals(command, Codecs.json().decode(json));
        assertEquals(null, FuzzOracle.reencode(Codecs::protobuf, Codecs.protobuf(), decoded));
      }
    }
  }

  /**
   * Found by the fuzz: JSON text may carry an unpaired UTF-16 surrogate ({@code "\ud800"}), which
   * has no UTF-8 form. The JSON codec kept it, so every protobuf serialization of the command
   * (relay to a protobuf or base64 peer, storage) silently wrote {@code ?} and made protobuf-java
   * log a WARNING with a stack trace: any JSON client could flood a node's log. Strings read from
   * JSON now get U+FFFD in place of an unpaired surrogate.
   */
  @Test
  void an_unpaired_surrogate_in_json_becomes_u_fffd_and_relays_to_protobuf_unchanged()
      throws Exception {
    java.util.logging.Logger protobufLog =
        java.util.logging.Logger.getLogger("com.google.protobuf");
    java.util.List<java.util.logging.LogRecord> logged =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler handler =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            logged.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    protobufLog.addHandler(handler);
    try {
      GenericCommand direct =
          Codecs.json()
              .decode(
                  new Frame.Text(
                      "{\"cmd\":\"direct\",\"peerId\":\"a\\ud800b\",\"msg\":\"x\\udc00\ud83d\ude00\"}"));
      assertEquals("a\ufffdb", direct.getPeerId());
      assertEquals("x\ufffd\ud83d\ude00", direct.getDirectMessage().getMsg()); // a pair is kept
      GenericCommand conv =
          Codecs.json()
              .decode(
                  new Frame.Text(
                      "{\"cmd\":\"conv\",\"attr\":{\"k\\ud800\":\"\\udfff\"},\"cdate\":\"\ud800\"}"));
      assertEquals("{\"k\ufffd\":\"\ufffd\"}", conv.getConvMessage().getAttr().getData());
      for (GenericCommand command : new GenericCommand[] {direct, conv}) {
        assertEquals(command, Codecs.protobuf().decode(Codecs.protobuf().encode(command)));
        assertEquals(command, Codecs.base64().decode(Codecs.base64().encode(command)));
      }
      assertEquals(
          java.util.List.of(),
          logged.stream().map(java.util.logging.LogRecord::getMessage).toList());
    } finally {
      protobufLog.removeHandler(handler);
    }
  }

  // ------------------------------------------------------------------------------ the oracle
  // catches what it must

  private static CommandCodec decoding(Supplier<GenericCommand> decode) {
    return new CommandCodec() {
      @Override
      public GenericCommand decode(Frame frame) {
        return decode.get();
      }

      @Override
      public Frame encode(GenericCommand command) {
        return Codecs.json().encode(command);
      }
    };
  }

  private static String failure(CommandCodec codec) {
    AssertionError error =
        assertThrows(
            AssertionError.class,
            () -> FuzzOracle.check("self-test", "self-test", () -> codec, new Frame.Text("{}")));
    return error.getMessage();
  }

  @Test
  void the_oracle_fails_an_escaping_exception_a_stack_overflow_a_hang_and_a_protobuf_warning() {
    assertTrue(
        failure(
                decoding(
                    () -> {
                      throw new IllegalStateException("boom");
                    }))
            .contains("IllegalStateException"));
    assertTrue(
        failure(
                decoding(
                    () -> {
                      throw new StackOverflowError();
                    }))
            .contains("StackOverflowError"));
    assertTrue(
        failure(
                decoding(
                    () -> {
                      try {
                        Thread.sleep(10 * FuzzOracle.LIMIT_MS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return GenericCommand.getDefaultInstance();
                    }))
            .contains("took more than"));
    assertTrue(
        failure(
                decoding(
                    () -> {
                      java.util.logging.Logger.getLogger("com.google.protobuf.Test")
                          .warning("fuzz self-test: a logged warning");
                      return GenericCommand.getDefaultInstance();
                    }))
            .contains("protobuf-java logged"));
    // and a codec that decodes and re-encodes is fine
    FuzzOracle.check("self-test", "self-test", Codecs::json, new Frame.Text("{}"));
  }
}
