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
   * Found by the fuzz: a protobuf or base64 client may send a JSON-object field ({@code attr}, {@code msg}, ...)
   * whose text is JSON nested 999 or 1000 deep. Our reader accepts it (limit 1000), but written as a JSON value
   * inside the flat command (depth 1) or a nested sub-message (depth 2) the frame exceeded Jackson's write limit
   * (1000) and {@code JsonCodec.encode} threw UncheckedIOException while relaying it to a JSON peer. It is now
   * written as a string, as text beyond the reader's limit already was.
   */
  @ParameterizedTest
  @ValueSource(ints = {997, 998, 999, 1000, 1001})
  void json_text_nested_up_to_the_write_limit_still_encodes_as_json(int depth) throws Exception {
    for (String deep : new String[] {"[".repeat(depth) + "]".repeat(depth), "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1)}) {
      ConvCommand conv = ConvCommand.newBuilder().setAttr(JsonObjectMessage.newBuilder().setData(deep)).build();
      GenericCommand flat = GenericCommand.newBuilder().setCmd(CommandType.conv).setConvMessage(conv).build();
      GenericCommand nested = GenericCommand.newBuilder().setCmd(CommandType.direct).setConvMessage(conv).build();
      for (GenericCommand command : new GenericCommand[] {flat, nested}) {
        GenericCommand decoded = Codecs.protobuf().decode(Codecs.protobuf().encode(command));
        Frame json = Codecs.json().encode(decoded);
        assertEquals(command, Codecs.json().decode(json));
        assertEquals(null, FuzzOracle.reencode(Codecs::protobuf, Codecs.protobuf(), decoded));
      }
    }
  }

  // ------------------------------------------------------------------------------ the oracle catches what it must

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
    AssertionError error = assertThrows(AssertionError.class,
        () -> FuzzOracle.check("self-test", "self-test", () -> codec, new Frame.Text("{}")));
    return error.getMessage();
  }

  @Test
  void the_oracle_fails_an_escaping_exception_a_stack_overflow_and_a_hang() {
    assertTrue(failure(decoding(() -> {
      throw new IllegalStateException("boom");
    })).contains("IllegalStateException"));
    assertTrue(failure(decoding(() -> {
      throw new StackOverflowError();
    })).contains("StackOverflowError"));
    assertTrue(failure(decoding(() -> {
      try {
        Thread.sleep(10 * FuzzOracle.LIMIT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return GenericCommand.getDefaultInstance();
    })).contains("took more than"));
    // and a codec that decodes and re-encodes is fine
    FuzzOracle.check("self-test", "self-test", Codecs::json, new Frame.Text("{}"));
  }
}
