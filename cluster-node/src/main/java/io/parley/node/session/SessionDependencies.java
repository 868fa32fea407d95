package io.parley.node.session;

import io.parley.node.hooks.Hooks;
import io.parley.node.presence.ClientPresence;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.security.SignatureGuard;
import io.parley.node.security.TokenRevocation;
import io.parley.node.security.WarmUpApp;
import io.parley.node.settings.NodeSettings;
import java.time.Clock;

/**
 * What every {@link SessionActor} needs from its node (one instance per node, shared by its
 * sessions): settings, token and signature services, the conversation and message handlers'
 * factories, this node's directory and the cluster's presence, the app's hooks, the clock, and the
 * per-address login throttle, and the app of the node's own warm-up logins.
 */
public record SessionDependencies(
    NodeSettings settings,
    SessionTokens tokens,
    ConversationCommands.Factory conversations,
    MessageCommands.Factory messages,
    NodeDirectory directory,
    ClientPresence.Directory presence,
    SignatureGuard signatures,
    TokenRevocation revocations,
    Hooks hooks,
    Clock clock,
    LoginThrottle logins,
    WarmUpApp warmUp) {}
