package io.parley.deploy.cassandra;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 */
public final class LocalCassandra implements AutoCloseable {

  public static final String HOST = "127.0.0.1";
  public static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
  public static final String LIB_DIR_PROPERTY = "parley.cassandra.lib";
  public static final String LIB_DIR_ENV = "PARLEY_CASSANDRA_LIB";
  public static final String LAUNCHER_RESOURCE = "/parley-cassandra.properties";
  public static final String PID_FILE = "cassandra.pid";

  /**
   * Marker system property on the Cassandra JVM, so that {@code ps} shows which work dir a process
   * belongs to.
   */
  static final String WORKDIR_MARKER_PROPERTY = "parley.cassandra.workdir";

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
  static final int LOG_TAIL_LINES = 40;

  private static final System.Logger LOG = System.getLogger(LocalCassandra.class.getName());
  private static final Pattern HEAP_PATTERN = Pattern.compile("\\d+[kKmMgG]?");

  /**
   * Flags of Cassandra's conf/jvm17-server.options (the module flags of the notes plus the rest of
   * that file that applies to a small dev node).
   */
  static final List<String> JAVA17_MODULE_FLAGS =
      List.of(
          "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
          "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
          "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
          "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
          "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
          "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
          "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
          "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
          "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
          "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens", "java.base/java.io=ALL-UNNAMED",
          "--add-opens", "java.base/java.nio=ALL-UNNAMED",
          "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens", "java.base/java.util=ALL-UNNAMED",
          "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens", "java.base/java.lang=ALL-UNNAMED",
          "--add-opens", "java.base/java.math=ALL-UNNAMED",
          "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens", "java.base/java.net=ALL-UNNAMED");

  static final List<String> GC_AND_RUNTIME_FLAGS =
      List.of(
          "-XX:+UseG1GC",
          "-XX:+ParallelRefProcEnabled",
          "-XX:MaxTenuringThreshold=1",
          "-XX:G1RSetUpdatingPauseTimePercent=5",
          "-XX:MaxGCPauseMillis=300",
          "-XX:InitiatingHeapOccupancyPercent=70",
          "-XX:+ExitOnOutOfMemoryError",
          "-Djdk.attach.allowAttachSelf=true",
          "-Djava.net.preferIPv4Stack=true",
          "-Dio.netty.tryReflectionSetAccessible=true",
          "-Dio.netty.allocator.useCacheForAllThreads=true",
          "-Dio.netty.allocator.maxOrder=11",
          "-Dcassandra-foreground=yes",
          // A single seed node has nobody to gossip with: do not wait for gossip to settle (saves
          // ~10 s).
          "-Dcassandra.skip_wait_for_gossip_to_settle=0");

  // ---- settings ----
  private final Path workDir;
  private final int cqlPort;
  private final int storagePort;
  private final int configuredJmxPort;
  private final String heap;
  private final String clusterName;
  private final Path javaExecutable;
  private final Duration startupTimeout;
  private final boolean wipe;
  private final Path libDirOverride;
  private final boolean stopOnJvmExit;
  private final List<String> extraJvmArgs;
  private final Map<String, String> yamlOverrides;
  private final ClientTls clientTls;

  // ---- state ----
  private Process process;
  private int jmxPort = JMX_DISABLED;
  private Thread shutdownHook;
  private Duration lastStartupTime;
  private volatile boolean stopRequested;

  /** True from launch until the process is gone and the pid file/hook are cleaned up. */
  private boolean active;

