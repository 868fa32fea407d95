package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.Properties;

/**
 * Where Cassandra's runtime classpath is: the directory the build copies to {@code
 * target/cassandra-lib} ({@code cassandra-all} is a provided dependency of this module), found
 * through {@link LocalCassandra#LIB_DIR_PROPERTY}, {@link LocalCassandra#LIB_DIR_ENV} or the {@link
 * LocalCassandra#LAUNCHER_RESOURCE} resource filtered into the jar. {@link JvmCommand} puts it on
 * the child JVM's {@code -cp}.
 */
final class CassandraClasspath {

  private CassandraClasspath() {}

  /** See {@link LocalCassandra#resolveLibDir()}. */
  static Path resolveLibDir() {
    String prop = System.getProperty(LocalCassandra.LIB_DIR_PROPERTY);
    if (prop != null && !prop.isBlank()) {
      return checkLibDir(
          Paths.get(prop.trim()), "system property " + LocalCassandra.LIB_DIR_PROPERTY);
    }
    String env = System.getenv(LocalCassandra.LIB_DIR_ENV);
    if (env != null && !env.isBlank()) {
      return checkLibDir(
          Paths.get(env.trim()), "environment variable " + LocalCassandra.LIB_DIR_ENV);
    }
    Properties p = launcherProperties();
    String fromResource = p.getProperty("lib.dir");
    if (fromResource == null || fromResource.isBlank() || fromResource.contains("${")) {
      throw new CassandraLaunchException(
          "No Cassandra classpath configured: resource "
              + LocalCassandra.LAUNCHER_RESOURCE
              + " has no filtered lib.dir. Build deploy/cassandra-launcher with Maven, or set -D"
              + LocalCassandra.LIB_DIR_PROPERTY
              + "=DIR or "
              + LocalCassandra.LIB_DIR_ENV
              + "=DIR.");
    }
    return checkLibDir(
        Paths.get(fromResource.trim()), "resource " + LocalCassandra.LAUNCHER_RESOURCE);
  }

  /** See {@link LocalCassandra#cassandraVersion()}. */
  static String cassandraVersion() {
    String v = launcherProperties().getProperty("cassandra.version", "unknown");
    return v.contains("${") ? "unknown" : v;
  }

  static Properties launcherProperties() {
    Properties p = new Properties();
    try (InputStream in =
        LocalCassandra.class.getResourceAsStream(LocalCassandra.LAUNCHER_RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + LocalCassandra.LAUNCHER_RESOURCE, e);
    }
    return p;
  }

  /**
   * {@code dir} made absolute, if it holds a cassandra-all jar.
   *
   * @param source where the directory came from, for the error message
   * @throws CassandraLaunchException if it does not exist or has no cassandra-all jar
   */
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

  /** The first {@code prefix*.jar} in {@code dir}, if any. */
  static Optional<Path> findJar(Path dir, String prefix) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, prefix + "*.jar")) {
      for (Path p : ds) {
        return Optional.of(p);
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
