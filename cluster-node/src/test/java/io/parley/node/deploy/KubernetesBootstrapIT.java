package io.parley.node.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.Main;
import io.parley.node.gateway.GatewayBinding;
import io.parley.node.settings.NodeSettings;
import io.parley.node.testing.SharedCassandra;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three nodes started with the Kubernetes configuration (kubernetes.conf: Cluster Bootstrap,
 * discovery through the Kubernetes API by the label app=parley, contact points on each pod's port
 * named "management", the pod IP as address) form one cluster with no seed nodes, finding each
 * other through fabric8's mock Kubernetes API server, which serves the pods over HTTPS from its
 * in-memory store, label selectors included. No real Kubernetes can run on the build machine;
 * everything but the API server is the production path: the same discovery module, bootstrap,
 * management endpoints and Main.init, with Cassandra for persistence.
 *
 * <p>The three "pods" are three actor systems in this JVM, all at 127.0.0.1 (the pod IP, POD_IP),
 * told apart by their ports: each pod in the API lists its own management port under the name
 * "management", which is what Cluster Bootstrap probes (port-name = "management" in
 * kubernetes.conf). A fourth pod without the label, whose port counts connections, must be left out
 * by the label selector: it is never probed (and bootstrap, which needs an answer from every
 * contact point, would not form the cluster if it were a contact point).
 */
// Alone: beside the concurrent fault tests (three node processes each), its oldest TLS node twice
// did
// not finish leaving within 60 s on 2 cores (singleton hand-over stuck), in 2 of 5 suite runs.
@org.junit.jupiter.api.parallel.Isolated
@ExtendWith(SharedCassandra.class)
class KubernetesBootstrapIT {

  private static final String NAMESPACE = "parley";
  private static final String HOST_VARIABLE = "PARLEY_IT_KUBERNETES_API_HOST";
  private static final String PORT_VARIABLE = "PARLEY_IT_KUBERNETES_API_PORT";
  private static final Duration FORMATION = Duration.ofSeconds(60);

  private record Pod3(String name, int http, int remote, int management) {}

  private static KubernetesMockServer api;
  private static ServerSocket otherApp;
  private static final AtomicInteger otherAppConnections = new AtomicInteger();
  private static Path secrets;
  private static final List<Pod3> pods = new ArrayList<>();
  private static final List<ActorSystem<Void>> systems = new ArrayList<>();
  private static final List<GatewayBinding> bindings = new ArrayList<>();

  @BeforeAll
  static void startApiServer() throws Exception {
    String host = System.getenv(HOST_VARIABLE);
    String port = System.getenv(PORT_VARIABLE);
    assertNotNull(
        port, PORT_VARIABLE + " is set by the failsafe configuration of cluster-node/pom.xml");
    // HTTPS, as pekko-discovery-kubernetes-api only speaks HTTPS; the mock's self-signed
    // certificate names
    // localhost and 127.0.0.1, and the discovery trusts it as the cluster CA (api-ca-path).
    api =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new JsonCrudDispatcher(), true);
    api.init(InetAddress.getByName("127.0.0.1"), Integer.parseInt(port));
    assertEquals(host, "localhost");

    // What Kubernetes mounts into every pod at /var/run/secrets/kubernetes.io/serviceaccount.
    secrets = Files.createTempDirectory("parley-it-serviceaccount-");
    Files.writeString(secrets.resolve("token"), "parley-it-token");
    Files.writeString(secrets.resolve("namespace"), NAMESPACE);
    Files.copy(
        Path.of(api.getSelfSignedCertificate().certificatePath()), secrets.resolve("ca.crt"));

