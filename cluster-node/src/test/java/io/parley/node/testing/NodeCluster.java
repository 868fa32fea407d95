package io.parley.node.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real nodes in one cluster for a test class: {@code @RegisterExtension static NodeCluster cluster
 * = new NodeCluster(2);} starts them before the class (the first one is the seed) and stops them
 * after it. Needs {@link SharedCassandra} on the class too.
 */
public final class NodeCluster implements BeforeAllCallback, AfterAllCallback {

  private final int size;
  private final String config;
  private final List<TestNode.Ports> ports = new ArrayList<>();
  private final List<TestNode> nodes = new ArrayList<>();

  public NodeCluster(int size) {
    this(size, "");
  }

  public NodeCluster(int size, String config) {
    this.size = size;
    this.config = config;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    SharedCassandra.get();
    for (int n = 0; n < size; n++) {
      ports.add(TestNode.Ports.free());
    }
    startAll();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stopAll();
  }

  /** Node {@code index} (0 is the seed). */
  public TestNode node(int index) {
    return nodes.get(index);
  }

  public TestNode first() {
    return node(0);
  }

  public TestNode second() {
    return node(1);
  }

  /** Stops every node, then starts them again on the same ports: only Cassandra keeps the state. */
  public void restartAll() {
    stopAll();
    startAll();
  }

  private void startAll() {
    for (TestNode.Ports nodePorts : ports) {
      nodes.add(TestNode.start(nodePorts, ports.get(0), config));
    }
  }

  private void stopAll() {
    for (int n = nodes.size() - 1; n >= 0; n--) {
      nodes.get(n).close();
    }
    nodes.clear();
  }
}
