package io.parley.protocol;

import io.parley.protocol.wire.GenericCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The property every codec must hold for any frame (issue 10 item 8): decoding either succeeds or
 * throws {@link ProtocolException} carrying an {@link ErrorCode}; nothing else escapes (no
 * unchecked exception, no {@link StackOverflowError}, no {@link OutOfMemoryError}, and no bug of
 * ours hidden by the codecs' last-resort {@code catch (RuntimeException ...)} nets); it finishes
 * within {@link #LIMIT_MS} (run on a worker thread, so a hang fails the check instead of the
 * build); and whatever decodes
 *
 * <ul>
 *   <li>re-encodes with its own codec and decodes again with a fresh one: protobuf and base64 give
 *       back an equal command and the same bytes/text; JSON reaches a fixpoint (the re-encoded text
 *       encodes to itself — the JSON text of {@code attr}-like fields is normalized once, so the
 *       command itself may differ);
 *   <li>re-encodes with the other encodings too (the server relays a command to peers on other
 *       subprotocols), and each of those decodes again (protobuf: to an equal command);
 *   <li>nothing makes protobuf-java log (it logs a stack trace for each string it cannot write as
 *       UTF-8).
 * </ul>
 *
 * <p>Every checked frame is counted in {@link #TALLY} under a label (codec and frame source).
 */
final class FuzzOracle {

  /**
   * Per-frame bound on decode plus the re-encode checks, in milliseconds ({@code
   * -Dparley.fuzz.frameLimitMs}).
   */
  static final long LIMIT_MS = Long.getLong("parley.fuzz.frameLimitMs", 1000);

  static final Tally TALLY = new Tally();

  private static ExecutorService worker = newWorker();

  /** protobuf-java's log records, counted per thread: a frame whose checks make it log fails. */
  private static final ThreadLocal<int[]> PROTOBUF_LOGGED =
      ThreadLocal.withInitial(() -> new int[1]);

  private static final Logger PROTOBUF_LOG = Logger.getLogger("com.google.protobuf");

  static {
    PROTOBUF_LOG.addHandler(
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            PROTOBUF_LOGGED.get()[0]++;
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
  }

  private FuzzOracle() {}

  /**
   * Checks one frame on a codec of {@code protocol}, counting it under {@code label}; throws
   * AssertionError.
   */
  static void check(String label, Subprotocol protocol, Frame frame) {
    check(label, protocol.toString(), () -> Codecs.forSubprotocol(protocol), frame);
  }

  /**
   * The same for any codec; {@code codecs} gives a new one per call (the legacy codec has state).
   */
  static void check(String label, String protocol, Supplier<CommandCodec> codecs, Frame frame) {
    Future<Outcome> future = worker().submit(() -> examine(codecs, frame));
    Outcome outcome;
    try {
      outcome = future.get(LIMIT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      replaceWorker(); // the old thread may be stuck for good; it is a daemon
      TALLY.count(label, Outcome.failure("timeout"), frame);
      throw new AssertionError(
          protocol
              + ": decode and re-encode took more than "
              + LIMIT_MS
              + " ms on "
              + describe(frame));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError("checker failed on " + describe(frame), e.getCause());
    }
    TALLY.count(label, outcome, frame);
    if (outcome.failure != null) {
      throw new AssertionError(
          protocol + ": " + outcome.failure + " on " + describe(frame), outcome.cause);
    }
  }

  /** Runs on the worker: never throws, reports what went wrong instead. */
  private static Outcome examine(Supplier<CommandCodec> codecs, Frame frame) {
    int logged = PROTOBUF_LOGGED.get()[0];
    Outcome outcome = examineQuietly(codecs, frame);
    if (outcome.failure == null && PROTOBUF_LOGGED.get()[0] != logged) {
      return Outcome.failure(
          "protobuf-java logged while decoding or re-encoding (see the log above)");
    }
    return outcome;
  }

  private static Outcome examineQuietly(Supplier<CommandCodec> codecs, Frame frame) {
    CommandCodec codec = codecs.get();
    GenericCommand command;
    long start = System.nanoTime();
    try {
      command = codec.decode(frame);
    } catch (ProtocolException e) {
      if (e.code() == null) {
        return Outcome.failure("ProtocolException without an ErrorCode", e);
      }
      if ((e.getCause() instanceof RuntimeException || e.getCause() instanceof Error)
          && thrownByUs(e.getCause())) {
        // the codecs' last-resort nets turn a bug of ours into a refusal: still a bug. (An
        // unchecked exception
        // of Jackson or protobuf-java, e.g. Jackson's NumberFormatException on 1e-2147483648, is
        // their quirk.)
        return Outcome.failure("decode hit a safety net: " + e.getCause(), e);
      }
      return Outcome.refused(e.code(), System.nanoTime() - start);
    } catch (Throwable t) {
      return Outcome.failure("decode let " + t.getClass().getName() + " escape", t);
    }
    long decodeNanos = System.nanoTime() - start;
    try {
      if (command == null) {
        return Outcome.failure("decode returned null", null);
      }
      String problem = reencode(codecs, codec, command);
      return problem == null ? Outcome.decoded(decodeNanos) : Outcome.failure(problem, null);
    } catch (Throwable t) {
      return Outcome.failure("re-encoding a decoded command threw " + t, t);
    }
  }

  /** The round-trip checks; returns a description of the first broken promise, or null. */
  static String reencode(
      Supplier<CommandCodec> codecs, CommandCodec codec, GenericCommand command) {
    Frame again = codec.encode(command);
    CommandCodec fresh = codecs.get();
    GenericCommand back;
    try {
      back = fresh.decode(again);
    } catch (ProtocolException e) {
      return "own re-encoding " + describe(again) + " is refused: " + e.getMessage();
    }
    Frame twice = fresh.encode(back);
    if (!twice.equals(again)) {
      return "re-encoding is not stable: " + describe(again) + " then " + describe(twice);
    }
    if (again instanceof Frame.Binary || isBase64(codec)) {
      if (!back.equals(command)) {
        return "protobuf round trip changed the command: " + command + " became " + back;
      }
    }
    for (CommandCodec other :
        new CommandCodec[] {Codecs.protobuf(), Codecs.base64(), Codecs.json()}) {
      Frame relayed = other.encode(command);
      GenericCommand relayedBack;
      try {
        relayedBack = other.decode(relayed);
      } catch (ProtocolException e) {
        return "relayed as " + describe(relayed) + " it is refused: " + e.getMessage();
      }
      if (other != Codecs.json() && !relayedBack.equals(command)) {
        return "relayed as protobuf it changed: " + command + " became " + relayedBack;
      }
      if (other == Codecs.json() && !other.encode(relayedBack).equals(relayed)) {
        return "relayed as JSON it is not stable: " + describe(relayed);
      }
    }
    return null;
  }

  /**
   * Whether the innermost non-JDK frame of {@code t}'s stack is our code (not Jackson's or
   * protobuf's).
   */
  static boolean thrownByUs(Throwable t) {
    for (StackTraceElement frame : t.getStackTrace()) {
      String name = frame.getClassName();
      if (!(name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun."))) {
        return name.startsWith("io.parley.");
      }
    }
    return false;
  }

  private static boolean isBase64(CommandCodec codec) {
    return codec == Codecs.base64()
        || codec instanceof DetectingCodec detecting
            && detecting.detected().orElse(null) == Subprotocol.Encoding.BASE64;
  }

  static String describe(Frame frame) {
    if (frame == null) {
      return "no frame";
    }
    if (frame instanceof Frame.Binary binary) {
      byte[] bytes = binary.bytes();
      if (bytes == null) {
        return "binary null";
      }
      return "binary["
          + bytes.length
          + "] "
          + Golden.hex(Arrays.copyOf(bytes, Math.min(bytes.length, 300)))
          + (bytes.length > 300 ? "…" : "");
    }
    String text = ((Frame.Text) frame).text();
    if (text == null) {
      return "text null";
    }
    StringBuilder out = new StringBuilder("text[" + text.length() + "] \"");
    text.substring(0, Math.min(text.length(), 300))
        .codePoints()
        .forEach(
            c -> {
              if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.appendCodePoint(c);
              } else {
                out.append(String.format("\\u%04x", c));
              }
            });
    return out.append(text.length() > 300 ? "\"…" : "\"").toString();
  }

  private static synchronized ExecutorService worker() {
    return worker;
  }

  private static synchronized void replaceWorker() {
    worker.shutdownNow();
    worker = newWorker();
  }

  private static ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(
        runnable -> {
          Thread thread = new Thread(runnable, "fuzz-decode");
          thread.setDaemon(true);
          return thread;
        });
  }

  /** What happened to one frame. */
  record Outcome(ErrorCode refusedWith, String failure, Throwable cause, long decodeNanos) {
    static Outcome decoded(long nanos) {
      return new Outcome(null, null, null, nanos);
    }

    static Outcome refused(ErrorCode code, long nanos) {
      return new Outcome(Objects.requireNonNull(code), null, null, nanos);
    }

    static Outcome failure(String what, Throwable cause) {
      return new Outcome(null, what, cause, 0);
    }

    static Outcome failure(String what) {
      return failure(what, null);
    }
  }

  /** Counts per label: frames, decoded, refused per code, failures, slowest decode. Thread-safe. */
  static final class Tally {
    private final Map<String, Counts> byLabel = new TreeMap<>();
    private final AtomicLong startNanos = new AtomicLong(System.nanoTime());
    private volatile String loadAtStart = loadavg();

    synchronized void reset() {
      byLabel.clear();
      startNanos.set(System.nanoTime());
      loadAtStart = loadavg();
    }

    synchronized void count(String label, Outcome outcome, Frame frame) {
      Counts counts = byLabel.computeIfAbsent(label, l -> new Counts());
      counts.frames.increment();
      if (outcome.failure != null) {
        counts.failures.increment();
      } else if (outcome.refusedWith != null) {
        counts.refused.computeIfAbsent(outcome.refusedWith, c -> new LongAdder()).increment();
      } else {
        counts.decoded.increment();
      }
      if (outcome.decodeNanos > counts.slowestNanos) {
        counts.slowestNanos = outcome.decodeNanos;
        String text = describe(frame);
        counts.slowestFrame = text.length() > 100 ? text.substring(0, 100) + "…" : text;
      }
    }

    synchronized long frames() {
      return byLabel.values().stream().mapToLong(c -> c.frames.sum()).sum();
    }

    /** The printed figures. */
    synchronized String report() {
      double seconds = (System.nanoTime() - startNanos.get()) / 1e9;
      StringBuilder out = new StringBuilder();
      out.append(String.format("%n=== codec fuzz figures ===%n"));
      out.append(
          String.format(
              "%-26s %10s %10s %10s %8s %10s  %s%n",
              "codec/source",
              "frames",
              "decoded",
              "refused",
              "failed",
              "max decode",
              "refused by ErrorCode"));
      long total = 0;
      long decoded = 0;
      long failed = 0;
      Map<ErrorCode, Long> refusedTotal = new EnumMap<>(ErrorCode.class);
      for (Map.Entry<String, Counts> entry : byLabel.entrySet()) {
        Counts c = entry.getValue();
        long refused = c.refused.values().stream().mapToLong(LongAdder::sum).sum();
        StringBuilder codes = new StringBuilder();
        c.refused.forEach(
            (code, n) -> {
              codes
                  .append(code.code())
                  .append(' ')
                  .append(code)
                  .append('=')
                  .append(n.sum())
                  .append(' ');
              refusedTotal.merge(code, n.sum(), Long::sum);
            });
        out.append(
            String.format(
                "%-26s %10d %10d %10d %8d %8.1fms  %s%n",
                entry.getKey(),
                c.frames.sum(),
                c.decoded.sum(),
                refused,
                c.failures.sum(),
                c.slowestNanos / 1e6,
                codes.toString().trim()));
        total += c.frames.sum();
        decoded += c.decoded.sum();
        failed += c.failures.sum();
      }
      out.append(
          String.format(
              "slowest decode per codec/source (wall clock, so GC and a loaded machine count):%n"));
      byLabel.forEach(
          (label, c) ->
              out.append(
                  String.format(
                      "  %-24s %8.1fms %s%n", label, c.slowestNanos / 1e6, c.slowestFrame)));
      out.append(
          String.format(
              "%-26s %10d %10d %10d %8d%n",
              "TOTAL",
              total,
              decoded,
              refusedTotal.values().stream().mapToLong(Long::longValue).sum(),
              failed));
      out.append(String.format("refused by ErrorCode: %s%n", refusedTotal));
      out.append(
          String.format(
              "elapsed %.1f s, %.0f frames/s, per-frame limit %d ms, %d cores%n",
              seconds,
              total / Math.max(seconds, 1e-9),
              LIMIT_MS,
              Runtime.getRuntime().availableProcessors()));
      out.append(
          String.format(
              "/proc/loadavg at start: %s%n/proc/loadavg at end:   %s%n", loadAtStart, loadavg()));
      return out.toString();
    }

    static String loadavg() {
      try {
        return Files.readString(Path.of("/proc/loadavg")).trim();
      } catch (IOException | RuntimeException e) {
        return "unavailable (" + e + ")";
      }
    }

    private static final class Counts {
      final LongAdder frames = new LongAdder();
      final LongAdder decoded = new LongAdder();
      final LongAdder failures = new LongAdder();
      final Map<ErrorCode, LongAdder> refused = new EnumMap<>(ErrorCode.class);
      long slowestNanos;
      String slowestFrame = "";
    }
  }
}
