package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports on {@link LocalCassandra#HOST}: finding a free one, checking one is free, and the early
 * "port already in use" refusal of {@link LocalCassandra#start()} (so a clash fails in
 * milliseconds, naming the port, instead of in Cassandra's log after its start-up).
 */
final class LocalPorts {

  private LocalPorts() {}

  /** The lowest port {@link #freePort()} hands out. */
  private static final int LOWEST = 10_000;

  /** Ports this JVM has handed out (each at most once). */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  /**
   * See {@link LocalCassandra#freePort()}. A free port below the kernel's ephemeral range, never
   * the same twice in this JVM. A port from that range (what binding port 0 gives) can be handed to
   * an outgoing connection of another process between the choice and the bind: a node's gateway
   * once found its port taken that way (CassandraOutageIT). Without room below the range, port 0.
   */
  static int freePort() {
    int below = ephemeralLow();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; below - LOWEST >= 1000 && attempt < 500; attempt++) {
      int port = random.nextInt(LOWEST, below);
      if (HANDED_OUT.add(port) && isPortFree(port)) {
        return port;
      }
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName(LocalCassandra.HOST), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + LocalCassandra.HOST, e);
    }
  }

  /** The first port of the kernel's ephemeral range (Linux), 32768 if it cannot be read. */
  static int ephemeralLow() {
    try {
      // Read as a line: Files.readString gives a truncated answer for this procfs file on JDK 17.
      try (java.io.BufferedReader reader =
          Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
        return Integer.parseInt(reader.readLine().strip().split("\\s+")[0]);
      }
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  /** See {@link LocalCassandra#isPortFree(int)}. */
  static boolean isPortFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      // SO_REUSEADDR (Java's default on Unix) lets us ignore TIME_WAIT leftovers but still fails on
      // a listener.
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(LocalCassandra.HOST), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * @param what the port's role and cassandra.yaml key, e.g. "storage port (storage_port)"
   * @throws CassandraLaunchException naming the port if it is taken
   */
  static void checkFree(String what, int port) {
    if (!isPortFree(port)) {
      throw new CassandraLaunchException(
          "Cannot start Cassandra: "
              + what
              + " "
              + port
              + " on "
              + LocalCassandra.HOST
              + " is already in use (port "
              + port
              + ")");
    }
  }

  /** A free port for JMX that is none of {@code taken}. */
  static int pickFreePortOtherThan(int... taken) {
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
    throw new CassandraLaunchException("Cannot find a free JMX port on " + LocalCassandra.HOST);
  }
}
