package io.parley.deploy.cassandra;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of the Cassandra child JVM: heap, the flags of Cassandra's own {@code
 * conf/jvm17-server.options}, the jamm agent, the system properties that point Cassandra at the
 * work dir's files ({@link WorkDirLayout}), JMX, the builder's extra arguments, the classpath
 * ({@link CassandraClasspath}) and {@link LocalCassandra#MAIN_CLASS}.
 */
final class JvmCommand {

  /**
   * Marker system property on the Cassandra JVM, so that {@code ps} shows which work dir a process
   * belongs to.
   */
  static final String WORKDIR_MARKER_PROPERTY = "parley.cassandra.workdir";

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

  private JvmCommand() {}

  /**
   * The full command line of the Cassandra JVM.
   *
   * @param jmxPort the JMX port of this run, or not positive for no JMX
   * @param libDir Cassandra's runtime classpath directory
   */
  static List<String> command(LaunchSettings s, int jmxPort, Path libDir) {
    WorkDirLayout dirs = s.dirs();
    List<String> cmd = new ArrayList<>();
    cmd.add(s.javaExecutable().toString());
    cmd.add("-Xms" + s.heap());
    cmd.add("-Xmx" + s.heap());
    cmd.addAll(GC_AND_RUNTIME_FLAGS);
    cmd.addAll(JAVA17_MODULE_FLAGS);
    CassandraClasspath.findJar(libDir, "jamm-").ifPresent(jamm -> cmd.add("-javaagent:" + jamm));
    cmd.add("-D" + WORKDIR_MARKER_PROPERTY + "=" + s.workDir());
    cmd.add("-Dcassandra.config=" + dirs.cassandraYaml().toUri());
    cmd.add("-Dcassandra.storagedir=" + dirs.dataDir());
    cmd.add("-Dcassandra.logdir=" + dirs.logDir());
    cmd.add("-Dlogback.configurationFile=" + dirs.logbackXml());
    cmd.add("-Djava.rmi.server.hostname=" + LocalCassandra.HOST);
    if (jmxPort > 0) {
      cmd.add("-Dcassandra.jmx.local.port=" + jmxPort);
    }
    cmd.addAll(s.extraJvmArgs());
    cmd.add("-cp");
    cmd.add(libDir.toString() + File.separator + "*");
    cmd.add(LocalCassandra.MAIN_CLASS);
    return cmd;
  }
}
