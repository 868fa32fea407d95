package io.parley.node.faults;

import io.parley.node.testing.NodeProcess;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** Nodes of one cluster, each its own JVM. */
final class ProcessCluster implements AutoCloseable {

  private final List<NodeProcess> nodes = new ArrayList<>();

  ProcessCluster(List<NodeProcess.Spec> specs) {
    specs.forEach(spec -> nodes.add(new NodeProcess(spec)));
  }

  /** The first node forms the cluster; the others then start side by side and join it. */
  ProcessCluster start() {
    try {
      nodes.get(0).start();
      nodes.subList(1, nodes.size()).forEach(NodeProcess::launch);
      nodes.subList(1, nodes.size()).forEach(NodeProcess::awaitReady);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  NodeProcess node(int index) {
    return nodes.get(index);
  }

  List<NodeProcess> nodes() {
    return nodes;
  }

  /** Every node's WebSocket URL, down or not (clients find out by trying, as the SDKs do). */
  List<URI> uris() {
    return nodes.stream().map(n -> n.spec().webSocketUri()).toList();
  }

  @Override
  public void close() {
    nodes.forEach(NodeProcess::kill);
  }
}
