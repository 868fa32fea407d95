package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Cassandra process known only by its work dir's pid file ({@code cassandra.pid}), as the CLI's
 * {@code stop} and {@code status} see one started detached by an earlier {@code start}: finding it
 * (refusing pids reused by other programs), stopping it (SIGTERM, wait, SIGKILL) and keeping the
 * pid file in step. {@link CassandraProcess} uses the same stop and pid file rules for the process
 * it launched.
 */
final class ProcessControl {

  /** The launcher's one logger name, which {@link Cli#quietLibraryLog()} quiets. */
  private static final System.Logger LOG = System.getLogger(LocalCassandra.class.getName());

  private ProcessControl() {}

  /** See {@link LocalCassandra#runningFromPidFile(Path)}. */
  static Optional<ProcessHandle> runningFromPidFile(Path workDir) {
    OptionalLong pid = readPid(new WorkDirLayout(workDir).pidFile());
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive);
    if (h.isPresent()) {
      Optional<String> cmd = h.get().info().commandLine();
      if (cmd.isPresent() && !cmd.get().contains(LocalCassandra.MAIN_CLASS)) {
        return Optional.empty();
      }
    }
    return h;
  }

  /** See {@link LocalCassandra#stopByPidFile(Path)}. */
  static boolean stopByPidFile(Path workDir) {
    Optional<ProcessHandle> handle = runningFromPidFile(workDir);
    Path pidFile = new WorkDirLayout(workDir).pidFile();
    if (handle.isEmpty()) {
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot delete " + pidFile, e);
      }
      return false;
    }
    long pid = handle.get().pid();
    terminate(handle.get(), LocalCassandra.STOP_TIMEOUT);
    try {
      deletePidFileIfOurs(workDir, pid);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + pidFile, e);
    }
    return true;
  }

  /**
   * Refuses to start or wipe a work dir whose pid file names a live Cassandra other than {@code
   * ownPid} (the process of the instance asking, if it has one).
   */
  static void refuseIfWorkDirInUse(Path workDir, OptionalLong ownPid) {
    Optional<ProcessHandle> other = runningFromPidFile(workDir);
    if (other.isPresent() && (ownPid.isEmpty() || other.get().pid() != ownPid.getAsLong())) {
      throw new CassandraLaunchException(
          "A Cassandra (pid "
              + other.get().pid()
              + ") is already running from "
              + "work dir "
              + workDir
              + "; stop it first (LocalCassandra.stopByPidFile or "
              + "'deploy/local/cassandra stop --dir "
              + workDir
              + "')");
    }
  }

  static void writePid(Path workDir, long pid) throws IOException {
    WorkDirLayout.writeAtomically(new WorkDirLayout(workDir).pidFile(), pid + "\n");
  }

  /** Deletes the pid file unless it names another process (a later start of the same work dir). */
  static void deletePidFileIfOurs(Path workDir, long pid) throws IOException {
    Path pidFile = new WorkDirLayout(workDir).pidFile();
    OptionalLong recorded = readPid(pidFile);
    if (recorded.isEmpty() || recorded.getAsLong() == pid) {
      Files.deleteIfExists(pidFile);
    }
  }

  /** The pid in the file, or empty if the file is missing, empty or unreadable. */
  private static OptionalLong readPid(Path pidFile) {
    try {
      String s = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
      return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** SIGTERM, wait, SIGKILL. Returns true if the process ended within the timeout after SIGTERM. */
  static boolean terminate(ProcessHandle handle, Duration timeout) {
    if (!handle.isAlive()) {
      return true;
    }
    handle.destroy();
    if (awaitExit(handle, timeout)) {
      return true;
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "Cassandra (pid "
            + handle.pid()
            + ") did not stop within "
            + timeout.toSeconds()
            + " s; killing it");
    handle.destroyForcibly();
    awaitExit(handle, Duration.ofSeconds(10));
    return false;
  }

  private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return !handle.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !handle.isAlive();
    }
  }
}
