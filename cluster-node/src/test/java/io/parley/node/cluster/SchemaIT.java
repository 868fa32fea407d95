package io.parley.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.node.testing.SharedCassandra;
import io.parley.node.testing.TestNode;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.client.ImClient.OfferMode;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.OpType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The production schema (deploy/cassandra/schema.cql) is complete: a node with table creation
 * turned off persists to it and recovers from it.
 */
@ExtendWith(SharedCassandra.class)
class SchemaIT {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void a_node_runs_on_the_production_schema_without_creating_anything() throws Exception {
    String keyspace = SharedCassandra.keyspace() + "_prod";
    assertTrue(
        SharedCassandra.applySchema(SharedCassandra.contactPoint(), keyspace) >= 8,
        "keyspace, journal and read-side tables");

    String config =
        String.join(
            "\n",
            "pekko.persistence.cassandra.journal.keyspace = " + keyspace,
            "pekko.persistence.cassandra.snapshot.keyspace = " + keyspace,
            "pekko.persistence.cassandra.journal.keyspace-autocreate = false",
            "pekko.persistence.cassandra.journal.tables-autocreate = false",
            "pekko.persistence.cassandra.snapshot.keyspace-autocreate = false",
            "pekko.persistence.cassandra.snapshot.tables-autocreate = false",
            // Login signatures: the nonce table (signature_nonces) and the revocation table are on
            // the schema too.
            "parley.apps = [{app-id = parley-dev, app-key = parley-dev-key, master-key = schema-it-master, signatures = login}]");
    TestNode.Ports ports = TestNode.Ports.free();
    String cid;
    try (TestNode node = TestNode.start(ports, null, config);
        ImClient client =
            ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      GenericCommand opened = client.call(signedOpen("Tom"), WAIT);
      assertEquals(OpType.opened, opened.getOp(), opened::toString);
      try (ImClient again =
          ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
        GenericCommand relogin =
            again.call(
                Commands.sessionOpen("parley-dev", "Tom")
                    .setSessionMessage(
                        io.parley.protocol.wire.SessionCommand.newBuilder()
                            .setSt(opened.getSessionMessage().getSt())
                            .setR(true)),
                WAIT);
        assertEquals(
            OpType.opened,
            relogin.getOp(),
            "a token re-login reads session_revocations: " + relogin);
      }
      GenericCommand started =
          client.call(Commands.convStart("Tom", List.of("Jerry"), "{\"name\":\"prod\"}"), WAIT);
      assertEquals(OpType.started, started.getOp(), started::toString);
      cid = started.getConvMessage().getCid();
      GenericCommand ack =
          client.call(Commands.direct("Tom", cid, "on the production schema"), WAIT);
      assertTrue(ack.getAckMessage().hasUid(), ack::toString);
    }
    try (TestNode node = TestNode.start(ports, null, config);
        ImClient client =
            ImClient.connect(node.webSocketUri(), Subprotocol.PROTOBUF_3, OfferMode.HEADER, WAIT)) {
      client.call(signedOpen("Jerry"), WAIT);
      GenericCommand results =
          client.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.query)
                  .setPeerId("Jerry")
                  .setConvMessage(
                      ConvCommand.newBuilder()
                          .setWhere(
                              JsonObjectMessage.newBuilder()
                                  .setData("{\"objectId\":\"" + cid + "\"}"))),
              WAIT);
      assertTrue(
          results.getConvMessage().getResults().getData().contains("\"name\":\"prod\""),
          results::toString);
      GenericCommand mine =
          client.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.conv)
                  .setOp(OpType.query)
                  .setPeerId("Jerry")
                  .setConvMessage(ConvCommand.newBuilder()),
              WAIT);
      assertTrue(
          mine.getConvMessage().getResults().getData().contains(cid),
          "the member index is on the schema");
      GenericCommand history =
          client.call(
              GenericCommand.newBuilder()
                  .setCmd(CommandType.logs)
                  .setPeerId("Jerry")
                  .setLogsMessage(io.parley.protocol.wire.LogsCommand.newBuilder().setCid(cid)),
              WAIT);
      assertEquals("on the production schema", history.getLogsMessage().getLogs(0).getData());
    }
  }

  private static GenericCommand.Builder signedOpen(String client) {
    long ts = System.currentTimeMillis();
    String nonce = java.util.UUID.randomUUID().toString();
    return Commands.sessionOpen("parley-dev", client)
        .setSessionMessage(
            io.parley.protocol.wire.SessionCommand.newBuilder()
                .setT(ts)
                .setN(nonce)
                .setS(
                    io.parley.node.security.Signatures.sign(
                        "schema-it-master",
                        io.parley.node.security.Signatures.login(
                            "parley-dev", client, ts, nonce))));
  }
}
