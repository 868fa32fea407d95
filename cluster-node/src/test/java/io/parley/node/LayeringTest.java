package io.parley.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The node's packages depend on each other one way only: {@code {gateway, rest} -> session ->
 * {presence, conversation, security} -> message}, with {@code presence -> conversation}, {@code
 * session, conversation -> hooks} (the cloud-hook client, which needs only the settings) and the
 * shared {@code settings}, {@code concurrent}, {@code serialization} and {@code metrics} at the
 * bottom ({@code health} holds the management health checks and is used by Main only); {@code Main}
 * (the root package) wires them and nobody depends on it. Read from the sources, imports and fully
 * qualified names alike; a new cycle or an upward dependency fails here with the files that cause
 * it.
 */
class LayeringTest {

  private static final Path SOURCES = Path.of("src/main/java/io/parley/node");
  private static final Pattern REFERENCE =
      Pattern.compile("io\\.parley\\.node\\.([a-z]+)\\.|io\\.parley\\.node\\.(Main)\\b");

  /** What each package may use; a package missing here may use nothing of the node. */
  private static final Map<String, Set<String>> ALLOWED =
      Map.ofEntries(
          Map.entry("gateway", Set.of("session", "security", "settings", "concurrent", "metrics")),
          Map.entry(
              "rest",
              Set.of(
                  "session",
                  "conversation",
                  "presence",
                  "message",
                  "security",
                  "settings",
                  "concurrent",
                  "metrics")),
          Map.entry(
              "session",
              Set.of(
                  "conversation",
                  "presence",
                  "message",
                  "security",
                  "hooks",
                  "settings",
                  "concurrent",
                  "serialization",
                  "metrics")),
          Map.entry("security", Set.of("settings", "concurrent")),
          Map.entry("presence", Set.of("conversation", "concurrent", "serialization", "metrics")),
          Map.entry(
              "conversation",
              Set.of("message", "hooks", "settings", "concurrent", "serialization", "metrics")),
          Map.entry("hooks", Set.of("settings", "concurrent", "metrics")),
          Map.entry("message", Set.of("settings", "concurrent", "serialization", "metrics")),
          Map.entry("metrics", Set.of("concurrent")),
          Map.entry("health", Set.of("concurrent")),
          Map.entry("settings", Set.of()),
          Map.entry("concurrent", Set.of()),
          Map.entry("serialization", Set.of()));

  @Test
  void every_package_depends_only_on_the_layers_below_it() {
    Map<String, Set<String>> uses = dependencies();
    List<String> violations = new ArrayList<>();
    uses.forEach(
        (from, targets) -> {
          if (from.equals("")) {
            return; // Main wires everything
          }
          Set<String> allowed = ALLOWED.get(from);
          assertTrue(
              allowed != null,
              "package " + from + " has no place in the layering: add it to ALLOWED");
          for (String target : targets) {
            if (!allowed.contains(target)) {
              violations.add(
                  from + " -> " + target + " (" + String.join(", ", evidence(from, target)) + ")");
            }
          }
        });
    assertEquals(List.of(), violations, "dependencies against the layering");
  }

  @Test
  void the_package_graph_has_no_cycle() {
    Map<String, Set<String>> uses = dependencies();
    for (String start : uses.keySet()) {
      List<String> cycle =
          cycleFrom(start, start, uses, new ArrayList<>(List.of(start)), new TreeSet<>());
      assertEquals(List.of(), cycle, "package cycle");
    }
  }

  /** Package (relative to io.parley.node, "" for the root) -> the node packages its files name. */
  private static Map<String, Set<String>> dependencies() {
    Map<String, Set<String>> uses = new TreeMap<>();
    for (Path file : javaFiles()) {
      String from = packageOf(file);
      Set<String> targets = uses.computeIfAbsent(from, p -> new TreeSet<>());
      Matcher matcher = REFERENCE.matcher(read(file));
      while (matcher.find()) {
        String target = matcher.group(1) != null ? matcher.group(1) : "";
        if (!target.equals(from)) {
          targets.add(target);
        }
      }
    }
    return uses;
  }

  private static List<String> cycleFrom(
      String start, String at, Map<String, Set<String>> uses, List<String> path, Set<String> seen) {
    for (String next : uses.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        List<String> cycle = new ArrayList<>(path);
        cycle.add(start);
        return cycle;
      }
      if (seen.add(next)) {
        path.add(next);
        List<String> found = cycleFrom(start, next, uses, path, seen);
        if (!found.isEmpty()) {
          return found;
        }
        path.remove(path.size() - 1);
      }
    }
    return List.of();
  }

  private static List<String> evidence(String from, String target) {
    String needle = target.isEmpty() ? "io.parley.node.Main" : "io.parley.node." + target + ".";
    return javaFiles().stream()
        .filter(file -> packageOf(file).equals(from) && read(file).contains(needle))
        .map(file -> SOURCES.relativize(file).toString())
        .toList();
  }

  private static String packageOf(Path file) {
    Path relative = SOURCES.relativize(file.getParent());
    return relative.toString().isEmpty() ? "" : relative.getName(0).toString();
  }

  private static List<Path> javaFiles() {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      return files.filter(file -> file.toString().endsWith(".java")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
