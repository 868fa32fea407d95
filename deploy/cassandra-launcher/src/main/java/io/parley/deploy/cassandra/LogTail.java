package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The last lines of a run's {@code logs/system.log} and {@code logs/stdout.log}, appended to the
 * {@link CassandraLaunchException} of a failed start so that the operator sees why Cassandra died
 * or did not answer without opening the work dir.
 */
final class LogTail {

  static final int LOG_TAIL_LINES = 40;

  /** Reads at most this many bytes from the end of a log. */
  private static final int MAX_BYTES = 512 * 1024;

  private LogTail() {}

  /** Last lines of this run's system.log (from offset) and of stdout.log, for error messages. */
  static String of(WorkDirLayout dirs, long systemLogOffset) {
    StringBuilder sb = new StringBuilder();
    List<String> sys = tail(dirs.systemLog(), systemLogOffset, LOG_TAIL_LINES);
    appendSection(sb, dirs.systemLog(), sys);
    List<String> out =
        tail(dirs.stdoutLog(), 0, sys.isEmpty() ? LOG_TAIL_LINES : LOG_TAIL_LINES / 2);
    appendSection(sb, dirs.stdoutLog(), out);
    if (sb.length() == 0) {
      sb.append(" (no output in ").append(dirs.logDir()).append(')');
    }
    return sb.toString();
  }

  private static void appendSection(StringBuilder sb, Path file, List<String> lines) {
    if (lines.isEmpty()) {
      return;
    }
    sb.append("\n--- last ")
        .append(lines.size())
        .append(" lines of ")
        .append(file)
        .append(" ---\n");
    lines.forEach(l -> sb.append(l).append('\n'));
  }

  /**
   * The last {@code lines} non-trailing-empty lines of {@code file} written after {@code offset}.
   */
  static List<String> tail(Path file, long offset, int lines) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(offset > len ? 0 : offset, len - MAX_BYTES);
      raf.seek(from);
      byte[] buf = new byte[(int) (len - from)];
      raf.readFully(buf);
      String text = new String(buf, StandardCharsets.UTF_8);
      Deque<String> last = new ArrayDeque<>();
      for (String l : text.split("\r?\n")) {
        last.addLast(l);
        if (last.size() > lines) {
          last.removeFirst();
        }
      }
      while (!last.isEmpty() && last.peekLast().isEmpty()) {
        last.removeLast();
      }
      return new ArrayList<>(last);
    } catch (IOException e) {
      return List.of("(cannot read " + file + ": " + e + ")");
    }
  }
}
