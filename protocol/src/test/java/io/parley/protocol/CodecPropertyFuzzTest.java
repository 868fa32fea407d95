package io.parley.protocol;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzz of every codec (issue 10 item 8): for each encoding, frames generated from
 * nothing and frames mutated from the golden SDK captures, on every subprotocol of that encoding,
 * must satisfy {@link FuzzOracle}.
 *
 * <p>Tries per property come from jqwik's {@code jqwik.tries.default}, set by surefire from {@code
 * parley.fuzz.tries}: 1,000 in the default suite (8,000 frames), 125,000 with {@code -Pfuzz}
 * (1,000,000 frames). The figures are printed after the last property. A failure prints jqwik's
 * seed; plain JUnit regression cases of what it found live in {@link FuzzRegressionTest}.
 */
class CodecPropertyFuzzTest {

  @BeforeContainer
  static void start() {
    FuzzOracle.TALLY.reset();
  }

  @AfterContainer
  static void report() {
    System.out.println(FuzzOracle.TALLY.report());
  }

  @Property
  void protobuf_generated(
      @ForAll("protobuf") Subprotocol protocol, @ForAll("generatedBinary") Frame frame) {
    FuzzOracle.check("protobuf/generated", protocol, frame);
  }

  @Property
  void protobuf_mutated(
      @ForAll("protobuf") Subprotocol protocol, @ForAll("mutatedBinary") Frame frame) {
    FuzzOracle.check("protobuf/mutated", protocol, frame);
  }

  @Property
  void base64_generated(
      @ForAll("base64") Subprotocol protocol, @ForAll("generatedBase64") Frame frame) {
    FuzzOracle.check("base64/generated", protocol, frame);
  }

  @Property
  void base64_mutated(
      @ForAll("base64") Subprotocol protocol, @ForAll("mutatedBase64") Frame frame) {
    FuzzOracle.check("base64/mutated", protocol, frame);
  }

  @Property
  void json_generated(@ForAll("json") Subprotocol protocol, @ForAll("generatedJson") Frame frame) {
    FuzzOracle.check("json/generated", protocol, frame);
  }

  @Property
  void json_mutated(@ForAll("json") Subprotocol protocol, @ForAll("mutatedJson") Frame frame) {
    FuzzOracle.check("json/mutated", protocol, frame);
  }

  /** The legacy codec detects the encoding on the first frame: any kind of frame. */
  @Property
  void legacy_generated(@ForAll("generatedAny") Frame frame) {
    FuzzOracle.check("legacy/generated", Subprotocol.LEGACY, frame);
  }

  @Property
  void legacy_mutated(@ForAll("mutatedAny") Frame frame) {
    FuzzOracle.check("legacy/mutated", Subprotocol.LEGACY, frame);
  }

  // ------------------------------------------------------------------------------------------------ providers

  private static Arbitrary<Subprotocol> of(Subprotocol.Encoding encoding) {
    return Arbitraries.of(
        Arrays.stream(Subprotocol.values()).filter(p -> p.encoding() == encoding).toList());
  }

  @Provide
  Arbitrary<Subprotocol> protobuf() {
    return of(Subprotocol.Encoding.PROTOBUF);
  }

  @Provide
  Arbitrary<Subprotocol> base64() {
    return of(Subprotocol.Encoding.BASE64);
  }

  @Provide
  Arbitrary<Subprotocol> json() {
    return of(Subprotocol.Encoding.JSON);
  }

  @Provide
  Arbitrary<Frame> generatedBinary() {
    return FuzzFrames.withOdd(FuzzFrames.generatedBinary());
  }

  @Provide
  Arbitrary<Frame> mutatedBinary() {
    return FuzzFrames.mutatedBinary();
  }

  @Provide
  Arbitrary<Frame> generatedBase64() {
    return FuzzFrames.withOdd(FuzzFrames.generatedBase64());
  }

  @Provide
  Arbitrary<Frame> mutatedBase64() {
    return FuzzFrames.mutatedBase64();
  }

  @Provide
  Arbitrary<Frame> generatedJson() {
    return FuzzFrames.withOdd(FuzzFrames.generatedJson());
  }

  @Provide
  Arbitrary<Frame> mutatedJson() {
    return FuzzFrames.mutatedJson();
  }

  @Provide
  Arbitrary<Frame> generatedAny() {
    return FuzzFrames.generatedAny();
  }

  @Provide
  Arbitrary<Frame> mutatedAny() {
    return FuzzFrames.mutatedAny();
  }
}