  private LocalCassandra(Builder b) {
    this.workDir = b.workDir.toAbsolutePath().normalize();
    this.cqlPort = b.cqlPort;
    this.storagePort = b.storagePort;
    this.configuredJmxPort = b.jmxPort;
    this.jmxPort = b.jmxPort > 0 ? b.jmxPort : JMX_DISABLED;
    this.heap = b.heap;
    this.clusterName = b.clusterName;
    this.javaExecutable = b.javaExecutable;
    this.startupTimeout = b.startupTimeout;
    this.wipe = b.wipe;
    this.libDirOverride = b.libDir;
    this.stopOnJvmExit = b.stopOnJvmExit;
    this.extraJvmArgs = List.copyOf(b.extraJvmArgs);
    this.yamlOverrides = new LinkedHashMap<>(b.yamlOverrides);
    this.clientTls = b.clientTls;
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

    /**
     * What this launcher's own readiness probe trusts: the certificate in the keystore (the probe
     * only checks that the Cassandra it started answers).
     */
    javax.net.ssl.SSLSocketFactory probeSocketFactory() {
      try {
        java.security.KeyStore store =
            java.security.KeyStore.getInstance(keystore.toFile(), password.toCharArray());
        javax.net.ssl.TrustManagerFactory trust =
            javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context.getSocketFactory();
      } catch (Exception e) {
        throw new CassandraLaunchException(
            "Cannot open the CQL TLS keystore " + keystore + ": " + e, e);
      }
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

  // ------------------------------------------------------------------------------------------------------------
  // Lifecycle
  // ------------------------------------------------------------------------------------------------------------

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
          "Cassandra already running (pid " + process.pid() + ") from " + workDir);
    }
    refuseIfWorkDirInUse();
    checkPortFree("CQL native port (native_transport_port)", cqlPort);
    checkPortFree("storage port (storage_port)", storagePort);
    if (configuredJmxPort > 0) {
      checkPortFree("JMX port", configuredJmxPort);
    }
    jmxPort =
        configuredJmxPort == JMX_PICK_FREE
            ? pickFreePortOtherThan(cqlPort, storagePort)
            : configuredJmxPort;

    Path libDir =
        libDirOverride != null ? checkLibDir(libDirOverride, "builder libDir") : resolveLibDir();
    if (wipe) {
      wipeData();
    }
    long logOffset;
    try {
      Files.createDirectories(confDir());
      Files.createDirectories(logDir());
      for (String sub : List.of("data", "commitlog", "saved_caches", "hints", "cdc_raw")) {
        Files.createDirectories(dataDir().resolve(sub));
      }
      writeAtomically(confDir().resolve("cassandra.yaml"), cassandraYaml());
      writeAtomically(confDir().resolve("logback.xml"), logbackXml());
      logOffset = Files.exists(systemLog()) ? Files.size(systemLog()) : 0L;
    } catch (IOException e) {
      throw new CassandraLaunchException(
          "Cannot prepare Cassandra work dir " + workDir + ": " + e, e);
    }

    List<String> command = command(libDir);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(stdoutLog().toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(nullFile()));
    long startNanos = System.nanoTime();
    stopRequested = false;
    try {
      process = pb.start();
      active = true;
    } catch (IOException e) {
      throw new CassandraLaunchException(
          "Cannot launch " + javaExecutable + " for Cassandra: " + e, e);
    }
    try {
      writeAtomically(pidFile(), process.pid() + "\n");
    } catch (IOException e) {
      stopQuietly();
      throw new CassandraLaunchException("Cannot write pid file " + pidFile() + ": " + e, e);
    }
    if (stopOnJvmExit) {
      Thread hook = new Thread(this::stopFromShutdownHook, "parley-cassandra-stop-" + cqlPort);
      Runtime.getRuntime().addShutdownHook(hook);
      shutdownHook = hook;
    }

