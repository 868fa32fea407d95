package io.parley.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.parley.node.metrics.NodeMetrics;
import io.parley.node.testing.Scrape;
import io.parley.protocol.Codecs;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.wire.AckCommand;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

/**
 * What one socket's {@link FrameWriter} hands the gateway and counts for operators. No actor runs:
 * the socket is an inbox, the metrics a registry of their own.
 */
class FrameWriterTest {

  private final CommandCodec codec = Codecs.forSubprotocol(Subprotocol.PROTOBUF_3);
  private final TestInbox<Outbound> socket = TestInbox.create();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final FrameWriter writer =
      new FrameWriter(
          Codecs.forSubprotocol(Subprotocol.PROTOBUF_3),
          socket.getRef(),
          new NodeMetrics(registry),
          "127.0.0.1");

  private Scrape scrape() throws IOException {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(text, registry.scrape());
    return Scrape.parse(text.toString(StandardCharsets.UTF_8));
  }

  private static GenericCommand push(String id) {
    return GenericCommand.newBuilder()
        .setCmd(CommandType.direct)
        .setPeerId("bob")
        .setDirectMessage(DirectCommand.newBuilder().setId(id).setMsg("hi"))
        .build();
  }

  @Test
  void a_frame_goes_to_the_socket_in_the_connections_encoding_and_a_push_is_counted()
      throws Exception {
    writer.write(push("m1"));

    Outbound.Send sent = (Outbound.Send) socket.receiveMessage();
    assertEquals(push("m1"), codec.decode(sent.frame()));
    assertEquals(1.0, scrape().value("parley_messages_out_total"));
  }

  @Test
  void a_batch_goes_to_the_socket_as_one_item_in_its_order() throws Exception {
    writer.writeAll(List.of(push("m1"), push("m2"), push("m3")));

    Outbound.SendAll sent = (Outbound.SendAll) socket.receiveMessage();
    assertFalse(socket.hasMessages());
    List<GenericCommand> decoded = new ArrayList<>();
    for (Frame frame : sent.frames()) {
      decoded.add(codec.decode(frame));
    }
    assertEquals(List.of(push("m1"), push("m2"), push("m3")), decoded);
    assertEquals(3.0, scrape().value("parley_messages_out_total"));
  }

  @Test
  void every_refusal_is_counted_by_its_kind_and_code_and_a_login_as_opened() throws Exception {
    writer.write(Replies.error(1, "alice", ErrorCode.SESSION_CONFLICT, "taken"));
    writer.write(
        GenericCommand.newBuilder()
            .setCmd(CommandType.ack)
            .setI(2)
            .setAckMessage(AckCommand.newBuilder().setCode(4116).setReason("over"))
            .build());
    writer.write(
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.closed)
            .setPeerId("alice")
            .setSessionMessage(SessionCommand.newBuilder().setCode(4115).setReason("kicked"))
            .build());
    writer.write(
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.opened)
            .setI(3)
            .setPeerId("alice")
            .build());

    Scrape metrics = scrape();
    String conflict = Integer.toString(ErrorCode.SESSION_CONFLICT.code());
    assertEquals(
        1.0, metrics.value("parley_refusals_total", "kind=\"error\",code=\"" + conflict + "\""));
    assertEquals(1.0, metrics.value("parley_refusals_total", "kind=\"ack\",code=\"4116\""));
    assertEquals(1.0, metrics.value("parley_refusals_total", "kind=\"kick\",code=\"4115\""));
    assertEquals(1.0, metrics.value("parley_logins_total", "outcome=\"opened\""));
    assertEquals(0.0, metrics.value("parley_messages_out_total"));
  }

  @Test
  void a_close_carries_the_leancloud_code_and_is_counted_as_a_refusal() throws Exception {
    writer.close(ErrorCode.LOGIN_TIMEOUT, "no login within 10 s");

    assertEquals(
        new Outbound.Close(ErrorCode.LOGIN_TIMEOUT.code(), ErrorCode.LOGIN_TIMEOUT.reason()),
        socket.receiveMessage());
    String code = Integer.toString(ErrorCode.LOGIN_TIMEOUT.code());
    assertEquals(
        1.0, scrape().value("parley_refusals_total", "kind=\"close\",code=\"" + code + "\""));
  }

  @Test
  void going_away_closes_with_1001_and_is_no_refusal() throws Exception {
    writer.goingAway();

    assertEquals(new Outbound.Close(1001, "GOING_AWAY"), socket.receiveMessage());
    assertEquals(0.0, scrape().sum("parley_refusals_total"));
  }
}