    for (int n = 0; n < 3; n++) {
      pods.add(
          new Pod3(
              "parley-" + n,
              LocalCassandra.freePort(),
              LocalCassandra.freePort(),
              LocalCassandra.freePort()));
    }
    try (KubernetesClient client = api.createClient()) {
      for (Pod3 pod : pods) {
        createPod(client, pod.name(), "parley", pod.management());
      }
      // Another app's pod in the same namespace, whose "management" port counts the connections it
      // gets.
      otherApp = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread accepting =
          new Thread(
              () -> {
                while (!otherApp.isClosed()) {
                  try (Socket ignored = otherApp.accept()) {
                    otherAppConnections.incrementAndGet();
                  } catch (IOException closed) {
                    return;
                  }
                }
              },
              "other-app-pod");
      accepting.setDaemon(true);
      accepting.start();
      createPod(client, "other-0", "other", otherApp.getLocalPort());
      List<Pod> listed =
          client.pods().inNamespace(NAMESPACE).withLabel("app", "parley").list().getItems();
      assertEquals(3, listed.size(), "the mock serves the three Parley pods for app=parley");
      assertTrue(
          listed.stream().allMatch(p -> "127.0.0.1".equals(p.getStatus().getPodIP())),
          "with their pod IP");
    }
  }

  /**
   * fabric8's in-memory API server, answering with the content type a real API server sends for
   * JSON (the CRUD dispatcher leaves it out; pekko's discovery, like any strict client, only reads
   * application/json).
   */
  private static final class JsonCrudDispatcher extends KubernetesCrudDispatcher {
    @Override
    public MockResponse dispatch(RecordedRequest request) {
      MockResponse response = super.dispatch(request);
      if (response.header("Content-Type") == null) {
        response.setHeader("Content-Type", "application/json");
      }
      return response;
    }
  }

  private static void createPod(
      KubernetesClient client, String name, String app, int managementPort) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .addToLabels("app", app)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("parley")
            .withImage("parley/cluster-node:it")
            .withPorts(
                new ContainerPortBuilder()
                    .withName("management")
                    .withContainerPort(managementPort)
                    .build())
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.0.0.1")
            .endStatus()
            .build();
    client.pods().inNamespace(NAMESPACE).resource(pod).create();
    // The API server keeps a pod's status apart from its spec: set it as the kubelet would.
    client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (GatewayBinding binding : bindings) {
      binding.unbind();
    }
    // One after another, as a rolling update would: each leaves a cluster that can still
    // acknowledge it.
    // Every node is stopped even if one is slow to, so that none outlives this test.
    List<String> slow = new ArrayList<>();
    for (ActorSystem<Void> system : systems) {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        slow.add(system.address().toString());
      }
    }
    bindings.clear();
    systems.clear();
    assertTrue(slow.isEmpty(), "nodes not stopped within 60 s: " + slow);
  }

  @AfterAll
  static void stopApiServer() throws Exception {
    if (api != null) {
      api.destroy();
    }
    if (otherApp != null) {
      otherApp.close();
    }
  }

  /**
   * {@code resource} (kubernetes.conf or kubernetes-tls.conf) as deployed, with the environment
   * deployment.yaml gives a pod, plus what a test must change.
   */
  private static Config podConfig(String resource, Pod3 pod, Map<String, Object> moreEnvironment) {
    Map<String, Object> environment = new HashMap<>(moreEnvironment);
    // Root-level keys stand in for the environment: ${?VAR} looks in the config before the real
    // environment.
    environment.put("POD_IP", "127.0.0.1");
    environment.put("PARLEY_REQUIRED_CONTACT_POINTS", "3");
    // With Cluster Bootstrap a published or short master key is refused (NodeSettings).
    environment.put("PARLEY_MASTER_KEY", "kubernetes-bootstrap-it-master-key-0123456789");
    environment.put("PARLEY_CASSANDRA_CONTACT_POINT", SharedCassandra.contactPoint());
    environment.put("PARLEY_KEYSPACE", SharedCassandra.keyspace());
    // kubernetes.conf refuses open logins (README, Secure defaults).
    environment.put("PARLEY_SIGNATURES", "all");
    String test =
        String.join(
            "\n",
            // ports of this "pod" (in Kubernetes every pod has the same ports on its own IP)
            "parley.gateway.port = " + pod.http(),
            "parley.gateway.interface = \"127.0.0.1\"", // kubernetes.conf: 0.0.0.0; loopback only
            // here
            "pekko.remote.artery.canonical.port = " + pod.remote(),
            "pekko.management.http.port = " + pod.management(),
            "parley.metrics.port = 0", // kubernetes.conf: 9464 on every interface, one per pod
            // the mock API server and the service account files
            "pekko.discovery.kubernetes-api.api-service-host-env-name = " + HOST_VARIABLE,
            "pekko.discovery.kubernetes-api.api-service-port-env-name = " + PORT_VARIABLE,
            "pekko.discovery.kubernetes-api.api-ca-path = \"" + secrets.resolve("ca.crt") + "\"",
            "pekko.discovery.kubernetes-api.api-token-path = \"" + secrets.resolve("token") + "\"",
            "pekko.discovery.kubernetes-api.pod-namespace-path = \""
                + secrets.resolve("namespace")
                + "\"",
            // quicker than production's 5 s of stable observations: the pods are all there from the
            // start
            "pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 2s",
            // three nodes in one JVM, without warm-up logins (WarmUpIT runs them)
            "parley.warm-up.logins = 0",
            "parley.warm-up.messages = 0",
            "pekko.coordinated-shutdown.exit-jvm = off",
            "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
            // production applies deploy/cassandra/schema.cql; the test keyspace is created on the
            // fly
            "pekko.persistence.cassandra.journal.keyspace-autocreate = true",
            "pekko.persistence.cassandra.journal.tables-autocreate = true",
            "pekko.persistence.cassandra.snapshot.keyspace-autocreate = true",
            "pekko.persistence.cassandra.snapshot.tables-autocreate = true",
            "datastax-java-driver.advanced.session-leak.threshold = 50");
    return ConfigFactory.parseString(test)
        .withFallback(ConfigFactory.parseMap(environment))
        .withFallback(ConfigFactory.parseResourcesAnySyntax(resource))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  @Test
  void three_nodes_find_each_other_through_the_kubernetes_api_and_form_one_cluster()
      throws Exception {
    double seconds = bootAndAwaitCluster("kubernetes.conf", pods, Map.of());

    // They found each other through the API server, by label, in the pods' namespace.
    List<String> queries = apiRequests();
    assertTrue(
        queries.stream()
            .anyMatch(q -> q.equals("/api/v1/namespaces/parley/pods?labelSelector=app=parley")),
        "Cluster Bootstrap listed the pods labelled app=parley: " + queries);
    assertEquals(
        0, otherAppConnections.get(), "the pod of another app (label app=other) was never probed");
    assertEquals(
        "tcp", systems.get(0).settings().config().getString("pekko.remote.artery.transport"));
    System.out.printf(
        "KubernetesBootstrapIT: 3 nodes Up through the Kubernetes API in %.1f s, %d API requests%n",
        seconds, queries.size());
  }

  @Test
  void with_remoting_tls_the_three_nodes_form_one_cluster_over_mutual_tls() throws Exception {
    // The parley-remoting-tls Secret as cert-manager would write it: a root CA, one node key and
    // certificate.
    Path tls = RemotingCertificates.create(secrets.resolve("remoting-tls"));
    List<Pod3> tlsPods = new ArrayList<>();
    try (KubernetesClient client = api.createClient()) {
      for (int n = 0; n < 3; n++) {
        Pod3 pod =
            new Pod3(
                "parley-tls-" + n,
                LocalCassandra.freePort(),
                LocalCassandra.freePort(),
                LocalCassandra.freePort());
        tlsPods.add(pod);
        createPod(client, pod.name(), "parley-tls", pod.management());
      }
    }
    double seconds =
        bootAndAwaitCluster(
            "kubernetes-tls.conf",
            tlsPods,
            Map.of("PARLEY_SERVICE_NAME", "parley-tls", "PARLEY_REMOTING_TLS_DIR", tls.toString()));
    for (ActorSystem<Void> system : systems) {
      Config config = system.settings().config();
      assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
      assertEquals(
          tls.resolve("tls.key").toString(),
          config.getString("pekko.remote.artery.ssl.rotating-keys-engine.key-file"));
    }
    assertTrue(apiRequests().stream().anyMatch(q -> q.endsWith("labelSelector=app=parley-tls")));
    System.out.printf("KubernetesBootstrapIT: 3 nodes Up over remoting mTLS in %.1f s%n", seconds);
  }

  /**
   * Starts one node per pod with {@code resource}, and waits until every node sees the three Up.
   */
  private static double bootAndAwaitCluster(
      String resource, List<Pod3> nodes, Map<String, Object> environment) throws Exception {
    long started = System.nanoTime();
    List<CompletableFuture<GatewayBinding>> starting = new ArrayList<>();
    for (Pod3 pod : nodes) {
      Config config = podConfig(resource, pod, environment);
      assertTrue(config.getBoolean("parley.cluster-bootstrap"));
      assertTrue(
          config.getStringList("pekko.cluster.seed-nodes").isEmpty(),
          "no seed nodes: bootstrap only");
      assertEquals(
          "kubernetes-api",
          config.getString(
              "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "parley", config);
      systems.add(system);
      starting.add(
          Main.init(system, NodeSettings.fromConfig(system.settings().config()))
              .toCompletableFuture());
    }
    for (CompletableFuture<GatewayBinding> binding : starting) {
      bindings.add(binding.get(60, TimeUnit.SECONDS));
    }
    long deadline = System.nanoTime() + FORMATION.toNanos();
    while (!allSeeThreeUp()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no three-node cluster after " + FORMATION + ": " + describe());
      }
      Thread.sleep(200);
    }
    Set<String> expected =
        nodes.stream()
            .map(p -> "pekko://parley@127.0.0.1:" + p.remote())
            .collect(Collectors.toCollection(TreeSet::new));
    for (ActorSystem<Void> system : systems) {
      assertEquals(expected, members(system), "every node sees the same three members");
      assertEquals(MemberStatus.up(), Cluster.get(system).selfMember().status());
    }
    return (System.nanoTime() - started) / 1e9;
  }

  private static List<String> apiRequests() throws InterruptedException {
    List<String> queries = new ArrayList<>();
    RecordedRequest request;
    while ((request = api.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
      queries.add(URLDecoder.decode(request.getPath(), StandardCharsets.UTF_8));
    }
    return queries;
  }

  private static boolean allSeeThreeUp() {
    for (ActorSystem<Void> system : systems) {
      var state = Cluster.get(system).state();
      List<Member> members = StreamSupport.stream(state.getMembers().spliterator(), false).toList();
      if (members.size() != 3 || !members.stream().allMatch(m -> m.status() == MemberStatus.up())) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> members(ActorSystem<Void> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .map(Member::address)
        .map(Object::toString)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String describe() {
    StringBuilder out = new StringBuilder();
    for (ActorSystem<Void> system : systems) {
      out.append("\n  ")
          .append(Cluster.get(system).selfMember().address())
          .append(" sees ")
          .append(Cluster.get(system).state().getMembers());
    }
    return out.toString();
  }
}