    awaitCql(startNanos, logOffset);
    lastStartupTime = Duration.ofNanos(System.nanoTime() - startNanos);
    LOG.log(
        System.Logger.Level.INFO,
        String.format(
            "Cassandra ready on %s:%d after %.1f s (pid %d, work dir %s)",
            HOST, cqlPort, lastStartupTime.toMillis() / 1000.0, process.pid(), workDir));
    return this;
  }

  private void awaitCql(long startNanos, long logOffset) {
    long deadline = startNanos + startupTimeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        int code = process.exitValue();
        String tail = logTail(logOffset);
        cleanupAfterExit();
        throw new CassandraLaunchException(
            "Cassandra (pid "
                + process.pid()
                + ") exited with code "
                + code
                + " before answering CQL on "
                + HOST
                + ":"
                + cqlPort
                + " (work dir "
                + workDir
                + ")."
                + tail);
      }
      if (isAnswering()) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        String tail = logTail(logOffset);
        long pid = process.pid();
        stopQuietly();
        throw new CassandraLaunchException(
            "Cassandra (pid "
                + pid
                + ") did not answer CQL on "
                + HOST
                + ":"
                + cqlPort
                + " within "
                + startupTimeout.toSeconds()
                + " s; stopped it (work dir "
                + workDir
                + ")."
                + tail);
      }
      sleep(250);
    }
  }

  /**
   * Stops the process this instance started: SIGTERM (Cassandra drains), wait up to 30 s, then
   * kill. Removes the pid file. A no-op if nothing is running.
   */
  public synchronized void stop() {
    if (process == null || !active) {
      return;
    }
    stopRequested = true;
    long pid = process.pid();
    boolean graceful = terminate(process.toHandle(), STOP_TIMEOUT);
    cleanupAfterExit();
    LOG.log(
        System.Logger.Level.INFO,
        "Cassandra (pid " + pid + ") stopped" + (graceful ? "" : " forcibly"));
  }

  @Override
  public void close() {
    stop();
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

  private void cleanupAfterExit() {
    active = false;
    try {
      deletePidFileIfOurs(workDir, process.pid());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot delete " + pidFile() + ": " + e);
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

  /**
   * True once {@link #stop()} was called for the current run (so an exit was asked for, not a
   * crash).
   */
  boolean stopRequested() {
    return stopRequested;
  }

  /**
   * Blocks until the Cassandra process exits (used by the CLI's --foreground). Returns its exit
   * code.
   */
  public int waitFor() throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    if (p == null) {
      throw new IllegalStateException("not started");
    }
    return p.waitFor();
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
      deleteRecursively(dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dataDir(), e);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Queries
  // ------------------------------------------------------------------------------------------------------------

  /** True while the process started by this instance is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * True if something on 127.0.0.1:{@link #cqlPort()} answers a CQL OPTIONS request with SUPPORTED.
   */
  public boolean isAnswering() {
    return isAnswering(
        HOST,
        cqlPort,
        Duration.ofSeconds(2),
        clientTls == null ? null : clientTls.probeSocketFactory());
  }

  /** The client TLS of this Cassandra, if it was started with one. */
  public Optional<ClientTls> clientTls() {
    return Optional.ofNullable(clientTls);
  }

  /** PID of the running Cassandra process. */
  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException("not started");
    }
    return process.pid();
  }

  /** The process handle, or empty before start. */
  public synchronized Optional<ProcessHandle> processHandle() {
    return process == null ? Optional.empty() : Optional.of(process.toHandle());
  }

  public String host() {
    return HOST;
  }

  public int cqlPort() {
    return cqlPort;
  }

  /** {@code "127.0.0.1:PORT"}, e.g. for datastax-java-driver.basic.contact-points. */
  public String contactPoint() {
    return HOST + ":" + cqlPort;
  }

  public int storagePort() {
    return storagePort;
  }

  /** JMX port of the current/last run, or {@link #JMX_DISABLED}. */
  public synchronized int jmxPort() {
    return jmxPort;
  }

  public String clusterName() {
    return clusterName;
  }

  public String heap() {
    return heap;
  }

  public Path workDir() {
    return workDir;
  }

  public Path dataDir() {
    return workDir.resolve("data");
  }

  public Path confDir() {
    return workDir.resolve("conf");
  }

  public Path logDir() {
    return workDir.resolve("logs");
  }

  public Path systemLog() {
    return logDir().resolve("system.log");
  }

  public Path stdoutLog() {
    return logDir().resolve("stdout.log");
  }

  public Path pidFile() {
    return workDir.resolve(PID_FILE);
  }

  /** How long the last successful {@link #start()} took until CQL answered, or null. */
  public synchronized Duration lastStartupTime() {
    return lastStartupTime;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Static helpers
  // ------------------------------------------------------------------------------------------------------------

  /** A port that was free on 127.0.0.1 a moment ago (binds port 0 and releases it). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
    }
  }

  /** True if a server socket can be bound on 127.0.0.1:port right now. */
  public static boolean isPortFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      // SO_REUSEADDR (Java's default on Unix) lets us ignore TIME_WAIT leftovers but still fails on
      // a listener.
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A real CQL native-protocol handshake: sends OPTIONS (protocol v4) and expects SUPPORTED. */
  public static boolean isAnswering(String host, int port, Duration timeout) {
    return isAnswering(host, port, timeout, null);
  }

  /** {@link #isAnswering(String, int, Duration)} over TLS when {@code tls} is not null. */
  static boolean isAnswering(
      String host, int port, Duration timeout, javax.net.ssl.SSLSocketFactory tls) {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(host, port), millis);
      plain.setSoTimeout(millis);
      Socket socket = tls == null ? plain : tls.createSocket(plain, host, port, true);
      OutputStream out = socket.getOutputStream();
      // header: version 0x04 (request), flags 0, stream id 0x0001, opcode 0x05 OPTIONS, body length
      // 0
      out.write(new byte[] {0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00});
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] header = in.readNBytes(9);
      if (header.length < 9) {
        return false;
      }
      int version = header[0] & 0xFF;
      int opcode = header[4] & 0xFF;
      int length =
          ((header[5] & 0xFF) << 24)
              | ((header[6] & 0xFF) << 16)
              | ((header[7] & 0xFF) << 8)
              | (header[8] & 0xFF);
      if (version != 0x84 || opcode != 0x06 || length < 0 || length > 1 << 20) {
        return false;
      }
      return in.readNBytes(length).length == length;
    } catch (IOException e) {
      return false;
    }
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
    String prop = System.getProperty(LIB_DIR_PROPERTY);
    if (prop != null && !prop.isBlank()) {
      return checkLibDir(Paths.get(prop.trim()), "system property " + LIB_DIR_PROPERTY);
    }
    String env = System.getenv(LIB_DIR_ENV);
    if (env != null && !env.isBlank()) {
      return checkLibDir(Paths.get(env.trim()), "environment variable " + LIB_DIR_ENV);
    }
    Properties p = launcherProperties();
    String fromResource = p.getProperty("lib.dir");
    if (fromResource == null || fromResource.isBlank() || fromResource.contains("${")) {
      throw new CassandraLaunchException(
          "No Cassandra classpath configured: resource "
              + LAUNCHER_RESOURCE
              + " has no filtered lib.dir. Build deploy/cassandra-launcher with Maven, or set -D"
              + LIB_DIR_PROPERTY
              + "=DIR or "
              + LIB_DIR_ENV
              + "=DIR.");
    }
    return checkLibDir(Paths.get(fromResource.trim()), "resource " + LAUNCHER_RESOURCE);
  }

  /**
   * The Cassandra version this launcher was built for (from the filtered resource), or "unknown".
   */
  public static String cassandraVersion() {
    String v = launcherProperties().getProperty("cassandra.version", "unknown");
    return v.contains("${") ? "unknown" : v;
  }

  static Properties launcherProperties() {
    Properties p = new Properties();
    try (InputStream in = LocalCassandra.class.getResourceAsStream(LAUNCHER_RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + LAUNCHER_RESOURCE, e);
    }
    return p;
  }

  static Path checkLibDir(Path dir, String source) {
    Path abs = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(abs)) {
      throw new CassandraLaunchException(
          "Cassandra classpath directory "
              + abs
              + " (from "
              + source
              + ") does not exist. Build it with: mvn -pl deploy/cassandra-launcher -am install -DskipTests");
    }
    if (findJar(abs, "cassandra-all-").isEmpty()) {
      throw new CassandraLaunchException(
          "Cassandra classpath directory "
              + abs
              + " (from "
              + source
              + ") has no cassandra-all-*.jar");
    }
    return abs;
  }

  private static Optional<Path> findJar(Path dir, String prefix) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, prefix + "*.jar")) {
      for (Path p : ds) {
        return Optional.of(p);
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Stops a Cassandra started (e.g. detached by the CLI) from {@code workDir}, found through its
   * pid file: SIGTERM, wait up to 30 s, then kill. Removes the pid file (also a stale one).
   *
   * @return true if a live process was stopped, false if none was running
   */
  public static boolean stopByPidFile(Path workDir) {
    Optional<ProcessHandle> handle = runningFromPidFile(workDir);
    Path pidFile = workDir.resolve(PID_FILE);
    if (handle.isEmpty()) {
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot delete " + pidFile, e);
      }
      return false;
    }
    long pid = handle.get().pid();
    terminate(handle.get(), STOP_TIMEOUT);
    try {
      deletePidFileIfOurs(workDir, pid);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + pidFile, e);
    }
    return true;
  }

  /**
   * The live Cassandra process recorded in {@code workDir/cassandra.pid}, if any. A pid that is
   * alive but clearly not a Cassandra JVM (reused pid) counts as not running.
   */
  public static Optional<ProcessHandle> runningFromPidFile(Path workDir) {
    OptionalPid pid = readPid(workDir.resolve(PID_FILE));
    if (pid == null) {
      return Optional.empty();
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid.value).filter(ProcessHandle::isAlive);
    if (h.isPresent()) {
      Optional<String> cmd = h.get().info().commandLine();
      if (cmd.isPresent() && !cmd.get().contains(MAIN_CLASS)) {
        return Optional.empty();
      }
    }
    return h;
  }

  private static final class OptionalPid {
    final long value;

    OptionalPid(long value) {
      this.value = value;
    }
  }

  private static OptionalPid readPid(Path pidFile) {
    try {
      String s = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
      return s.isEmpty() ? null : new OptionalPid(Long.parseLong(s));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private static void deletePidFileIfOurs(Path workDir, long pid) throws IOException {
    Path pidFile = workDir.resolve(PID_FILE);
    OptionalPid recorded = readPid(pidFile);
    if (recorded == null || recorded.value == pid) {
      Files.deleteIfExists(pidFile);
    }
  }

  /** SIGTERM, wait, SIGKILL. Returns true if the process ended within the timeout after SIGTERM. */
  private static boolean terminate(ProcessHandle handle, Duration timeout) {
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
    } catch (java.util.concurrent.TimeoutException e) {
      return !handle.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !handle.isAlive();
    } catch (java.util.concurrent.ExecutionException e) {
      return !handle.isAlive();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Configuration files and command line
  // ------------------------------------------------------------------------------------------------------------

  /** The top-level cassandra.yaml entries, in order: key to raw YAML value (may be a block). */
  Map<String, String> yamlEntries() {
    Path d = dataDir();
    Map<String, String> y = new LinkedHashMap<>();
    y.put("cluster_name", quote(clusterName));
    y.put("num_tokens", "16");
    y.put("partitioner", "org.apache.cassandra.dht.Murmur3Partitioner");
    y.put("data_file_directories", "\n  - " + quote(d.resolve("data").toString()));
    y.put("commitlog_directory", quote(d.resolve("commitlog").toString()));
    y.put("saved_caches_directory", quote(d.resolve("saved_caches").toString()));
    y.put("hints_directory", quote(d.resolve("hints").toString()));
    y.put("cdc_raw_directory", quote(d.resolve("cdc_raw").toString()));
    y.put("commitlog_sync", "periodic");
    y.put("commitlog_sync_period", "10000ms");
    y.put("commitlog_segment_size", "32MiB");
    y.put("commitlog_total_space", "1024MiB");
    y.put(
        "seed_provider",
        "\n  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
            + "    parameters:\n      - seeds: \""
            + HOST
            + ":"
            + storagePort
            + "\"");
    y.put("listen_address", HOST);
    y.put("rpc_address", HOST);
    y.put("storage_port", Integer.toString(storagePort));
    y.put("native_transport_port", Integer.toString(cqlPort));
    y.put("start_native_transport", "true");
    y.put("endpoint_snitch", "SimpleSnitch");
    y.put("authenticator", "AllowAllAuthenticator");
    y.put("authorizer", "AllowAllAuthorizer");
    y.put("role_manager", "CassandraRoleManager");
    y.put("concurrent_reads", "8");
    y.put("concurrent_writes", "8");
    y.put("concurrent_counter_writes", "8");
    y.put("concurrent_materialized_view_writes", "2");
    y.put("concurrent_compactors", "1");
    y.put("compaction_throughput", "64MiB/s");
    y.put("memtable_allocation_type", "heap_buffers");
    y.put("auto_snapshot", "false");
    y.put("snapshot_before_compaction", "false");
    y.put("batch_size_warn_threshold", "64KiB");
    y.put("batch_size_fail_threshold", "1024KiB");
    y.put("unlogged_batch_across_partitions_warn_threshold", "100");
    y.put("disk_failure_policy", "stop");
    y.put("commit_failure_policy", "stop");
    y.put("hinted_handoff_enabled", "true");
    y.put("dynamic_snitch", "false");
    if (clientTls != null) {
      y.put(
          "client_encryption_options",
          "\n  enabled: true\n  optional: false\n  keystore: "
              + quote(clientTls.keystore().toAbsolutePath().toString())
              + "\n  keystore_password: "
              + quote(clientTls.password())
              + "\n  store_type: PKCS12\n  require_client_auth: false");
    }
    y.putAll(yamlOverrides);
    return y;
  }

  /** The cassandra.yaml written to {@code workDir/conf}. */
  String cassandraYaml() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "# Written by io.parley.deploy.cassandra.LocalCassandra at each start; edits are overwritten.\n");
    yamlEntries()
        .forEach(
            (k, v) -> {
              sb.append(k).append(':');
              if (!v.startsWith("\n")) {
                sb.append(' ');
              }
              sb.append(v).append('\n');
            });
    return sb.toString();
  }

  /**
   * logback.xml: INFO and up into logs/system.log (rolling), only WARN and up on the console
   * (stdout.log).
   */
  String logbackXml() {
    String log = xmlEscape(systemLog().toString());
    return "<configuration scan=\"false\">\n"
        + "  <!-- Written by io.parley.deploy.cassandra.LocalCassandra. No shutdown hook: Cassandra stops"
        + " logback itself after it drained. -->\n"
        + "  <appender name=\"SYSTEMLOG\" class=\"ch.qos.logback.core.rolling.RollingFileAppender\">\n"
        + "    <file>"
        + log
        + "</file>\n"
        + "    <rollingPolicy class=\"ch.qos.logback.core.rolling.FixedWindowRollingPolicy\">\n"
        + "      <fileNamePattern>"
        + log
        + ".%i.zip</fileNamePattern>\n"
        + "      <minIndex>1</minIndex>\n"
        + "      <maxIndex>5</maxIndex>\n"
        + "    </rollingPolicy>\n"
        + "    <triggeringPolicy class=\"ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy\">\n"
        + "      <maxFileSize>20MB</maxFileSize>\n"
        + "    </triggeringPolicy>\n"
        + "    <encoder>\n"
        + "      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>\n"
        + "    </encoder>\n"
        + "  </appender>\n"
        + "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">\n"
        + "    <filter class=\"ch.qos.logback.classic.filter.ThresholdFilter\">\n"
        + "      <level>WARN</level>\n"
        + "    </filter>\n"
        + "    <encoder>\n"
        + "      <pattern>%-5level %date{HH:mm:ss,SSS} %msg%n</pattern>\n"
        + "    </encoder>\n"
        + "  </appender>\n"
        + "  <root level=\"INFO\">\n"
        + "    <appender-ref ref=\"SYSTEMLOG\"/>\n"
        + "    <appender-ref ref=\"STDOUT\"/>\n"
        + "  </root>\n"
        + "</configuration>\n";
  }

  /** The full command line of the Cassandra JVM. */
  List<String> command(Path libDir) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable.toString());
    cmd.add("-Xms" + heap);
    cmd.add("-Xmx" + heap);
    cmd.addAll(GC_AND_RUNTIME_FLAGS);
    cmd.addAll(JAVA17_MODULE_FLAGS);
    findJar(libDir, "jamm-").ifPresent(jamm -> cmd.add("-javaagent:" + jamm));
    cmd.add("-D" + WORKDIR_MARKER_PROPERTY + "=" + workDir);
    cmd.add("-Dcassandra.config=" + confDir().resolve("cassandra.yaml").toUri());
    cmd.add("-Dcassandra.storagedir=" + dataDir());
    cmd.add("-Dcassandra.logdir=" + logDir());
    cmd.add("-Dlogback.configurationFile=" + confDir().resolve("logback.xml"));
    cmd.add("-Djava.rmi.server.hostname=" + HOST);
    if (jmxPort > 0) {
      cmd.add("-Dcassandra.jmx.local.port=" + jmxPort);
    }
    cmd.addAll(extraJvmArgs);
    cmd.add("-cp");
    cmd.add(libDir.toString() + File.separator + "*");
    cmd.add(MAIN_CLASS);
    return cmd;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Internals
  // ------------------------------------------------------------------------------------------------------------

  private void refuseIfWorkDirInUse() {
    Optional<ProcessHandle> other = runningFromPidFile(workDir);
    if (other.isPresent() && (process == null || other.get().pid() != process.pid())) {
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

  private static void checkPortFree(String what, int port) {
    if (!isPortFree(port)) {
      throw new CassandraLaunchException(
          "Cannot start Cassandra: "
              + what
              + " "
              + port
              + " on "
              + HOST
              + " is already in use (port "
              + port
              + ")");
    }
  }

  private static int pickFreePortOtherThan(int... taken) {
    for (int attempt = 0; attempt < 20; attempt++) {
      int p = freePort();
      boolean clash = false;
      for (int t : taken) {
        clash |= t == p;
      }
      if (!clash) {
        return p;
      }
    }
    throw new CassandraLaunchException("Cannot find a free JMX port on " + HOST);
  }

  /** Last lines of this run's system.log (from offset) and of stdout.log, for error messages. */
  String logTail(long systemLogOffset) {
    StringBuilder sb = new StringBuilder();
    List<String> sys = tail(systemLog(), systemLogOffset, LOG_TAIL_LINES);
    if (!sys.isEmpty()) {
      sb.append("\n--- last ")
          .append(sys.size())
          .append(" lines of ")
          .append(systemLog())
          .append(" ---\n");
      sys.forEach(l -> sb.append(l).append('\n'));
    }
    List<String> out = tail(stdoutLog(), 0, sys.isEmpty() ? LOG_TAIL_LINES : LOG_TAIL_LINES / 2);
    if (!out.isEmpty()) {
      sb.append("\n--- last ")
          .append(out.size())
          .append(" lines of ")
          .append(stdoutLog())
          .append(" ---\n");
      out.forEach(l -> sb.append(l).append('\n'));
    }
    if (sb.length() == 0) {
      sb.append(" (no output in ").append(logDir()).append(')');
    }
    return sb.toString();
  }

  static List<String> tail(Path file, long offset, int lines) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long len = raf.length();
      long from = Math.max(offset > len ? 0 : offset, len - 512 * 1024);
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

  private static void writeAtomically(Path target, String content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
            if (exc != null) {
              throw exc;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static File nullFile() {
    return new File(File.separatorChar == '\\' ? "NUL" : "/dev/null");
  }

  static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String xmlEscape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CassandraLaunchException("Interrupted while waiting for Cassandra", e);
    }
  }

  static String checkHeap(String heap) {
    Objects.requireNonNull(heap, "heap");
    if (!HEAP_PATTERN.matcher(heap).matches()) {
      throw new IllegalArgumentException(
          "heap must look like 512m, 768m or 1g, not '" + heap + "'");
    }
    return heap;
  }

  static int checkPort(String what, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " must be 1..65535, not " + port);
    }
    return port;
  }

  /** Reads {@code native_transport_port} from a work dir's generated cassandra.yaml, if there. */
  static Optional<Integer> cqlPortFromYaml(Path workDir) {
    Path yaml = workDir.resolve("conf").resolve("cassandra.yaml");
    try {
      Matcher m =
          Pattern.compile("(?m)^native_transport_port:\\s*(\\d+)\\s*$")
              .matcher(Files.readString(yaml));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Builder
  // ------------------------------------------------------------------------------------------------------------

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
      this.cqlPort = checkPort("cqlPort", port);
      return this;
    }

    /** Internode storage port (also the seed's port), default 7000. */
    public Builder storagePort(int port) {
      this.storagePort = checkPort("storagePort", port);
      return this;
    }

    /**
     * Local JMX port (for nodetool): a port, {@link #JMX_PICK_FREE} (default: a free port at each
     * start) or {@link #JMX_DISABLED}.
     */
    public Builder jmxPort(int port) {
      if (port != JMX_PICK_FREE && port != JMX_DISABLED) {
        checkPort("jmxPort", port);
      }
      this.jmxPort = port;
      return this;
    }

    /** -Xms/-Xmx of the Cassandra JVM, e.g. "512m"; default "1g". */
    public Builder heap(String heap) {
      this.heap = checkHeap(heap);
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

    public LocalCassandra build() {
      int jmx = jmxPort;
      if (cqlPort == storagePort || (jmx > 0 && (jmx == cqlPort || jmx == storagePort))) {
        throw new IllegalArgumentException(
            "CQL, storage and JMX ports must differ: cql="
                + cqlPort
                + " storage="
                + storagePort
                + " jmx="
                + jmx);
      }
      return new LocalCassandra(this);
    }

    /** {@code build().start()}. */
    public LocalCassandra start() {
      return build().start();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // CLI
  // ------------------------------------------------------------------------------------------------------------

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
