package io.parley.node.conversation;

/**
 * A notice for one client, as a session receives it. Conversations own this type so that they never
 * name the session layer: a session adapts it into its own protocol, and its adapter ref is what
 * conversations hold as a message's {@code origin} or a chatroom member.
 */
public record Delivery(String clientId, Notice notice) {}
