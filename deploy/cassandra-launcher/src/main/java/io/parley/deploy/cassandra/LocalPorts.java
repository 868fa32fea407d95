package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Ports on {@link LocalCassandra#HOST}: finding a free one, checking one is free, and the early
 * "port already in use" refusal of {@link LocalCassandra#start()} (so a clash fails in
 * milliseconds, naming the port, instead of in Cassandra's log after its start-up).
 */
final class LocalPorts {

  private LocalPorts() {}

  /** See {@link LocalCassandra#freePort()}. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getByName(LocalCassandra.HOST), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + LocalCassandra.HOST, e);
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
