package io.parley.node.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real nodes of a test class, in one cluster on the shared test Cassandra: the one fixture
 * every cluster-node IT gets its nodes from.
 *
 * <pre>{@code
 * @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(2);            // shared
 * @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1, "parley.x = 4");
 * @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.own(2, "");        // its own
 * @RegisterExtension static final NodeCluster CLUSTER = NodeCluster.isolated(2, "");   // alone
 * }</pre>
 *
 * <p>A cluster is declared by its size and the few settings the class overrides (HOCON on top of
 * {@link TestNode}'s base settings; the first node is the seed). By default it is <b>shared</b>:
 * classes of the same test JVM that declare the same size and settings get the same running nodes,
 * started by the first of them. A shared cluster on default settings stays up until the end of the
 * run; one with overrides (limits, hook URLs, short timers…) is stopped as soon as another class
 * needs a cluster, so its settings never act on other classes' data. Tests on a shared cluster must
 * not rely on a fresh node: unique client and conversation ids per test, no global counts. A class
 * that runs beside others ({@code @Execution(CONCURRENT)}) declares {@link #own} nodes, started
 * before the class and stopped after it, so that it never holds a shared cluster another class
 * restarts. A class that needs the JVM to itself (it measures threads, heap or latency) declares
 * {@link #isolated}: every idle shared cluster is stopped, then its own nodes start. A class that
 * measures the JVM is also annotated {@code @Isolated}, so that the fault tests, which run beside
 * other classes, never run beside it.
 */
public final class NodeCluster implements BeforeAllCallback, AfterAllCallback {

  /** What makes two clusters interchangeable. */
  private record Settings(int size, String config) {}

  /** The running shared clusters (guarded by itself: classes may run in parallel one day). */
  private static final Map<Settings, Nodes> SHARED = new HashMap<>();

  /**
   * Whose nodes these are: shared by classes with the same settings, this class's, or this class's
   * with the JVM to itself.
   */
  private enum Mode {
    SHARED,
    OWN,
    ALONE
  }

  private final Settings settings;
  private final Mode mode;
  private Nodes nodes;

  /** A shared cluster of {@code size} nodes on the default test settings. */
  public NodeCluster(int size) {
    this(size, "");
  }

  /** A shared cluster of {@code size} nodes with {@code config} over the default test settings. */
  public NodeCluster(int size, String config) {
    this(new Settings(size, config.strip()), Mode.SHARED);
  }

  private NodeCluster(Settings settings, Mode mode) {
    this.settings = settings;
    this.mode = mode;
  }

  /**
   * A cluster for this class alone, beside whatever else runs: started before it, stopped after it,
   * never reused.
   */
  public static NodeCluster own(int size, String config) {
    return new NodeCluster(new Settings(size, config.strip()), Mode.OWN);
  }

  /**
   * A cluster for this class alone, with no other nodes running in the JVM: started before it,
   * stopped after it, never reused.
   */
  public static NodeCluster isolated(int size, String config) {
    return new NodeCluster(new Settings(size, config.strip()), Mode.ALONE);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    SharedCassandra.get();
    if (mode != Mode.SHARED) {
      if (mode == Mode.ALONE) {
        stopIdleShared(null);
      }
      nodes = Nodes.start(settings);
      return;
    }
    synchronized (SHARED) {
      stopIdleShared(settings);
      nodes = SHARED.get(settings);
      if (nodes == null) {
        nodes = Nodes.start(settings);
        SHARED.put(settings, nodes);
        // closed when the whole test run ends (the root context closes its store)
        context
            .getRoot()
            .getStore(ExtensionContext.Namespace.create(NodeCluster.class))
            .put(settings, (ExtensionContext.Store.CloseableResource) () -> stopShared(settings));
      }
      nodes.users++;
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (nodes == null) {
      return; // the nodes did not start: beforeAll failed
    }
    if (mode != Mode.SHARED) {
      nodes.stop();
      return;
    }
    synchronized (SHARED) {
      nodes.users--;
    }
  }

  /** Node {@code index} (0 is the seed). */
  public TestNode node(int index) {
    return nodes.running.get(index);
  }

  public TestNode first() {
    return node(0);
  }

  public TestNode second() {
    return node(1);
  }

  /**
   * Stops every node, then starts them again on the same ports: only Cassandra keeps the state. On
   * a shared cluster, only while no other class uses it.
   */
  public void restartAll() {
    synchronized (SHARED) {
      if (mode == Mode.SHARED && nodes.users > 1) {
        throw new IllegalStateException(
            "another class uses these nodes now: declare NodeCluster.isolated to restart them");
      }
      nodes.stop();
      nodes.startAll();
    }
  }

  /**
   * Stops the shared clusters no class uses now: those with overrides other than {@code wanted}, or
   * all of them when nothing is wanted (an isolated class).
   */
  private static void stopIdleShared(Settings wanted) {
    synchronized (SHARED) {
      Iterator<Map.Entry<Settings, Nodes>> entries = SHARED.entrySet().iterator();
      while (entries.hasNext()) {
        Map.Entry<Settings, Nodes> entry = entries.next();
        boolean stop =
            wanted == null
                || (!entry.getKey().config().isEmpty() && !entry.getKey().equals(wanted));
        if (stop && entry.getValue().users == 0) {
          entry.getValue().stop();
          entries.remove();
        }
      }
    }
  }

  private static void stopShared(Settings settings) {
    synchronized (SHARED) {
      Nodes nodes = SHARED.remove(settings);
      if (nodes != null) {
        nodes.stop();
      }
    }
  }

  /** The nodes of one cluster, on ports kept across restarts. */
  private static final class Nodes {
    private final Settings settings;
    private final List<TestNode.Ports> ports = new ArrayList<>();
    private final List<TestNode> running = new ArrayList<>();
    private int users;

    private Nodes(Settings settings) {
      this.settings = settings;
      for (int n = 0; n < settings.size(); n++) {
        ports.add(TestNode.Ports.free());
      }
    }

    static Nodes start(Settings settings) {
      Nodes nodes = new Nodes(settings);
      nodes.startAll();
      return nodes;
    }

    void startAll() {
      for (TestNode.Ports nodePorts : ports) {
        running.add(TestNode.start(nodePorts, ports.get(0), settings.config()));
      }
    }

    void stop() {
      for (int n = running.size() - 1; n >= 0; n--) {
        running.get(n).close();
      }
      running.clear();
    }
  }
}
