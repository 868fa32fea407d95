package io.parley.node.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces for nodes, made with {@code ip} (needs root): a bridge {@code parley-it-br}
 * with {@code 10.231.0.1/24} in the host's namespace and one namespace {@code parley-it-nI} per
 * node, joined to the bridge by a veth pair, with address {@code 10.231.0.(I+1)}. A partition is
 * cut and healed with blackhole routes inside the namespaces, so the cut nodes lose each other
 * while both still reach the bridge (Cassandra, clients). Only {@code 10.231.0.0/16} and names
 * starting with {@code parley-it-} are used; {@link #close} removes everything, and {@link #create}
 * first removes what an aborted run left.
 */
final class Netns implements AutoCloseable {

  static final String PREFIX = "parley-it-";
  static final String BRIDGE = PREFIX + "br";
  static final String GATEWAY = "10.231.0.1";

  private final int size;

  private Netns(int size) {
    this.size = size;
  }

  /** The address of node {@code index} (0-based). */
  static String address(int index) {
    return "10.231.0." + (index + 2);
  }

  static String namespace(int index) {
    return PREFIX + "n" + (index + 1);
  }

  static Netns create(int size) {
    removeLeftovers();
    Netns netns = new Netns(size);
    try {
      ip("link", "add", BRIDGE, "type", "bridge");
      ip("addr", "add", GATEWAY + "/24", "dev", BRIDGE);
      ip("link", "set", BRIDGE, "up");
      for (int n = 0; n < size; n++) {
        String ns = namespace(n);
        String host = PREFIX + "h" + (n + 1);
        String inside = PREFIX + "c" + (n + 1);
        ip("netns", "add", ns);
        ip("link", "add", host, "type", "veth", "peer", "name", inside);
        ip("link", "set", inside, "netns", ns);
        ip("link", "set", host, "master", BRIDGE);
        ip("link", "set", host, "up");
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "addr", "add", address(n) + "/24", "dev", inside);
        ip("-n", ns, "link", "set", inside, "up");
      }
      return netns;
    } catch (RuntimeException e) {
      netns.close();
      throw e;
    }
  }

  /**
   * Cuts node {@code isolated} from every other node (both directions); the bridge stays reachable.
   */
  void isolate(int isolated) {
    for (int n = 0; n < size; n++) {
      if (n != isolated) {
        ip("-n", namespace(n), "route", "add", "blackhole", address(isolated) + "/32");
        ip("-n", namespace(isolated), "route", "add", "blackhole", address(n) + "/32");
      }
    }
  }

  void heal(int isolated) {
    for (int n = 0; n < size; n++) {
      if (n != isolated) {
        ip("-n", namespace(n), "route", "del", "blackhole", address(isolated) + "/32");
        ip("-n", namespace(isolated), "route", "del", "blackhole", address(n) + "/32");
      }
    }
  }

  @Override
  public void close() {
    removeLeftovers();
  }

  /**
   * Deletes every namespace and link named {@code parley-it-*} (veth peers go with their
   * namespace).
   */
  static void removeLeftovers() {
    for (String ns : lines(run(List.of("ip", "netns", "list"), false))) {
      String name = ns.split(" ")[0];
      if (name.startsWith(PREFIX)) {
        run(List.of("ip", "netns", "del", name), false);
      }
    }
    for (String link : lines(run(List.of("ip", "-o", "link", "show"), false))) {
      String[] parts = link.split(": ");
      if (parts.length > 1) {
        String name = parts[1].split("@")[0];
        if (name.startsWith(PREFIX)) {
          run(List.of("ip", "link", "del", name), false);
        }
      }
    }
  }

  private static List<String> lines(String text) {
    return text.isBlank() ? List.of() : List.of(text.split("\n"));
  }

  private static void ip(String... arguments) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(arguments));
    run(command, true);
  }

  private static String run(List<String> command, boolean check) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish");
      }
      if (check && process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed (network namespaces need root and "
                + "iproute2): "
                + output.strip());
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run " + command + " (is iproute2 installed?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
