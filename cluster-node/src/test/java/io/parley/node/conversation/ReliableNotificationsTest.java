package io.parley.node.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JSON each reliable notification is kept and served as (docs/protocol.md §15): the push's
 * {@code cmd} and {@code op} names, {@code serverTs}, {@code notificationType: 1}, then its {@code
 * convMessage} fields flattened in protobuf-JSON form, which the JS SDK dispatches as if it had
 * been pushed.
 */
class ReliableNotificationsTest {

  private static String payload(Notice.Reliable notice) {
    return ReliableNotifications.payload(notice);
  }

  @Test
  void member_events_carry_the_initiator_and_the_members() {
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"joined\",\"serverTs\":10,\"notificationType\":1,\"cid\":\"c\",\"initBy\":\"Tom\"}",
        payload(new Notice.Joined("c", "Tom", 10)));
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"members_joined\",\"serverTs\":11,\"notificationType\":1,\"cid\":\"c\","
            + "\"m\":[\"Bob\",\"Harry\"],\"initBy\":\"Tom\"}",
        payload(new Notice.MembersJoined("c", List.of("Bob", "Harry"), "Tom", 11)));
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"left\",\"serverTs\":12,\"notificationType\":1,\"cid\":\"c\",\"initBy\":\"Tom\"}",
        payload(new Notice.Left("c", "Tom", 12)));
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"members_left\",\"serverTs\":13,\"notificationType\":1,\"cid\":\"c\","
            + "\"m\":[\"Bob\"],\"initBy\":\"Tom\"}",
        payload(new Notice.MembersLeft("c", List.of("Bob"), "Tom", 13)));
  }

  @Test
  void moderation_uses_its_own_op_and_lists_members_only_when_there_are_any() {
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"shutuped\",\"serverTs\":20,\"notificationType\":1,\"cid\":\"c\",\"initBy\":\"Tom\"}",
        payload(new Notice.Moderated("c", "shutuped", List.of(), "Tom", 20)));
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"members_blocked\",\"serverTs\":21,\"notificationType\":1,\"cid\":\"c\","
            + "\"m\":[\"Bob\"],\"initBy\":\"Tom\"}",
        payload(new Notice.Moderated("c", "members_blocked", List.of("Bob"), "Tom", 21)));
  }

  @Test
  void roles_and_attribute_updates_keep_their_nested_messages() {
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"member_info_changed\",\"serverTs\":30,\"notificationType\":1,\"cid\":\"c\","
            + "\"initBy\":\"Tom\",\"info\":{\"pid\":\"Jerry\",\"role\":\"Manager\"}}",
        payload(new Notice.MemberInfoChanged("c", "Tom", "Jerry", "Manager", 30)));
    assertEquals(
        "{\"cmd\":\"conv\",\"op\":\"updated\",\"serverTs\":31,\"notificationType\":1,\"cid\":\"c\",\"initBy\":\"Tom\","
            + "\"udate\":\"1970-01-01T00:00:01Z\",\"attr\":{\"data\":\"{\\\"name\\\":\\\"x\\\"}\"},"
            + "\"attrModified\":{\"data\":\"{\\\"name\\\":\\\"x\\\"}\"}}",
        payload(new Notice.Updated("c", "Tom", "{\"name\":\"x\"}", "{\"name\":\"x\"}", 1000, 31)));
  }
}
