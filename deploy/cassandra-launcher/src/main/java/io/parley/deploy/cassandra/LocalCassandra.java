package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A single-node Apache Cassandra for development, tests and the {@code deploy/local/cassandra}
 * script, run as a child JVM ({@code org.apache.cassandra.service.CassandraDaemon}) on 127.0.0.1.
 *
 * <p>This class uses only the JDK: Cassandra's own classpath is the directory that the build copies
 * to {@code target/cassandra-lib} (see {@link #resolveLibDir()}).
 *
 * <pre>{@code
 * try (LocalCassandra cassandra = LocalCassandra.builder()
 *         .workDir(tempDir)
 *         .cqlPort(LocalCassandra.freePort())
 *         .storagePort(LocalCassandra.freePort())
 *         .heap("512m")
 *         .build()
 *         .start()) {
 *     String contactPoint = cassandra.contactPoint(); // "127.0.0.1:PORT"
 * }
 * }</pre>
 *
 * <p>Layout of the work directory: {@code conf/cassandra.yaml}, {@code conf/logback.xml}, {@code
 * data/} (data, commitlog, saved_caches, hints, cdc_raw), {@code logs/system.log}, {@code
 * logs/stdout.log}, {@code cassandra.pid}. Data is kept between starts of the same work directory
 * unless {@link Builder#wipe(boolean)} is set or {@link #wipeData()} is called.
 *
 * <p>This class is the launcher's public face (the builder, the lifecycle of one instance, and the
 * static helpers that tests and scripts call); the work is done by package-private parts: {@link
 * LaunchSettings} (the validated builder values), {@link WorkDirLayout} (where the files are),
 * {@link ConfigFiles} (cassandra.yaml, logback.xml), {@link JvmCommand} (the child JVM's command
 * line), {@link CassandraClasspath} (Cassandra's jars), {@link LocalPorts}, {@link CqlHandshake}
 * (the readiness probe), {@link CassandraProcess} (one launched JVM), {@link ProcessControl} (pid
 * file, stopping) and {@link LogTail} (log lines for error messages). {@link Cli} is its command
 * line.
 */
public final class LocalCassandra implements AutoCloseable {

  public static final String HOST = "127.0.0.1";
  public static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
  public static final String LIB_DIR_PROPERTY = "parley.cassandra.lib";
  public static final String LIB_DIR_ENV = "PARLEY_CASSANDRA_LIB";
  public static final String LAUNCHER_RESOURCE = "/parley-cassandra.properties";
  public static final String PID_FILE = "cassandra.pid";

  public static final int DEFAULT_CQL_PORT = 9042;
  public static final int DEFAULT_STORAGE_PORT = 7000;

  /** {@link Builder#jmxPort(int)} value: pick a free port at each start. */
  public static final int JMX_PICK_FREE = 0;

  /**
   * {@link Builder#jmxPort(int)} value: do not start Cassandra's JMX server (nodetool will not
   * work).
   */
  public static final int JMX_DISABLED = -1;

  public static final String DEFAULT_HEAP = "1g";
  public static final String DEFAULT_CLUSTER_NAME = "Parley Dev Cluster";
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(120);
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  /** The launcher's one logger name, which {@link Cli#quietLibraryLog()} quiets. */
  private static final System.Logger LOG = System.getLogger(LocalCassandra.class.getName());

  private final LaunchSettings settings;
  private final WorkDirLayout dirs;

  /** The current or last run; null before the first start. */
  private CassandraProcess run;

  private int jmxPort;
  private Duration lastStartupTime;

  private LocalCassandra(LaunchSettings settings) {
    this.settings = settings;
    this.dirs = settings.dirs();
    this.jmxPort = settings.jmxPort() > 0 ? settings.jmxPort() : JMX_DISABLED;
  }

  /**
   * TLS on the CQL port ({@code client_encryption_options}, not optional: plain-text clients are
   * refused): Cassandra's key and certificate in {@code keystore} (PKCS12), opened with {@code
   * password}.
   */
  public record ClientTls(Path keystore, String password) {
    public ClientTls {
      Objects.requireNonNull(keystore, "keystore");
      Objects.requireNonNull(password, "password");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code ${java.io.tmpdir}/parley-cassandra-${user.name}}. */
  public static Path defaultWorkDir() {
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    return Paths.get(System.getProperty("java.io.tmpdir"), "parley-cassandra-" + user);
  }

  /**
   * Writes the configuration, launches Cassandra and blocks until it answers a CQL native-protocol
   * handshake.
   *
   * @return this, for {@code try (var c = LocalCassandra.builder()...build().start())}
   * @throws CassandraLaunchException if a port is taken, the work dir already has a live Cassandra,
   *     the classpath is missing, or Cassandra died or did not answer within the start-up timeout
   *     (the process is then stopped, and the message has the log tail)
   * @throws IllegalStateException if this instance is already running
   */
  public synchronized LocalCassandra start() {
    if (isRunning()) {
      throw new IllegalStateException(
          "Cassandra already running (pid " + run.pid() + ") from " + workDir());
    }
    refuseIfWorkDirInUse();
    LocalPorts.checkFree("CQL native port (native_transport_port)", cqlPort());
    LocalPorts.checkFree("storage port (storage_port)", storagePort());
    if (settings.jmxPort() > 0) {
      LocalPorts.checkFree("JMX port", settings.jmxPort());
    }
    jmxPort =
        settings.jmxPort() == JMX_PICK_FREE
            ? LocalPorts.pickFreePortOtherThan(cqlPort(), storagePort())
            : settings.jmxPort();

    Path libDir =
        settings.libDir() != null
            ? CassandraClasspath.checkLibDir(settings.libDir(), "builder libDir")
            : CassandraClasspath.resolveLibDir();
    if (settings.wipe()) {
      wipeData();
    }
    long logOffset =
        dirs.prepare(ConfigFiles.cassandraYaml(settings), ConfigFiles.logbackXml(dirs));
    run = CassandraProcess.launch(settings, JvmCommand.command(settings, jmxPort, libDir));
    lastStartupTime = run.awaitCql(logOffset, this::isAnswering);
    LOG.log(
        System.Logger.Level.INFO,
        String.format(
            "Cassandra ready on %s:%d after %.1f s (pid %d, work dir %s)",
            HOST, cqlPort(), lastStartupTime.toMillis() / 1000.0, run.pid(), workDir()));
    return this;
  }

  /**
   * Stops the process this instance started: SIGTERM (Cassandra drains), wait up to 30 s, then
   * kill. Removes the pid file. A no-op if nothing is running.
   */
  public synchronized void stop() {
    if (run != null) {
      run.stop();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /**
   * True once {@link #stop()} was called for the current run (so an exit was asked for, not a
   * crash).
   */
  synchronized boolean stopRequested() {
    return run != null && run.stopRequested();
  }

  /**
   * Blocks until the Cassandra process exits (used by the CLI's --foreground). Returns its exit
   * code.
   */
  public int waitFor() throws InterruptedException {
    CassandraProcess r;
    synchronized (this) {
      r = run;
    }
    if (r == null) {
      throw new IllegalStateException("not started");
    }
    return r.waitFor();
  }

  /**
   * Deletes {@code workDir/data} (data, commitlog, caches, hints). Refuses while this instance, or
   * another live Cassandra recorded in the work dir's pid file, is running.
   */
  public synchronized void wipeData() {
    if (isRunning()) {
      throw new IllegalStateException("Cannot wipe " + dataDir() + " while Cassandra is running");
    }
    refuseIfWorkDirInUse();
    try {
      dirs.deleteData();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dataDir(), e);
    }
  }

  private void refuseIfWorkDirInUse() {
    ProcessControl.refuseIfWorkDirInUse(
        workDir(), run == null ? OptionalLong.empty() : OptionalLong.of(run.pid()));
  }

  /** True while the process started by this instance is alive. */
  public synchronized boolean isRunning() {
    return run != null && run.isAlive();
  }

  /**
   * True if something on 127.0.0.1:{@link #cqlPort()} answers a CQL OPTIONS request with SUPPORTED.
   */
  public boolean isAnswering() {
    return CqlHandshake.answers(HOST, cqlPort(), Duration.ofSeconds(2), settings.clientTls());
  }

  /** The client TLS of this Cassandra, if it was started with one. */
  public Optional<ClientTls> clientTls() {
    return Optional.ofNullable(settings.clientTls());
  }

  /** PID of the running Cassandra process. */
  public synchronized long pid() {
    if (run == null) {
      throw new IllegalStateException("not started");
    }
    return run.pid();
  }

  /** The process handle, or empty before start. */
  public synchronized Optional<ProcessHandle> processHandle() {
    return run == null ? Optional.empty() : Optional.of(run.handle());
  }

  public String host() {
    return HOST;
  }

  public int cqlPort() {
    return settings.cqlPort();
  }

  /** {@code "127.0.0.1:PORT"}, e.g. for datastax-java-driver.basic.contact-points. */
  public String contactPoint() {
    return HOST + ":" + cqlPort();
  }

  public int storagePort() {
    return settings.storagePort();
  }

  /** JMX port of the current/last run, or {@link #JMX_DISABLED}. */
  public synchronized int jmxPort() {
    return jmxPort;
  }

  public String clusterName() {
    return settings.clusterName();
  }

  public String heap() {
    return settings.heap();
  }

  public Path workDir() {
    return settings.workDir();
  }

  public Path dataDir() {
    return dirs.dataDir();
  }

  public Path confDir() {
    return dirs.confDir();
  }

  public Path logDir() {
    return dirs.logDir();
  }

  public Path systemLog() {
    return dirs.systemLog();
  }

  public Path stdoutLog() {
    return dirs.stdoutLog();
  }

  public Path pidFile() {
    return dirs.pidFile();
  }

  /** How long the last successful {@link #start()} took until CQL answered, or null. */
  public synchronized Duration lastStartupTime() {
    return lastStartupTime;
  }

  /**
   * A port that was free on 127.0.0.1 a moment ago, below the kernel's ephemeral range and never
   * the same twice in this JVM.
   */
  public static int freePort() {
    return LocalPorts.freePort();
  }

  /** True if a server socket can be bound on 127.0.0.1:port right now. */
  public static boolean isPortFree(int port) {
    return LocalPorts.isPortFree(port);
  }

  /** A real CQL native-protocol handshake: sends OPTIONS (protocol v4) and expects SUPPORTED. */
  public static boolean isAnswering(String host, int port, Duration timeout) {
    return CqlHandshake.answers(host, port, timeout, null);
  }

  /**
   * The directory holding Cassandra's runtime classpath: system property {@value
   * #LIB_DIR_PROPERTY}, else env {@value #LIB_DIR_ENV}, else {@code lib.dir} of the {@value
   * #LAUNCHER_RESOURCE} resource filtered into this jar at build time ({@code
   * deploy/cassandra-launcher/target/cassandra-lib}).
   *
   * @throws CassandraLaunchException if none is set or the directory has no cassandra-all jar
   */
  public static Path resolveLibDir() {
    return CassandraClasspath.resolveLibDir();
  }

  /**
   * The Cassandra version this launcher was built for (from the filtered resource), or "unknown".
   */
  public static String cassandraVersion() {
    return CassandraClasspath.cassandraVersion();
  }

  /**
   * Stops a Cassandra started (e.g. detached by the CLI) from {@code workDir}, found through its
   * pid file: SIGTERM, wait up to 30 s, then kill. Removes the pid file (also a stale one).
   *
   * @return true if a live process was stopped, false if none was running
   */
  public static boolean stopByPidFile(Path workDir) {
    return ProcessControl.stopByPidFile(workDir);
  }

  /**
   * The live Cassandra process recorded in {@code workDir/cassandra.pid}, if any. A pid that is
   * alive but clearly not a Cassandra JVM (reused pid) counts as not running.
   */
  public static Optional<ProcessHandle> runningFromPidFile(Path workDir) {
    return ProcessControl.runningFromPidFile(workDir);
  }

  public static final class Builder {
    private Path workDir = defaultWorkDir();
    private int cqlPort = DEFAULT_CQL_PORT;
    private int storagePort = DEFAULT_STORAGE_PORT;
    private int jmxPort = JMX_PICK_FREE;
    private String heap = DEFAULT_HEAP;
    private String clusterName = DEFAULT_CLUSTER_NAME;
    private Path javaExecutable = Paths.get(System.getProperty("java.home"), "bin", "java");
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private boolean wipe;
    private Path libDir;
    private boolean stopOnJvmExit = true;
    private final List<String> extraJvmArgs = new ArrayList<>();
    private final Map<String, String> yamlOverrides = new LinkedHashMap<>();
    private ClientTls clientTls;

    private Builder() {}

    /** Serve CQL over TLS only, with this key and certificate (default: plain text). */
    public Builder clientTls(ClientTls tls) {
      this.clientTls = tls;
      return this;
    }

    /** Root of conf/, data/, logs/ and the pid file. Default {@link #defaultWorkDir()}. */
    public Builder workDir(Path workDir) {
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    /** CQL native transport port, default 9042. */
    public Builder cqlPort(int port) {
      this.cqlPort = LaunchSettings.checkPort("cqlPort", port);
      return this;
    }

    /** Internode storage port (also the seed's port), default 7000. */
    public Builder storagePort(int port) {
      this.storagePort = LaunchSettings.checkPort("storagePort", port);
      return this;
    }

    /**
     * Local JMX port (for nodetool): a port, {@link #JMX_PICK_FREE} (default: a free port at each
     * start) or {@link #JMX_DISABLED}.
     */
    public Builder jmxPort(int port) {
      if (port != JMX_PICK_FREE && port != JMX_DISABLED) {
        LaunchSettings.checkPort("jmxPort", port);
      }
      this.jmxPort = port;
      return this;
    }

    /** -Xms/-Xmx of the Cassandra JVM, e.g. "512m"; default "1g". */
    public Builder heap(String heap) {
      this.heap = LaunchSettings.checkHeap(heap);
      return this;
    }

    /**
     * cluster_name; must stay the same for a work dir that has data. Default "Parley Dev Cluster".
     */
    public Builder clusterName(String clusterName) {
      this.clusterName = Objects.requireNonNull(clusterName, "clusterName");
      return this;
    }

    /** Java 17 executable for Cassandra; default {@code ${java.home}/bin/java}. */
    public Builder javaExecutable(Path java) {
      this.javaExecutable = Objects.requireNonNull(java, "java");
      return this;
    }

    /** How long {@link LocalCassandra#start()} waits for CQL; default 120 s. */
    public Builder startupTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive");
      }
      this.startupTimeout = timeout;
      return this;
    }

    /** Delete workDir/data before starting (default false: data survives restarts). */
    public Builder wipe(boolean wipe) {
      this.wipe = wipe;
      return this;
    }

    /** Cassandra classpath directory; default {@link LocalCassandra#resolveLibDir()}. */
    public Builder libDir(Path libDir) {
      this.libDir = libDir;
      return this;
    }

    /**
     * Whether a JVM shutdown hook stops Cassandra when this JVM exits (default true, so tests never
     * leak a Cassandra). The CLI's detached start sets it to false.
     */
    public Builder stopOnJvmExit(boolean stop) {
      this.stopOnJvmExit = stop;
      return this;
    }

    /**
     * An extra argument for the Cassandra JVM (before the main class), e.g.
     * "-Dcassandra.ring_delay_ms=0".
     */
    public Builder jvmArg(String arg) {
      this.extraJvmArgs.add(Objects.requireNonNull(arg, "arg"));
      return this;
    }

    /**
     * Sets or replaces a top-level cassandra.yaml entry; {@code rawYamlValue} is written as is,
     * e.g. {@code yaml("materialized_views_enabled", "true")}.
     */
    public Builder yaml(String key, String rawYamlValue) {
      this.yamlOverrides.put(
          Objects.requireNonNull(key, "key"), Objects.requireNonNull(rawYamlValue, "value"));
      return this;
    }

    /**
     * @throws IllegalArgumentException if the CQL, storage and JMX ports are not all different
     */
    public LocalCassandra build() {
      return new LocalCassandra(settings());
    }

    /** The validated, frozen settings (what {@link #build()} hands to the instance). */
    LaunchSettings settings() {
      return new LaunchSettings(
          workDir,
          cqlPort,
          storagePort,
          jmxPort,
          heap,
          clusterName,
          javaExecutable,
          startupTimeout,
          wipe,
          libDir,
          stopOnJvmExit,
          extraJvmArgs,
          yamlOverrides,
          clientTls);
    }

    /** {@code build().start()}. */
    public LocalCassandra start() {
      return build().start();
    }
  }

  /**
   * {@code start [--dir D] [--cql-port P] [--storage-port P] [--jmx-port P] [--heap 1g]
   * [--cluster-name N] [--timeout SECONDS] [--wipe] [--foreground]}, {@code stop [--dir D]}, {@code
   * status [--dir D] [--cql-port P]}. Exit codes: 0 ok, 1 failure, 2 bad arguments, 3 status: not
   * running / not answering.
   */
  public static void main(String[] args) {
    Cli.quietLibraryLog();
    System.exit(Cli.run(args, System.out, System.err));
  }
}
