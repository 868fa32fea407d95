package io.parley.node.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.deploy.cassandra.LocalCassandra;
import io.parley.node.testing.NodeProcess;
import io.parley.node.testing.TestCassandras;
import io.parley.node.testing.TestClients;
import io.parley.node.testing.TestNode;
import io.parley.node.testing.TestTls;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.LogsCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * M8: a Cassandra that only speaks TLS on its CQL port (client_encryption_options, started by the
 * project's launcher with a throwaway certificate made by keytool). A node with {@code
 * parley.cassandra.tls} on and the certificate in its truststore serves clients and stores and
 * reads messages through it (journal, snapshots and message table alike); a node with TLS on but no
 * truststore refuses to start and says which variables to set.
 */
// Its own Cassandra on free ports, and its own nodes: it runs beside the module's other integration
// tests (failsafe's JUnit configuration).
@Execution(ExecutionMode.CONCURRENT)
class CassandraTlsIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TestTls tls;
  private static LocalCassandra cassandra;

  @BeforeAll
  static void start() throws Exception {
    tls = TestTls.create();
    cassandra =
        TestCassandras.start(
            "tls",
            "512m",
            builder ->
                builder.clientTls(new LocalCassandra.ClientTls(tls.keystore(), tls.password())));
  }

  @AfterAll
  static void stop() {
    if (cassandra != null) {
      cassandra.close();
    }
  }

  @Test
  void cassandra_refuses_plain_text_clients() {
    assertTrue(cassandra.isAnswering(), "answers CQL over TLS");
    assertFalse(
        LocalCassandra.isAnswering(LocalCassandra.HOST, cassandra.cqlPort(), Duration.ofSeconds(3)),
        "a plain-text CQL handshake gets no answer");
  }

  @Test
  void a_node_with_the_truststore_stores_and_reads_messages_over_tls() throws Exception {
    String config =
        String.join(
            "\n",
            "parley.cassandra.tls.enabled = on",
            "parley.cassandra.tls.truststore-path = \"" + tls.truststore() + "\"",
            "parley.cassandra.tls.truststore-password = \"" + tls.password() + "\"");
    TestNode.Ports ports = TestNode.Ports.free();
    List<ImClient> clients = new ArrayList<>();
    try (TestNode node = TestNode.start(ports, ports, config, cassandra.contactPoint())) {
      ImClient tom = TestClients.login(node, "parley-dev", "tls-tom", clients, WAIT);
      String cid =
          tom.call(Commands.convStart("tls-tom", List.of("tls-jerry"), "{}"), WAIT)
              .getConvMessage()
              .getCid();
      GenericCommand ack = tom.call(Commands.direct("tls-tom", cid, "over TLS"), WAIT);
      assertEquals(CommandType.ack, ack.getCmd(), ack::toString);
      assertFalse(ack.getAckMessage().hasCode(), ack::toString);

      ImClient jerry = TestClients.login(node, "parley-dev", "tls-jerry", clients, WAIT);
      GenericCommand history =
          jerry.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.logs)
                  .setPeerId("tls-jerry")
                  .setLogsMessage(LogsCommand.newBuilder().setCid(cid).setLimit(10)),
              WAIT);
      assertEquals(1, history.getLogsMessage().getLogsCount(), history::toString);
      assertEquals("over TLS", history.getLogsMessage().getLogs(0).getData());
      assertEquals(ack.getAckMessage().getUid(), history.getLogsMessage().getLogs(0).getMsgId());
    } finally {
      clients.forEach(ImClient::close);
    }
  }

  @Test
  void a_node_with_tls_on_and_no_truststore_refuses_to_start_and_says_why() {
    NodeProcess.Spec spec =
        NodeProcess.Spec.loopback(
                "tls-no-truststore", 1, Map.of("parley.cassandra.tls.enabled", "on"))
            .get(0);
    NodeProcess.Spec onTls =
        new NodeProcess.Spec(
            spec.name(),
            spec.host(),
            spec.http(),
            spec.remote(),
            spec.seeds(),
            null,
            cassandra.contactPoint(),
            spec.settings());
    try (NodeProcess node = new NodeProcess(onTls)) {
      node.launch();
      assertTrue(node.waitExit(Duration.ofSeconds(60)), "the node exits:\n" + node.logText());
      String log = node.logText();
      assertTrue(
          log.contains("Parley node failed to start")
              && log.contains("PARLEY_CASSANDRA_TRUSTSTORE_PATH"),
          log);
      System.out.println(
          "CassandraTlsIT: "
              + log.lines().filter(l -> l.contains("failed to start")).findFirst().orElse(""));
    }
  }
}
