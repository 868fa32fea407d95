package io.parley.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.ErrorCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.JsonObjectMessage;
import io.parley.protocol.wire.LogsCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.SessionCommand;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The flat JSON mapping of docs/protocol.md §2.3 and the .NET quirks of §18 (Q1–Q4). */
class JsonCodecTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static GenericCommand decode(String json) throws ProtocolException {
    return Codecs.json().decode(new Frame.Text(json));
  }

  private static String encode(GenericCommand command) {
    return ((Frame.Text) Codecs.json().encode(command)).text();
  }

  private static JsonNode tree(String json) throws Exception {
    return MAPPER.readTree(json);
  }

  // ------------------------------------------------------------------------------------ §2.3
  // examples

  /** The request of the §2.3 example, verbatim (from olddocs:_im.md). */
  static final String SPEC_DIRECT =
      "{\"msg\":\"{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"…\\\"}\",\"cid\":\"58ddc56e92509726c3dc3322\",\"r\":true,\"i\":-65533,"
          + "\"cmd\":\"direct\",\"appId\":\"uay57…\",\"peerId\":\"1001\"}";

  /** The reply of the §2.3 example, verbatim. */
  static final String SPEC_ACK =
      "{\"uid\":\"_6jfc+4KT7KtkEgw8lJnAA\",\"t\":1490929028400,\"i\":-65533,\"cmd\":\"ack\",\"appId\":\"uay57…\",\"peerId\":\"1001\"}";

  @Test
  void spec_direct_example_decodes_to_envelope_and_flat_direct_fields() throws Exception {
    GenericCommand command = decode(SPEC_DIRECT);

    GenericCommand expected =
        GenericCommand.newBuilder()
            .setCmd(CommandType.direct)
            .setAppId("uay57…")
            .setPeerId("1001")
            .setI(-65533)
            .setDirectMessage(
                DirectCommand.newBuilder()
                    .setMsg("{\"_lctype\":-1,\"_lctext\":\"…\"}")
                    .setCid("58ddc56e92509726c3dc3322")
                    .setR(true))
            .build();
    assertEquals(expected, command);
    assertEquals(
        tree(SPEC_DIRECT), tree(encode(command)), "same keys and values as the spec example");
    assertEquals(
        "{\"cmd\":\"direct\",\"appId\":\"uay57…\",\"peerId\":\"1001\",\"i\":-65533,"
            + "\"msg\":\"{\\\"_lctype\\\":-1,\\\"_lctext\\\":\\\"…\\\"}\",\"r\":true,\"cid\":\"58ddc56e92509726c3dc3322\"}",
        encode(command));
  }

  @Test
  void spec_ack_example_decodes_and_encodes_with_the_same_structure() throws Exception {
    GenericCommand command = decode(SPEC_ACK);

    assertEquals(CommandType.ack, command.getCmd());
    assertEquals(-65533, command.getI());
    assertEquals("1001", command.getPeerId());
    assertEquals("uay57…", command.getAppId());
    assertEquals("_6jfc+4KT7KtkEgw8lJnAA", command.getAckMessage().getUid());
    assertEquals(1490929028400L, command.getAckMessage().getT());
    assertFalse(
        command.getAckMessage().hasCode(), "no code: .NET treats any 'code' key as an error");
    assertEquals(tree(SPEC_ACK), tree(encode(command)));
    assertEquals(
        "{\"cmd\":\"ack\",\"appId\":\"uay57…\",\"peerId\":\"1001\",\"i\":-65533,\"t\":1490929028400,\"uid\":\"_6jfc+4KT7KtkEgw8lJnAA\"}",
        encode(command));
  }

  @Test
  void session_opened_reply_has_the_json_form_of_section_5_1() {
    GenericCommand opened =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.opened)
            .setPeerId("Tom")
            .setI(-65535)
            .setServerTs(1700000000456L)
            .setSessionMessage(SessionCommand.newBuilder().setSt("token").setStTtl(86400))
            .build();
    assertEquals(
        "{\"cmd\":\"session\",\"op\":\"opened\",\"peerId\":\"Tom\",\"i\":-65535,\"serverTs\":1700000000456,"
            + "\"st\":\"token\",\"stTtl\":86400}",
        encode(opened));
  }

  @Test
  void error_reply_is_flat_with_code_and_reason() {
    GenericCommand error =
        GenericCommand.newBuilder()
            .setCmd(CommandType.error)
            .setI(5)
            .setErrorMessage(
                ErrorCommand.newBuilder().setCode(4401).setReason("INVALID_MESSAGING_TARGET"))
            .build();
    assertEquals(
        "{\"cmd\":\"error\",\"i\":5,\"code\":4401,\"reason\":\"INVALID_MESSAGING_TARGET\"}",
        encode(error));
  }

  // ------------------------------------------------------------------------------------ op
  // spelling

  @ParameterizedTest
  @ValueSource(
      strings = {
        "members_joined",
        "members_left",
        "query_result",
        "max_read",
        "member_info_changed",
        "shutup_added"
      })
  void multi_word_ops_are_written_hyphenated_and_read_in_both_spellings(String opName)
      throws Exception {
    OpType op = OpType.valueOf(opName);
    String hyphenated = opName.replace('_', '-');
    GenericCommand command = GenericCommand.newBuilder().setCmd(CommandType.conv).setOp(op).build();

    assertEquals("{\"cmd\":\"conv\",\"op\":\"" + hyphenated + "\"}", encode(command));
    assertEquals(command, decode("{\"cmd\":\"conv\",\"op\":\"" + hyphenated + "\"}"));
    assertEquals(command, decode("{\"cmd\":\"conv\",\"op\":\"" + opName + "\"}"));
    assertEquals(command, decode("{\"cmd\":\"conv\",\"op\":" + op.getNumber() + "}"));
  }

  @Test
  void single_word_ops_are_unchanged() {
    for (OpType op :
        List.of(
            OpType.open, OpType.opened, OpType.joined, OpType.left, OpType.closed, OpType.modify)) {
      GenericCommand command =
          GenericCommand.newBuilder().setCmd(CommandType.session).setOp(op).build();
      assertEquals("{\"cmd\":\"session\",\"op\":\"" + op.name() + "\"}", encode(command));
    }
  }

  @ParameterizedTest
  @EnumSource(CommandType.class)
  void every_cmd_is_written_by_name_and_read_by_name_or_number(CommandType type) throws Exception {
    GenericCommand command = GenericCommand.newBuilder().setCmd(type).build();
    assertEquals("{\"cmd\":\"" + type.name() + "\"}", encode(command));
    assertEquals(command, decode("{\"cmd\":\"" + type.name() + "\"}"));
    assertEquals(command, decode("{\"cmd\":" + type.getNumber() + "}"));
  }

  // ------------------------------------------------------------------------------------
  // JsonObjectMessage

  @Test
  void attr_where_and_results_are_plain_json_values() throws Exception {
    GenericCommand start =
        decode(
            "{\"cmd\":\"conv\",\"op\":\"start\",\"m\":[\"Jerry\"],\"attr\":{\"name\":\"\",\"type\":\"group\"},\"cid\":null}");
    assertEquals("{\"name\":\"\",\"type\":\"group\"}", start.getConvMessage().getAttr().getData());
    assertFalse(start.getConvMessage().hasCid(), "\"cid\": null is absent");
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"start\",\"m\":[\"Jerry\"],\"attr\":{\"name\":\"\",\"type\":\"group\"}}",
        encode(start));

    GenericCommand query =
        decode("{\"cmd\":\"conv\",\"op\":\"query\",\"where\":{\"objectId\":\"abc\"},\"limit\":1}");
    assertEquals("{\"objectId\":\"abc\"}", query.getConvMessage().getWhere().getData());

    GenericCommand results =
        decode("{\"cmd\":\"conv\",\"op\":\"results\",\"results\":[{\"objectId\":\"abc\"}]}");
    assertEquals("[{\"objectId\":\"abc\"}]", results.getConvMessage().getResults().getData());
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"results\",\"results\":[{\"objectId\":\"abc\"}]}",
        encode(results));
  }

  @Test
  void json_object_fields_also_accept_a_string_containing_json() throws Exception {
    GenericCommand command =
        decode("{\"cmd\":\"conv\",\"op\":\"start\",\"attr\":\"{\\\"type\\\":\\\"group\\\"}\"}");
    assertEquals("{\"type\":\"group\"}", command.getConvMessage().getAttr().getData());
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"start\",\"attr\":{\"type\":\"group\"}}", encode(command));
  }

  @Test
  void json_object_numbers_are_kept_exactly() throws Exception {
    String attr =
        "{\"big\":123456789012345678901234567890,\"long\":9223372036854775807,\"dec\":1.50,\"exp\":1E+400}";
    GenericCommand command = decode("{\"cmd\":\"conv\",\"attr\":" + attr + "}");
    assertEquals(attr, command.getConvMessage().getAttr().getData());
    assertEquals("{\"cmd\":\"conv\",\"attr\":" + attr + "}", encode(command));
  }

  @Test
  void json_object_data_that_is_not_an_object_or_array_is_written_as_a_string() throws Exception {
    for (String data : List.of("not json", "42", "\"quoted\"", "{broken", "")) {
      GenericCommand command =
          GenericCommand.newBuilder()
              .setCmd(CommandType.conv)
              .setConvMessage(
                  ConvCommand.newBuilder().setAttr(JsonObjectMessage.newBuilder().setData(data)))
              .build();
      String json = encode(command);
      assertEquals(data, tree(json).get("attr").textValue(), json);
      assertEquals(command, decode(json));
    }
  }

  // ------------------------------------------------------------------------------------ scalars

  @Test
  void booleans_accept_true_false_and_0_1() throws Exception {
    assertTrue(decode("{\"cmd\":\"session\",\"op\":\"open\",\"r\":1}").getSessionMessage().getR());
    assertTrue(
        decode("{\"cmd\":\"session\",\"op\":\"open\",\"r\":true}").getSessionMessage().getR());
    GenericCommand zero = decode("{\"cmd\":\"session\",\"op\":\"open\",\"r\":0}");
    assertTrue(zero.getSessionMessage().hasR());
    assertFalse(zero.getSessionMessage().getR());
    assertEquals(
        "{\"cmd\":\"session\",\"op\":\"open\",\"r\":true}",
        encode(decode("{\"cmd\":\"session\",\"op\":\"open\",\"r\":1}")));
  }

  @Test
  void int64_values_are_exact_at_the_limits() throws Exception {
    GenericCommand max =
        decode(
            "{\"cmd\":\"session\",\"serverTs\":9223372036854775807,\"lastPatchTime\":-9223372036854775808}");
    assertEquals(Long.MAX_VALUE, max.getServerTs());
    assertEquals(Long.MIN_VALUE, max.getSessionMessage().getLastPatchTime());
    assertEquals(
        "{\"cmd\":\"session\",\"serverTs\":9223372036854775807,\"lastPatchTime\":-9223372036854775808}",
        encode(max));
    // a value a double cannot represent
    assertEquals(
        9007199254740993L,
        decode("{\"cmd\":\"ack\",\"t\":9007199254740993}").getAckMessage().getT());
  }

  @Test
  void integral_decimals_are_accepted_for_integers() throws Exception {
    assertEquals(
        1490929028400L, decode("{\"cmd\":\"ack\",\"t\":1.4909290284E12}").getAckMessage().getT());
    assertEquals(7, decode("{\"i\":7.0}").getI());
  }

  @Test
  void enums_are_names_and_accept_numbers() throws Exception {
    GenericCommand logs = decode("{\"cmd\":\"logs\",\"cid\":\"c\",\"direction\":\"NEW\"}");
    assertEquals(LogsCommand.QueryDirection.NEW, logs.getLogsMessage().getDirection());
    assertEquals(logs, decode("{\"cmd\":\"logs\",\"cid\":\"c\",\"direction\":2}"));
    assertEquals("{\"cmd\":\"logs\",\"cid\":\"c\",\"direction\":\"NEW\"}", encode(logs));
  }

  @Test
  void bytes_are_base64() throws Exception {
    GenericCommand command = decode("{\"cmd\":\"direct\",\"binaryMsg\":\"AAEC/v8=\"}");
    assertEquals(
        ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xfe, (byte) 0xff}),
        command.getDirectMessage().getBinaryMsg());
    assertEquals("{\"cmd\":\"direct\",\"binaryMsg\":\"AAEC/v8=\"}", encode(command));
  }

  // ------------------------------------------------------------------------------------ .NET
  // quirks

  @Test
  void dotnet_level_is_the_envelope_priority() throws Exception {
    GenericCommand command = decode("{\"cmd\":\"direct\",\"cid\":\"c\",\"msg\":\"m\",\"level\":1}");
    assertEquals(1, command.getPriority());
    assertEquals(
        "{\"cmd\":\"direct\",\"priority\":1,\"msg\":\"m\",\"cid\":\"c\"}", encode(command));
    assertEquals(
        3,
        decode("{\"cmd\":\"direct\",\"priority\":3,\"level\":1}").getPriority(),
        "priority wins over level");
  }

  @Test
  void dotnet_meintonPids_typo_is_read_as_mentionPids() throws Exception {
    GenericCommand command =
        decode(
            "{\"cmd\":\"patch\",\"op\":\"modify\",\"patches\":[{\"cid\":\"c\",\"mid\":\"m\",\"meintonPids\":[\"Jerry\"]}]}");
    assertEquals(List.of("Jerry"), command.getPatchMessage().getPatches(0).getMentionPidsList());
    assertEquals(
        "{\"cmd\":\"patch\",\"op\":\"modify\",\"patches\":[{\"cid\":\"c\",\"mid\":\"m\",\"mentionPids\":[\"Jerry\"]}]}",
        encode(command));
    GenericCommand both =
        decode(
            "{\"cmd\":\"patch\",\"patches\":[{\"mentionPids\":[\"A\"],\"meintonPids\":[\"B\"]}]}");
    assertEquals(
        List.of("A"),
        both.getPatchMessage().getPatches(0).getMentionPidsList(),
        "canonical key wins");
  }

  @Test
  void dotnet_read_with_float_timestamps_and_empty_mid_is_accepted() throws Exception {
    // dn:Internal/Command/ReadCommand.cs keeps the timestamp in a C# float, serialized like 1.7E+12
    GenericCommand read =
        decode(
            "{\"convs\":[{\"cid\":\"c\",\"mid\":\"\",\"timestamp\":1.700001E+12}],\"i\":-65530,\"cmd\":\"read\",\"appId\":\"a\",\"peerId\":\"Tom\"}");
    assertEquals(1700001000000L, read.getReadMessage().getConvs(0).getTimestamp());
    assertEquals("", read.getReadMessage().getConvs(0).getMid());
    assertTrue(read.getReadMessage().getConvs(0).hasMid());
  }

  @Test
  void dotnet_ack_with_read_flag_ignores_the_unknown_key() throws Exception {
    GenericCommand ack =
        decode(
            "{\"mid\":\"m\",\"cid\":\"c\",\"read\":true,\"i\":-65529,\"cmd\":\"ack\",\"appId\":\"a\",\"peerId\":\"Jerry\"}");
    assertEquals("m", ack.getAckMessage().getMid());
    assertEquals("c", ack.getAckMessage().getCid());
  }

  @Test
  void heartbeat_is_an_empty_object_both_ways() throws Exception {
    assertEquals(GenericCommand.getDefaultInstance(), decode("{}"));
    assertEquals(GenericCommand.getDefaultInstance(), decode("  { }\n"));
    assertEquals(
        GenericCommand.getDefaultInstance(),
        decode("{\"cmd\":null,\"appId\":null,\"peerId\":null}"));
    assertEquals("{}", encode(GenericCommand.getDefaultInstance()));
  }

  // ------------------------------------------------------------------------------------ presence,
  // order, leniency

  @Test
  void unset_fields_are_omitted_and_zero_values_that_are_set_are_kept() throws Exception {
    GenericCommand closed =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.closed)
            .setPeerId("Tom")
            .build();
    assertEquals(
        "{\"cmd\":\"session\",\"op\":\"closed\",\"peerId\":\"Tom\"}",
        encode(closed),
        "no i, no code");

    GenericCommand push =
        GenericCommand.newBuilder()
            .setCmd(CommandType.direct)
            .setDirectMessage(DirectCommand.newBuilder().setCid("c").setMsg("m"))
            .build();
    assertFalse(encode(push).contains("offline"));

    GenericCommand zero = GenericCommand.newBuilder().setCmd(CommandType.echo).setI(0).build();
    assertEquals("{\"cmd\":\"echo\",\"i\":0}", encode(zero), "i = 0 is a valid serial id");
    assertEquals(zero, decode("{\"cmd\":\"echo\",\"i\":0}"));
  }

  @Test
  void keys_are_envelope_then_sub_message_fields_in_field_number_order() throws Exception {
    GenericCommand command =
        decode(
            "{\"lastPatchTime\":5,\"ua\":\"x\",\"notificationType\":1,\"serverTs\":2,\"i\":3,\"peerId\":\"p\","
                + "\"appId\":\"a\",\"op\":\"open\",\"cmd\":\"session\",\"t\":1}");
    assertEquals(
        "{\"cmd\":\"session\",\"op\":\"open\",\"appId\":\"a\",\"peerId\":\"p\",\"i\":3,\"serverTs\":2,\"notificationType\":1,"
            + "\"t\":1,\"ua\":\"x\",\"lastPatchTime\":5}",
        encode(command));
  }

  @Test
  void unknown_keys_are_ignored() throws Exception {
    assertEquals(
        GenericCommand.newBuilder().setCmd(CommandType.echo).setI(1).build(),
        decode(
            "{\"cmd\":\"echo\",\"i\":1,\"whatever\":{\"deep\":[1,2,3]},\"ua\":\"ignored: echo has no sub-message\"}"));
    assertEquals(
        GenericCommand.newBuilder().setI(1).build(),
        decode("{\"i\":1,\"ua\":\"ignored: no cmd, so no sub-message\"}"));
  }

  @Test
  void a_sub_message_that_does_not_match_cmd_is_written_and_read_nested() throws Exception {
    GenericCommand odd =
        GenericCommand.newBuilder()
            .setCmd(CommandType.session)
            .setOp(OpType.opened)
            .setSessionMessage(SessionCommand.newBuilder().setSt("x"))
            .setErrorMessage(ErrorCommand.newBuilder().setCode(1).setReason("R"))
            .build();
    String json = encode(odd);
    assertEquals(
        "{\"cmd\":\"session\",\"op\":\"opened\",\"st\":\"x\",\"errorMessage\":{\"code\":1,\"reason\":\"R\"}}",
        json);
    assertEquals(odd, decode(json));
    GenericCommand nested =
        decode(
            "{\"cmd\":\"session\",\"op\":\"open\",\"sessionMessage\":{\"ua\":\"js\"},\"tag\":\"t\"}");
    assertEquals("js", nested.getSessionMessage().getUa());
    assertEquals("t", nested.getSessionMessage().getTag());
  }

  @Test
  void no_sub_message_field_shadows_an_envelope_field() {
    Set<String> envelope = new HashSet<>();
    for (FieldDescriptor field : GenericCommand.getDescriptor().getFields()) {
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        envelope.add(field.getName());
      }
    }
    envelope.add("level");
    for (CommandType type : CommandType.values()) {
      FieldDescriptor sub = JsonCodec.subMessageField(type);
      if (sub != null) {
        for (FieldDescriptor field : sub.getMessageType().getFields()) {
          assertFalse(
              envelope.contains(field.getName()),
              type + "." + field.getName() + " would be read as envelope");
        }
        assertEquals(type.name() + "Message", sub.getName());
      }
    }
    assertNull(JsonCodec.subMessageField(CommandType.echo));
    assertNull(JsonCodec.subMessageField(CommandType.goaway));
  }

  @Test
  void missing_required_fields_are_rejected_on_input_and_refused_on_output() {
    ProtocolException e =
        assertThrows(ProtocolException.class, () -> decode("{\"cmd\":\"error\",\"code\":4100}"));
    assertEquals(ErrorCode.UNPARSEABLE_RAW_MESSAGE, e.code());
    assertTrue(e.getMessage().contains("reason"), e.getMessage());

    GenericCommand incomplete =
        GenericCommand.newBuilder()
            .setCmd(CommandType.error)
            .setErrorMessage(ErrorCommand.newBuilder().setCode(4100).buildPartial())
            .buildPartial();
    assertThrows(IllegalArgumentException.class, () -> encode(incomplete));
    assertThrows(IllegalArgumentException.class, () -> Codecs.protobuf().encode(incomplete));
    assertThrows(IllegalArgumentException.class, () -> Codecs.base64().encode(incomplete));
  }

  @Test
  void tree_form_is_the_same_flat_object() throws Exception {
    GenericCommand command = decode(SPEC_ACK);
    assertEquals(tree(encode(command)), Codecs.json().toTree(command));
    assertEquals(command, Codecs.json().fromTree(Codecs.json().toTree(command)));
  }
}
