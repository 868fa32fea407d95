package io.parley.deploy.cassandra;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** The command line of {@link LocalCassandra#main(String[])} (used by deploy/local/cassandra). */
final class Cli {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int NOT_RUNNING = 3;

  static final String USAGE_TEXT =
      String.join(
          "\n",
          "usage: LocalCassandra start [--dir D] [--cql-port P] [--storage-port P] [--jmx-port P|0|-1] [--heap 1g]",
          "                            [--cluster-name N] [--timeout SECONDS] [--wipe] [--foreground]",
          "                            [--client-tls-keystore FILE --client-tls-password P]",
          "       LocalCassandra stop [--dir D]",
          "       LocalCassandra status [--dir D] [--cql-port P] [--client-tls-keystore FILE --client-tls-password P]",
          "",
          "  --dir D          work dir (conf, data, logs, cassandra.pid); default "
              + LocalCassandra.defaultWorkDir(),
          "  --cql-port P     CQL native port, default "
              + LocalCassandra.DEFAULT_CQL_PORT
              + " (status: default is the port in D/conf/cassandra.yaml)",
          "  --storage-port P internode port, default " + LocalCassandra.DEFAULT_STORAGE_PORT,
          "  --jmx-port P     JMX port for nodetool; 0 = pick a free one (default), -1 = no JMX",
          "  --heap SIZE      heap of the Cassandra JVM, default " + LocalCassandra.DEFAULT_HEAP,
          "  --timeout S      start-up timeout in seconds, default "
              + LocalCassandra.DEFAULT_STARTUP_TIMEOUT.toSeconds(),
          "  --wipe           delete D/data before starting",
          "  --client-tls-keystore FILE, --client-tls-password P",
          "                   serve CQL over TLS only (client_encryption_options) with the key and certificate",
          "                   in this PKCS12 file; nodes then need PARLEY_CASSANDRA_TLS=on and a truststore",
          "  --foreground     stay until SIGTERM/Ctrl-C and stop Cassandra then; without it Cassandra keeps",
          "                   running detached after 'start' returns (stop it with 'stop --dir D')",
          "",
          "Cassandra's classpath: -D"
              + LocalCassandra.LIB_DIR_PROPERTY
              + "=DIR or "
              + LocalCassandra.LIB_DIR_ENV
              + "=DIR, else the build's target/cassandra-lib.",
          "Exit codes: 0 ok, 1 failed, 2 bad arguments, 3 (status) not running or not answering CQL.");

  /**
   * Kept referenced: the CLI prints its own lines, so the library's INFO log lines would only
   * repeat them.
   */
  private static final java.util.logging.Logger LIBRARY_LOG =
      java.util.logging.Logger.getLogger(LocalCassandra.class.getName());

  private Cli() {}

  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** Parsed arguments; null fields were not given. */
  static final class Args {
    String action;
    Path dir;
    Integer cqlPort;
    Integer storagePort;
    Integer jmxPort;
    String heap;
    String clusterName;
    Duration timeout;
    boolean wipe;
    boolean foreground;
    boolean help;
    Path clientTlsKeystore;
    String clientTlsPassword;

    /** The client TLS given on the command line, or null. */
    LocalCassandra.ClientTls clientTls() {
      return clientTlsKeystore == null
          ? null
          : new LocalCassandra.ClientTls(clientTlsKeystore, clientTlsPassword);
    }

    Path dirOrDefault() {
      return dir != null ? dir : LocalCassandra.defaultWorkDir();
    }

    /** The builder for "start". */
    LocalCassandra.Builder toBuilder() {
      LocalCassandra.Builder b = LocalCassandra.builder().workDir(dirOrDefault());
      if (cqlPort != null) {
        b.cqlPort(cqlPort);
      }
      if (storagePort != null) {
        b.storagePort(storagePort);
      }
      if (jmxPort != null) {
        b.jmxPort(jmxPort);
      }
      if (heap != null) {
        b.heap(heap);
      }
      if (clusterName != null) {
        b.clusterName(clusterName);
      }
      if (timeout != null) {
        b.startupTimeout(timeout);
      }
      return b.wipe(wipe).stopOnJvmExit(foreground).clientTls(clientTls());
    }
  }

  private static final Set<String> ACTIONS = Set.of("start", "stop", "status");

  static Args parse(String[] argv) throws UsageException {
    Args a = new Args();
    if (argv.length == 0) {
      throw new UsageException("missing command (start, stop or status)");
    }
    if (argv[0].equals("-h") || argv[0].equals("--help") || argv[0].equals("help")) {
      a.help = true;
      return a;
    }
    a.action = argv[0];
    if (!ACTIONS.contains(a.action)) {
      throw new UsageException(
          "unknown command '" + a.action + "' (expected start, stop or status)");
    }
    for (int i = 1; i < argv.length; i++) {
      String arg = argv[i];
      String name = arg;
      String inlineValue = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        inlineValue = arg.substring(eq + 1);
      }
      if (name.equals("-h") || name.equals("--help")) {
        a.help = true;
        continue;
      }
      if (!allowed(a.action, name)) {
        throw new UsageException("option " + name + " is not valid for '" + a.action + "'");
      }
      switch (name) {
        case "--wipe":
        case "--foreground":
          if (inlineValue != null) {
            throw new UsageException(name + " takes no value");
          }
          if (name.equals("--wipe")) {
            a.wipe = true;
          } else {
            a.foreground = true;
          }
          continue;
        default:
          break;
      }
      String value;
      if (inlineValue != null) {
        value = inlineValue;
      } else {
        if (i + 1 >= argv.length) {
          throw new UsageException(name + " needs a value");
        }
        value = argv[++i];
      }
      switch (name) {
        case "--dir":
          if (value.isBlank()) {
            throw new UsageException("--dir needs a directory");
          }
          a.dir = Paths.get(value);
          break;
        case "--cql-port":
          a.cqlPort = port(name, value, false);
          break;
        case "--storage-port":
          a.storagePort = port(name, value, false);
          break;
        case "--jmx-port":
          a.jmxPort = port(name, value, true);
          break;
        case "--heap":
          try {
            a.heap = LaunchSettings.checkHeap(value);
          } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
          }
          break;
        case "--cluster-name":
          a.clusterName = value;
          break;
        case "--client-tls-keystore":
          a.clientTlsKeystore = Paths.get(value);
          break;
        case "--client-tls-password":
          a.clientTlsPassword = value;
          break;
        case "--timeout":
          try {
            long s = Long.parseLong(value);
            if (s <= 0) {
              throw new NumberFormatException();
            }
            a.timeout = Duration.ofSeconds(s);
          } catch (NumberFormatException e) {
            throw new UsageException(
                "--timeout needs a positive number of seconds, not '" + value + "'");
          }
          break;
        default:
          throw new UsageException("unknown option " + name);
      }
    }
    if ((a.clientTlsKeystore == null) != (a.clientTlsPassword == null)) {
      throw new UsageException("--client-tls-keystore and --client-tls-password go together");
    }
    if (a.action.equals("start")) {
      int cql = a.cqlPort != null ? a.cqlPort : LocalCassandra.DEFAULT_CQL_PORT;
      int storage = a.storagePort != null ? a.storagePort : LocalCassandra.DEFAULT_STORAGE_PORT;
      if (cql == storage
          || (a.jmxPort != null && a.jmxPort > 0 && (a.jmxPort == cql || a.jmxPort == storage))) {
        throw new UsageException("CQL, storage and JMX ports must differ");
      }
    }
    return a;
  }

  private static boolean allowed(String action, String option) {
    switch (action) {
      case "start":
        return Set.of(
                "--dir",
                "--cql-port",
                "--storage-port",
                "--jmx-port",
                "--heap",
                "--cluster-name",
                "--timeout",
                "--wipe",
                "--foreground",
                "--client-tls-keystore",
                "--client-tls-password")
            .contains(option);
      case "stop":
        return option.equals("--dir");
      case "status":
        return Set.of("--dir", "--cql-port", "--client-tls-keystore", "--client-tls-password")
            .contains(option);
      default:
        return false;
    }
  }

  private static int port(String name, String value, boolean jmx) throws UsageException {
    try {
      int p = Integer.parseInt(value);
      if (jmx && (p == LocalCassandra.JMX_PICK_FREE || p == LocalCassandra.JMX_DISABLED)) {
        return p;
      }
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // fall through
    }
    throw new UsageException(
        name + " needs a port 1..65535" + (jmx ? " (or 0, -1)" : "") + ", not '" + value + "'");
  }

  /**
   * For main(): quiet the library's INFO lines (the JDK's default System.Logger backend is
   * java.util.logging).
   */
  static void quietLibraryLog() {
    LIBRARY_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  static int run(String[] argv, PrintStream out, PrintStream err) {
    Args a;
    try {
      a = parse(argv);
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE_TEXT);
      return USAGE;
    }
    if (a.help) {
      out.println(USAGE_TEXT);
      return OK;
    }
    try {
      switch (a.action) {
        case "start":
          return start(a, out, err);
        case "stop":
          return stop(a, out);
        case "status":
          return status(a, out);
        default:
          throw new IllegalStateException(a.action);
      }
    } catch (CassandraLaunchException e) {
      err.println("error: " + e.getMessage());
      return FAILED;
    } catch (RuntimeException e) {
      err.println("error: " + e);
      return FAILED;
    }
  }

  private static int start(Args a, PrintStream out, PrintStream err) {
    LocalCassandra c = a.toBuilder().build();
    c.start();
    out.println("Cassandra ready on " + c.contactPoint());
    out.printf(
        "  pid %d, started in %.1f s, work dir %s, log %s%s%n",
        c.pid(),
        c.lastStartupTime().toMillis() / 1000.0,
        c.workDir(),
        c.systemLog(),
        c.jmxPort() > 0 ? ", JMX port " + c.jmxPort() : "");
    out.flush();
    if (!a.foreground) {
      return OK;
    }
    try {
      int code = c.waitFor();
      if (c.stopRequested()) {
        return OK; // stopped by our shutdown hook (SIGTERM/Ctrl-C)
      }
      // Cassandra ended by itself (crash, OOM, killed from outside).
      err.println("Cassandra exited with code " + code + "; see " + c.systemLog());
      c.stop();
      return FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.stop();
      return FAILED;
    }
  }

  private static int stop(Args a, PrintStream out) {
    Path dir = a.dirOrDefault();
    Optional<ProcessHandle> running = LocalCassandra.runningFromPidFile(dir);
    if (LocalCassandra.stopByPidFile(dir)) {
      out.println(
          "Cassandra stopped (pid "
              + running.map(ProcessHandle::pid).map(String::valueOf).orElse("?")
              + ", work dir "
              + dir
              + ")");
    } else {
      out.println(
          "Cassandra not running (no live pid in " + dir.resolve(LocalCassandra.PID_FILE) + ")");
    }
    return OK;
  }

  private static int status(Args a, PrintStream out) {
    Path dir = a.dirOrDefault();
    int port =
        a.cqlPort != null
            ? a.cqlPort
            : ConfigFiles.cqlPortFromYaml(dir).orElse(LocalCassandra.DEFAULT_CQL_PORT);
    Optional<ProcessHandle> running = LocalCassandra.runningFromPidFile(dir);
    if (running.isEmpty()) {
      out.println("Cassandra not running (work dir " + dir + ")");
      return NOT_RUNNING;
    }
    long pid = running.get().pid();
    if (CqlHandshake.answers(LocalCassandra.HOST, port, Duration.ofSeconds(3), a.clientTls())) {
      out.println(
          "Cassandra running (pid "
              + pid
              + ") and answering CQL on "
              + LocalCassandra.HOST
              + ":"
              + port);
      return OK;
    }
    out.println(
        "Cassandra running (pid "
            + pid
            + ") but not answering CQL on "
            + LocalCassandra.HOST
            + ":"
            + port);
    return NOT_RUNNING;
  }
}
