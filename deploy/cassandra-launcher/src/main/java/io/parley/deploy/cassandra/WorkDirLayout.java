package io.parley.deploy.cassandra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The layout of a launcher work directory and the file operations on it: {@code
 * conf/cassandra.yaml}, {@code conf/logback.xml}, {@code data/} (data, commitlog, saved_caches,
 * hints, cdc_raw), {@code logs/system.log}, {@code logs/stdout.log}, {@code cassandra.pid}. What
 * goes into the configuration files is {@link ConfigFiles}' business; this class only knows where
 * they are and how they are written.
 */
record WorkDirLayout(Path root) {

  static final List<String> DATA_SUBDIRS =
      List.of("data", "commitlog", "saved_caches", "hints", "cdc_raw");

  Path dataDir() {
    return root.resolve("data");
  }

  Path confDir() {
    return root.resolve("conf");
  }

  Path logDir() {
    return root.resolve("logs");
  }

  Path cassandraYaml() {
    return confDir().resolve("cassandra.yaml");
  }

  Path logbackXml() {
    return confDir().resolve("logback.xml");
  }

  Path systemLog() {
    return logDir().resolve("system.log");
  }

  Path stdoutLog() {
    return logDir().resolve("stdout.log");
  }

  Path pidFile() {
    return root.resolve(LocalCassandra.PID_FILE);
  }

  /**
   * Creates conf/, logs/ and the data directories and (re)writes both configuration files.
   *
   * @return the size of logs/system.log before this start, where this run's log lines begin
   * @throws CassandraLaunchException if the work dir cannot be prepared
   */
  long prepare(String cassandraYaml, String logbackXml) {
    try {
      Files.createDirectories(confDir());
      Files.createDirectories(logDir());
      for (String sub : DATA_SUBDIRS) {
        Files.createDirectories(dataDir().resolve(sub));
      }
      writeAtomically(cassandraYaml(), cassandraYaml);
      writeAtomically(logbackXml(), logbackXml);
      return Files.exists(systemLog()) ? Files.size(systemLog()) : 0L;
    } catch (IOException e) {
      throw new CassandraLaunchException("Cannot prepare Cassandra work dir " + root + ": " + e, e);
    }
  }

  /** Deletes data/ (data, commitlog, caches, hints), keeping conf/ and logs/. */
  void deleteData() throws IOException {
    deleteRecursively(dataDir());
  }

  static void writeAtomically(Path target, String content) throws IOException {
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
}
