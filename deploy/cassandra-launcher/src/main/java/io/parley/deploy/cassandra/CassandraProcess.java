package io.parley.deploy.cassandra;

import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One run of the Cassandra child JVM that {@link LocalCassandra#start()} launched: the {@link
 * Process} with its output in {@code logs/stdout.log}, its pid file, the shutdown hook that stops
 * it with this JVM, the wait until it answers CQL, and its stop. {@link LocalCassandra} prepares
 * everything before (ports, classpath, work dir) and keeps the last run for its queries.
 *
 * <p>Thread-safety: the methods that change the run are synchronized on it, so the shutdown hook
 * waits for a start-up in progress, as {@link #waitFor()} (which does not lock) does not.
 */
final class CassandraProcess {

  /** The launcher's one logger name, which {@link Cli#quietLibraryLog()} quiets. */
  private static final System.Logger LOG = System.getLogger(LocalCassandra.class.getName());

  private static final long POLL_MILLIS = 250;

  private final LaunchSettings settings;
  private final Process process;
  private final long startNanos;
  private volatile boolean stopRequested;

  /** True from launch until the process is gone and the pid file/hook are cleaned up. */
  private boolean active = true;

  private Thread shutdownHook;

  private CassandraProcess(LaunchSettings settings, Process process, long startNanos) {
    this.settings = settings;
    this.process = process;
    this.startNanos = startNanos;
  }

  /**
   * Starts {@code command} in the work dir, writes the pid file and (if the settings ask for it)
   * registers the shutdown hook. Does not wait for CQL: see {@link #awaitCql}.
   */
  static CassandraProcess launch(LaunchSettings settings, List<String> command) {
    WorkDirLayout dirs = settings.dirs();
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(settings.workDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(dirs.stdoutLog().toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(nullFile()));
    long startNanos = System.nanoTime();
    CassandraProcess run;
    try {
      run = new CassandraProcess(settings, pb.start(), startNanos);
    } catch (IOException e) {
      throw new CassandraLaunchException(
          "Cannot launch " + settings.javaExecutable() + " for Cassandra: " + e, e);
    }
    try {
      ProcessControl.writePid(settings.workDir(), run.pid());
    } catch (IOException e) {
      run.stopQuietly();
      throw new CassandraLaunchException("Cannot write pid file " + dirs.pidFile() + ": " + e, e);
    }
    if (settings.stopOnJvmExit()) {
      run.addShutdownHook();
    }
    return run;
  }

  private synchronized void addShutdownHook() {
    Thread hook =
        new Thread(this::stopFromShutdownHook, "parley-cassandra-stop-" + settings.cqlPort());
    Runtime.getRuntime().addShutdownHook(hook);
    shutdownHook = hook;
  }

  /**
   * Blocks until {@code answering} is true, polling every 250 ms.
   *
   * @param logOffset where this run's lines begin in system.log, for the error message
   * @return how long it took from the launch
   * @throws CassandraLaunchException if the process exited first, or the start-up timeout passed
   *     (the process is then stopped); the message has the log tail
   */
  synchronized Duration awaitCql(long logOffset, BooleanSupplier answering) {
    long deadline = startNanos + settings.startupTimeout().toNanos();
    while (true) {
      if (!process.isAlive()) {
        int code = process.exitValue();
        String tail = LogTail.of(settings.dirs(), logOffset);
        cleanupAfterExit();
        throw new CassandraLaunchException(
            "Cassandra (pid "
                + process.pid()
                + ") exited with code "
                + code
                + " before answering CQL on "
                + LocalCassandra.HOST
                + ":"
                + settings.cqlPort()
                + " (work dir "
                + settings.workDir()
                + ")."
                + tail);
      }
      if (answering.getAsBoolean()) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
      }
      if (System.nanoTime() - deadline > 0) {
        String tail = LogTail.of(settings.dirs(), logOffset);
        long pid = process.pid();
        stopQuietly();
        throw new CassandraLaunchException(
            "Cassandra (pid "
                + pid
                + ") did not answer CQL on "
                + LocalCassandra.HOST
                + ":"
                + settings.cqlPort()
                + " within "
                + settings.startupTimeout().toSeconds()
                + " s; stopped it (work dir "
                + settings.workDir()
                + ")."
                + tail);
      }
      sleep(POLL_MILLIS);
    }
  }

  /** See {@link LocalCassandra#stop()}. */
  synchronized void stop() {
    if (!active) {
      return;
    }
    stopRequested = true;
    long pid = process.pid();
    boolean graceful = ProcessControl.terminate(process.toHandle(), LocalCassandra.STOP_TIMEOUT);
    cleanupAfterExit();
    LOG.log(
        System.Logger.Level.INFO,
        "Cassandra (pid " + pid + ") stopped" + (graceful ? "" : " forcibly"));
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Stopping Cassandra failed", e);
    }
  }

  private void stopFromShutdownHook() {
    synchronized (this) {
      shutdownHook = null; // cannot be removed while the JVM shuts down
    }
    stopQuietly();
  }

  private synchronized void cleanupAfterExit() {
    active = false;
    try {
      ProcessControl.deletePidFileIfOurs(settings.workDir(), process.pid());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot delete " + settings.dirs().pidFile() + ": " + e);
    }
    Thread hook = shutdownHook;
    shutdownHook = null;
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // JVM is shutting down
      }
    }
  }

  /** True once {@link #stop()} was called (so an exit was asked for, not a crash). */
  boolean stopRequested() {
    return stopRequested;
  }

  /** Blocks until the process exits, without locking this run; returns its exit code. */
  int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  private static File nullFile() {
    return new File(File.separatorChar == '\\' ? "NUL" : "/dev/null");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CassandraLaunchException("Interrupted while waiting for Cassandra", e);
    }
  }
}
