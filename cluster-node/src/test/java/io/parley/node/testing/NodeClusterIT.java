package io.parley.node.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The fixture itself: three test classes run one after the other (as Failsafe runs them); the two
 * that declare the same settings get the same running node, the third gets its own, and the first
 * one's node (settings with overrides) is stopped when the third needs nodes.
 */
class NodeClusterIT {

  private static final Map<String, TestNode> SEEN = new ConcurrentHashMap<>();
  private static final String SETTINGS = "pekko.log-dead-letters = 1";

  @Test
  void classes_with_the_same_settings_share_one_running_node_and_others_get_their_own() {
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request()
                .selectors(
                    selectClass(Other.class), selectClass(Same.class), selectClass(Again.class))
                .configurationParameter(
                    "junit.jupiter.testclass.order.default",
                    ClassOrderer.OrderAnnotation.class.getName())
                .build(),
            summary);
    TestExecutionSummary result = summary.getSummary();
    assertEquals(3, result.getTestsSucceededCount(), () -> failures(result));

    assertSame(SEEN.get("same"), SEEN.get("again"), "same settings: the node is reused");
    assertNotSame(SEEN.get("same"), SEEN.get("other"), "other settings: another node");
    assertTrue(
        SEEN.get("same").system().getWhenTerminated().toCompletableFuture().isDone(),
        "a cluster with overrides stops when another class needs nodes");
  }

  private static String failures(TestExecutionSummary result) {
    return String.join(
        "\n",
        result.getFailures().stream()
            .map(f -> f.getTestIdentifier().getDisplayName() + ": " + f.getException())
            .toList());
  }

  @Order(1)
  static class Same {
    @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1, SETTINGS);

    @Test
    void runs() {
      SEEN.put("same", CLUSTER.first());
    }
  }

  @Order(2)
  static class Again {
    @RegisterExtension static final NodeCluster CLUSTER = new NodeCluster(1, SETTINGS);

    @Test
    void runs() {
      SEEN.put("again", CLUSTER.first());
    }
  }

  @Order(3)
  static class Other {
    @RegisterExtension
    static final NodeCluster CLUSTER = new NodeCluster(1, "pekko.log-dead-letters = 2");

    @Test
    void runs() {
      SEEN.put("other", CLUSTER.first());
    }
  }
}
