package io.parley.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandsTest {

  @Test
  void the_builders_fill_what_the_server_reads_and_leave_the_serial_id_to_the_client() {
    GenericCommand open = Commands.sessionOpen("app", "Tom").build();
    assertEquals(CommandType.session, open.getCmd());
    assertEquals(OpType.open, open.getOp());
    assertEquals("app", open.getAppId());
    assertEquals("Tom", open.getPeerId());
    assertFalse(open.hasI(), "ImClient#request sets i");
    assertFalse(Commands.sessionOpen("app", null).hasPeerId(), "no peer: the session's default");

    GenericCommand start = Commands.convStart("Tom", List.of("Jerry"), "{\"name\":\"n\"}").build();
    assertEquals(OpType.start, start.getOp());
    assertEquals(List.of("Jerry"), start.getConvMessage().getMList());
    assertEquals("{\"name\":\"n\"}", start.getConvMessage().getAttr().getData());
    assertFalse(Commands.convStart("Tom", List.of(), null).build().getConvMessage().hasAttr());

    GenericCommand direct = Commands.direct("Tom", "c1", "hi").build();
    assertEquals(CommandType.direct, direct.getCmd());
    assertEquals("c1", direct.getDirectMessage().getCid());
    assertEquals("hi", direct.getDirectMessage().getMsg());

    assertEquals(OpType.close, Commands.sessionClose("Tom").build().getOp());
    assertEquals(CommandType.echo, Commands.echo().build().getCmd());
  }
}
