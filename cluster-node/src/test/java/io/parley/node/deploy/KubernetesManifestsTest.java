package io.parley.node.deploy;

import static io.parley.node.deploy.KubernetesManifests.one;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.parley.node.deploy.KubernetesManifests.Manifest;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes, read strictly as fabric8's typed Kubernetes objects (no cluster can run on the
 * build machine), and the facts the operators rely on: the pods are protected by a disruption
 * budget and spread over nodes, run non-root on a read-only filesystem, have a memory limit their
 * JVM flags fit in, keep the cluster ports inside the namespace, expose what the router advertises,
 * and reference only secrets the example defines.
 */
class KubernetesManifestsTest {

  private static final String NAMESPACE = "parley";
  private static final long MIB = 1024L * 1024L;

  /**
   * Native memory the JVM needs beyond the capped areas: thread stacks, GC structures, symbol
   * tables.
   */
  private static final long NATIVE_HEADROOM = 128 * MIB;

  private static List<Manifest> manifests;
  private static Deployment deployment;
  private static PodSpec pod;
  private static Container container;
  private static Map<String, String> podLabels;
  private static Config kubernetesConf;

  @BeforeAll
  static void read() {
    manifests = KubernetesManifests.all();
    deployment = one(manifests, Deployment.class, "parley");
    pod = deployment.getSpec().getTemplate().getSpec();
    assertEquals(1, pod.getContainers().size(), "one container per pod");
    container = pod.getContainers().get(0);
    podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    Map<String, String> env = new HashMap<>();
    env.put("POD_IP", "10.0.0.7");
    kubernetesConf =
        ConfigFactory.parseMap(env)
            .withFallback(ConfigFactory.parseResourcesAnySyntax("kubernetes.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
  }

  // ---- strict parsing

  @Test
  void every_manifest_is_valid_kubernetes_with_no_unknown_field() {
    Set<String> kinds =
        manifests.stream()
            .map(m -> m.resource().getKind())
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(
        new TreeSet<>(
            List.of(
                "Deployment",
                "Namespace",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Role",
                "RoleBinding",
                "Secret",
                "Service",
                "ServiceAccount")),
        kinds,
        "the kinds deploy/kubernetes holds");
    for (Manifest manifest : manifests) {
      HasMetadata resource = manifest.resource();
      assertNotNull(resource.getMetadata().getName(), manifest + " has a name");
      if (!(resource instanceof Namespace)) {
        assertEquals(
            NAMESPACE,
            resource.getMetadata().getNamespace(),
            manifest + " is in the parley namespace");
      }
    }
    one(manifests, Namespace.class, NAMESPACE);
  }

  @Test
  void the_strict_reader_refuses_unknown_fields_wrong_types_and_unknown_kinds() {
    String good =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - port: 443\n";
    assertDoesNotThrow(() -> KubernetesManifests.parse(good));
    // A misspelling lenient parsers keep silently (fabric8 puts it in additionalProperties; kubectl
    // drops it).
    Exception misspelt =
        assertThrows(
            Exception.class, () -> KubernetesManifests.parse(good.replace("ports:", "prots:")));
    assertTrue(misspelt.getMessage().contains("prots"), misspelt.getMessage());
    // A field at the wrong level.
    assertThrows(Exception.class, () -> KubernetesManifests.parse(good + "  readinessProbe: {}\n"));
    assertThrows(Exception.class, () -> KubernetesManifests.parse(good.replace("443", "[443]")));
    assertThrows(
        Exception.class,
        () -> KubernetesManifests.parse(good.replace("kind: Service", "kind: Servce")));
    assertThrows(
        Exception.class,
        () -> KubernetesManifests.parse(good.replace("apiVersion: v1", "apiVersion: v2")));
    // The same in a nested, typed object of a real manifest: the deployment's container security
    // context.
    String deploymentYaml = readDeployment();
    assertThrows(
        Exception.class,
        () ->
            KubernetesManifests.parse(
                deploymentYaml.replace(
                    "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true")));
  }

  private static void assertDoesNotThrow(org.junit.jupiter.api.function.Executable executable) {
    org.junit.jupiter.api.Assertions.assertDoesNotThrow(executable);
  }

  private static String readDeployment() {
    try {
      return java.nio.file.Files.readString(
          KubernetesManifests.DIRECTORY.resolve("deployment.yaml"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- availability

  @Test
  void the_deployment_selects_its_own_pods() {
    assertTrue(
        selects(deployment.getSpec().getSelector(), podLabels),
        "deployment selector matches the template");
    assertEquals(
        "parley",
        podLabels.get("app"),
        "Cluster Bootstrap finds the pods by app=parley (kubernetes.conf)");
    assertEquals(
        "app=%s", kubernetesConf.getString("pekko.discovery.kubernetes-api.pod-label-selector"));
    assertEquals(
        "parley",
        kubernetesConf.getString(
            "pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
  }

  @Test
  void a_disruption_budget_lets_one_pod_go_at_a_time() {
    List<PodDisruptionBudget> budgets =
        KubernetesManifests.all(manifests, PodDisruptionBudget.class);
    assertEquals(1, budgets.size(), "one PodDisruptionBudget");
    PodDisruptionBudget budget = budgets.get(0);
    assertEquals(new IntOrString(1), budget.getSpec().getMaxUnavailable());
    assertTrue(
        selects(budget.getSpec().getSelector(), podLabels), "the budget selects the Parley pods");
    assertTrue(deployment.getSpec().getReplicas() >= 3, "3 replicas: one down leaves a majority");
    assertEquals(
        new IntOrString(0),
        deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable());
  }

  @Test
  void replicas_prefer_distinct_nodes() {
    List<WeightedPodAffinityTerm> terms =
        pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    assertTrue(
        terms.stream()
            .anyMatch(
                t ->
                    t.getPodAffinityTerm().getTopologyKey().equals("kubernetes.io/hostname")
                        && selects(t.getPodAffinityTerm().getLabelSelector(), podLabels)
                        && t.getWeight() > 0),
        "a preferred anti-affinity term keeps Parley pods off each other's node: " + terms);
  }

  @Test
  void probes_ask_the_management_port_for_ready_and_alive() {
    int management = kubernetesConf.getInt("pekko.management.http.port");
    assertEquals(
        management,
        containerPort("management"),
        "the management container port is where management listens");
    Probe readiness = container.getReadinessProbe();
    Probe liveness = container.getLivenessProbe();
    assertEquals("/ready", readiness.getHttpGet().getPath());
    assertEquals("/alive", liveness.getHttpGet().getPath());
    for (Probe probe : List.of(readiness, liveness)) {
      assertEquals(
          management,
          resolvePort(probe.getHttpGet().getPort()),
          "probes go to the management port");
    }
    String base = kubernetesConf.getString("pekko.management.http.base-path");
    assertEquals(
        "/ready",
        (base.isEmpty() ? "" : "/" + base)
            + "/"
            + kubernetesConf.getString("pekko.management.health-checks.readiness-path"));
    assertEquals(
        "/alive",
        (base.isEmpty() ? "" : "/" + base)
            + "/"
            + kubernetesConf.getString("pekko.management.health-checks.liveness-path"));
    assertTrue(
        liveness.getFailureThreshold() * liveness.getPeriodSeconds()
            > readiness.getFailureThreshold() * readiness.getPeriodSeconds(),
        "a pod is taken out of service before it is killed");
  }

  @Test
  void readiness_means_cassandra_and_cluster_and_the_probes_wait_for_the_checks() {
    Config checks = kubernetesConf.getConfig("pekko.management.health-checks");
    assertTrue(
        checks
            .getConfig("readiness-checks")
            .root()
            .keySet()
            .containsAll(Set.of("cluster-membership", "cassandra", "gateway-bound")),
        checks::toString);
    assertEquals(
        Set.of("dispatcher"),
        checks.getConfig("liveness-checks").root().keySet(),
        "liveness checks only what a restart cures");
    assertEquals(
        List.of("Up"),
        kubernetesConf.getStringList("pekko.management.cluster.health-check.ready-states"));
    long checkSeconds = checks.getDuration("check-timeout").toSeconds();
    assertTrue(
        kubernetesConf.getDuration("parley.health.cassandra-timeout").toSeconds() < checkSeconds);
    for (Probe probe : List.of(container.getReadinessProbe(), container.getLivenessProbe())) {
      assertTrue(
          probe.getTimeoutSeconds() != null && probe.getTimeoutSeconds() > checkSeconds,
          "the kubelet waits longer than the checks take (its default is 1 s): " + probe);
    }
  }

  @Test
  void prometheus_scrapes_the_metrics_port_and_logs_are_json() {
    assertEquals(kubernetesConf.getInt("parley.metrics.port"), containerPort("metrics"));
    assertEquals(
        "0.0.0.0", kubernetesConf.getString("parley.metrics.interface"), "reachable on the pod IP");
    assertTrue(kubernetesConf.getBoolean("parley.metrics.enabled"));
    Map<String, String> annotations =
        deployment.getSpec().getTemplate().getMetadata().getAnnotations();
    assertEquals("true", annotations.get("prometheus.io/scrape"));
    assertEquals(Integer.toString(containerPort("metrics")), annotations.get("prometheus.io/port"));
    assertEquals("/metrics", annotations.get("prometheus.io/path"));
    assertEquals(
        "json",
        env("PARLEY_LOG_FORMAT").getValue(),
        "one JSON object per log line for the collector");
  }

  @Test
  void the_ports_are_the_ones_the_node_listens_on() {
    assertEquals(kubernetesConf.getInt("parley.gateway.port"), containerPort("http"));
    assertEquals(
        kubernetesConf.getInt("pekko.remote.artery.canonical.port"), containerPort("remoting"));
    assertEquals(
        "management",
        kubernetesConf.getString(
            "pekko.management.cluster.bootstrap.contact-point-discovery.port-name"),
        "Cluster Bootstrap probes each pod on its container port named management");
  }

  @Test
  void a_rolling_update_drains_before_the_pod_stops() {
    assertTrue(
        container.getLifecycle().getPreStop().getExec().getCommand().contains("sleep"),
        "preStop sleep");
    assertTrue(
        pod.getTerminationGracePeriodSeconds() >= 60,
        "grace period covers the sleep and the handoff");
    assertTrue(
        kubernetesConf.getBoolean("pekko.coordinated-shutdown.exit-jvm"),
        "a downed node exits and is restarted");
  }

  // ---- security context

  @Test
  void pods_run_non_root_on_a_read_only_filesystem_with_no_capabilities() {
    var podContext = pod.getSecurityContext();
    assertEquals(Boolean.TRUE, podContext.getRunAsNonRoot());
    assertNotEquals(0L, podContext.getRunAsUser());
    assertEquals("RuntimeDefault", podContext.getSeccompProfile().getType());
    var context = container.getSecurityContext();
    assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem());
    assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation());
    assertNotEquals(Boolean.TRUE, context.getPrivileged());
    assertEquals(List.of("ALL"), context.getCapabilities().getDrop());
    assertTrue(
        context.getCapabilities().getAdd() == null || context.getCapabilities().getAdd().isEmpty());
    // The JVM (hsperfdata, java.io.tmpdir) and Netty (native libraries) write to /tmp: a writable
    // emptyDir.
    VolumeMount tmp =
        container.getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/tmp"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("/tmp is mounted"));
    assertNotNull(volume(tmp.getName()).getEmptyDir(), "/tmp is an emptyDir");
    assertTrue(javaToolOptions().contains("-Djava.io.tmpdir=/tmp"));
    // The image's user is the one the pod runs as.
    String dockerfile = read(KubernetesManifests.DIRECTORY.resolve("Dockerfile"));
    assertTrue(
        dockerfile.contains("USER " + podContext.getRunAsUser()),
        "Dockerfile runs as " + podContext.getRunAsUser());
  }

  @Test
  void only_parley_pods_get_a_token_that_may_list_pods() {
    ServiceAccount account = one(manifests, ServiceAccount.class, pod.getServiceAccountName());
    assertEquals(
        Boolean.FALSE,
        account.getAutomountServiceAccountToken(),
        "no token unless a pod asks for it");
    assertEquals(
        Boolean.TRUE, pod.getAutomountServiceAccountToken(), "Cluster Bootstrap needs the token");
    List<RoleBinding> bindings = KubernetesManifests.all(manifests, RoleBinding.class);
    assertTrue(
        bindings.stream()
            .allMatch(
                b ->
                    b.getSubjects().stream()
                        .allMatch(
                            s ->
                                s.getKind().equals("ServiceAccount")
                                    && s.getName().equals(account.getMetadata().getName()))),
        "roles are bound to Parley's account only, not the namespace's default one");
    RoleBinding binding = bindings.get(0);
    Role role = one(manifests, Role.class, binding.getRoleRef().getName());
    PolicyRule rule = role.getRules().get(0);
    assertTrue(
        rule.getResources().equals(List.of("pods"))
            && rule.getVerbs().contains("list")
            && !rule.getVerbs().contains("create")
            && !rule.getVerbs().contains("delete"),
        "read pods, nothing more");
  }

  // ---- resources and the JVM

  @Test
  void the_memory_limit_holds_the_heap_and_the_capped_off_heap_areas() {
    Map<String, Quantity> requests = container.getResources().getRequests();
    Map<String, Quantity> limits = container.getResources().getLimits();
    long limit = Quantity.getAmountInBytes(limits.get("memory")).longValueExact();
    assertEquals(
        limit,
        Quantity.getAmountInBytes(requests.get("memory")).longValueExact(),
        "memory requests = limits: the node is never the first evicted, and never overcommitted");
    assertNotNull(requests.get("cpu"));
    String options = javaToolOptions();
    double initial = percentage(options, "InitialRAMPercentage");
    double max = percentage(options, "MaxRAMPercentage");
    assertEquals(initial, max, "the heap is sized once, at start");
    long heap = (long) (limit * max / 100);
    long direct = size(options, "MaxDirectMemorySize");
    long metaspace = size(options, "MaxMetaspaceSize");
    long codeCache = size(options, "ReservedCodeCacheSize");
    long total = heap + direct + metaspace + codeCache;
    assertTrue(
        total + NATIVE_HEADROOM <= limit,
        String.format(
            "heap %dMi + direct %dMi + metaspace %dMi + code cache %dMi = %dMi must leave %dMi under the %dMi limit",
            heap / MIB,
            direct / MIB,
            metaspace / MIB,
            codeCache / MIB,
            total / MIB,
            NATIVE_HEADROOM / MIB,
            limit / MIB));
    assertTrue(
        heap >= limit / 2,
        "most of the limit is heap: " + heap / MIB + "Mi of " + limit / MIB + "Mi");
    assertTrue(
        options.contains("-XX:+ExitOnOutOfMemoryError"),
        "a JVM out of memory exits instead of limping on");
    assertTrue(options.contains("-Dconfig.resource=kubernetes.conf"));
  }

  // ---- network

  @Test
  void cluster_ports_are_reachable_only_from_parley_pods_and_the_client_port_from_anywhere() {
    List<NetworkPolicy> policies = KubernetesManifests.all(manifests, NetworkPolicy.class);
    assertEquals(1, policies.size());
    NetworkPolicy policy = policies.get(0);
    assertTrue(
        selects(policy.getSpec().getPodSelector(), podLabels),
        "the policy applies to the Parley pods");
    assertTrue(policy.getSpec().getPolicyTypes().contains("Ingress"));
    int remoting = containerPort("remoting");
    int management = containerPort("management");
    int http = containerPort("http");
    List<NetworkPolicyIngressRule> rules = policy.getSpec().getIngress();
    for (int port : List.of(remoting, management)) {
      List<NetworkPolicyIngressRule> opening = rules.stream().filter(r -> opens(r, port)).toList();
      assertFalse(opening.isEmpty(), port + " is open to the other Parley pods");
      for (NetworkPolicyIngressRule rule : opening) {
        assertFalse(
            rule.getFrom() == null || rule.getFrom().isEmpty(),
            port + " is not open to any source");
        for (NetworkPolicyPeer peer : rule.getFrom()) {
          assertTrue(
              peer.getNamespaceSelector() == null && peer.getIpBlock() == null,
              port + ": a peer of this namespace only, no namespace selector or IP block: " + peer);
          assertTrue(
              selects(peer.getPodSelector(), podLabels), port + ": from Parley pods: " + peer);
        }
      }
    }
    assertTrue(
        rules.stream()
            .anyMatch(r -> opens(r, http) && (r.getFrom() == null || r.getFrom().isEmpty())),
        "the client port is open to any source (the load balancer)");
    int metrics = containerPort("metrics");
    List<NetworkPolicyIngressRule> scraping =
        rules.stream().filter(r -> opens(r, metrics)).toList();
    assertFalse(scraping.isEmpty(), "Prometheus reaches the metrics port");
    for (NetworkPolicyIngressRule rule : scraping) {
      assertFalse(
          rule.getFrom() == null || rule.getFrom().isEmpty(), "metrics are not open to any source");
      assertTrue(
          rule.getFrom().stream()
              .allMatch(peer -> peer.getNamespaceSelector() != null && peer.getIpBlock() == null),
          "metrics: from the monitoring namespace only: " + rule.getFrom());
      assertFalse(
          opens(rule, remoting) || opens(rule, management) || opens(rule, http),
          "the monitoring rule opens the metrics port only: " + rule.getPorts());
    }
  }

  private static boolean opens(NetworkPolicyIngressRule rule, int port) {
    if (rule.getPorts() == null || rule.getPorts().isEmpty()) {
      return true; // a rule without ports opens every port
    }
    for (NetworkPolicyPort p : rule.getPorts()) {
      if (p.getPort() == null
          || resolvePort(p.getPort()) == port
          || (p.getEndPort() != null
              && resolvePort(p.getPort()) <= port
              && port <= p.getEndPort())) {
        return true;
      }
    }
    return false;
  }

  @Test
  void the_service_exposes_the_port_the_router_advertises_and_targets_the_client_port() {
    List<Service> services = KubernetesManifests.all(manifests, Service.class);
    assertEquals(1, services.size());
    Service service = services.get(0);
    assertTrue(
        podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()),
        "selects the pods");
    Set<Integer> exposed = new TreeSet<>();
    for (ServicePort port : service.getSpec().getPorts()) {
      assertEquals(
          containerPort("http"),
          resolvePort(port.getTargetPort()),
          port.getName() + " goes to the client port");
      exposed.add(port.getPort());
    }
    for (String variable : List.of("PARLEY_ADVERTISED_WSS_URL", "PARLEY_ADVERTISED_WS_URL")) {
      URI advertised = URI.create(env(variable).getValue());
      int port =
          advertised.getPort() != -1
              ? advertised.getPort()
              : advertised.getScheme().equals("wss") ? 443 : 80;
      assertTrue(
          exposed.contains(port),
          variable + " " + advertised + ": port " + port + " is a Service port " + exposed);
    }
    assertFalse(
        exposed.contains(80), "no cleartext port: session tokens would travel in the clear");
  }

  // ---- secrets

  @Test
  void every_secret_the_pods_use_is_defined_in_the_example_with_its_keys() {
    Map<String, Set<String>> defined = new HashMap<>();
    for (Manifest manifest : manifests) {
      if (manifest.resource() instanceof Secret secret) {
        assertTrue(
            manifest.file().getFileName().toString().equals("secret.example.yaml"),
            "secrets live in secret.example.yaml only: " + manifest);
        Set<String> keys = new TreeSet<>();
        Optional.ofNullable(secret.getStringData()).ifPresent(d -> keys.addAll(d.keySet()));
        Optional.ofNullable(secret.getData()).ifPresent(d -> keys.addAll(d.keySet()));
        defined.put(secret.getMetadata().getName(), keys);
      }
    }
    List<String> used = new ArrayList<>();
    for (EnvVar variable : container.getEnv()) {
      if (variable.getValueFrom() != null && variable.getValueFrom().getSecretKeyRef() != null) {
        var ref = variable.getValueFrom().getSecretKeyRef();
        used.add(ref.getName() + "/" + ref.getKey());
        assertTrue(
            defined.getOrDefault(ref.getName(), Set.of()).contains(ref.getKey()),
            variable.getName()
                + " reads "
                + ref.getName()
                + "/"
                + ref.getKey()
                + ", which secret.example.yaml defines: "
                + defined);
      }
    }
    assertTrue(
        used.containsAll(List.of("parley-cassandra/username", "parley-cassandra/password")),
        "Cassandra's login comes from a Secret: " + used);
    for (Volume volume : pod.getVolumes()) {
      if (volume.getSecret() != null) {
        assertTrue(
            defined.containsKey(volume.getSecret().getSecretName()),
            volume.getSecret().getSecretName());
      }
    }
  }

  @Test
  void the_remoting_tls_option_reads_the_mounted_secret() {
    Map<String, String> env = new HashMap<>();
    env.put("POD_IP", "10.0.0.7");
    Config tls =
        ConfigFactory.parseMap(env)
            .withFallback(ConfigFactory.parseResourcesAnySyntax("kubernetes-tls.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    assertEquals("tls-tcp", tls.getString("pekko.remote.artery.transport"));
    assertTrue(tls.getBoolean("parley.cluster-bootstrap"), "everything else as kubernetes.conf");
    String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
    assertEquals(
        "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        tls.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    VolumeMount mount =
        container.getVolumeMounts().stream()
            .filter(m -> m.getName().equals("remoting-tls"))
            .findFirst()
            .orElseThrow();
    Volume volume = volume("remoting-tls");
    assertEquals(
        Boolean.TRUE, volume.getSecret().getOptional(), "plain remoting runs without the secret");
    Secret secret = one(manifests, Secret.class, volume.getSecret().getSecretName());
    for (String file : List.of("key-file", "cert-file", "ca-cert-file")) {
      String path = tls.getString(engine + file);
      assertTrue(
          path.startsWith(mount.getMountPath() + "/"),
          file + " " + path + " is in the mounted secret");
      String key = path.substring(mount.getMountPath().length() + 1);
      assertTrue(secret.getStringData().containsKey(key), "the secret has " + key);
    }
  }

  // ---- helpers

  private static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    assertTrue(
        selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(),
        "selectors here use matchLabels only");
    return selector.getMatchLabels() != null
        && !selector.getMatchLabels().isEmpty()
        && labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
  }

  private static int containerPort(String name) {
    return container.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  private static int resolvePort(IntOrString port) {
    return port.getIntVal() != null ? port.getIntVal() : containerPort(port.getStrVal());
  }

  private static Volume volume(String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static EnvVar env(String name) {
    return container.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name));
  }

  private static String javaToolOptions() {
    return Objects.requireNonNull(env("JAVA_TOOL_OPTIONS").getValue());
  }

  private static double percentage(String options, String flag) {
    Matcher m = Pattern.compile("-XX:" + flag + "=([0-9.]+)").matcher(options);
    assertTrue(m.find(), flag + " is set in JAVA_TOOL_OPTIONS");
    return Double.parseDouble(m.group(1));
  }

  private static long size(String options, String flag) {
    Matcher m = Pattern.compile("-XX:" + flag + "=([0-9]+)([kKmMgG]?)").matcher(options);
    assertTrue(m.find(), flag + " is set in JAVA_TOOL_OPTIONS: nothing off-heap is unbounded");
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase()) {
      case "k" -> value * 1024;
      case "m" -> value * MIB;
      case "g" -> value * 1024 * MIB;
      default -> value;
    };
  }

  private static String read(java.nio.file.Path file) {
    try {
      return java.nio.file.Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
