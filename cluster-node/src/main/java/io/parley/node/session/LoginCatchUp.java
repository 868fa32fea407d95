package io.parley.node.session;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Conversations;
import io.parley.node.message.StoredMessage;
import io.parley.node.settings.ConversationSettings;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.OpType;
import io.parley.protocol.wire.PatchCommand;
import io.parley.protocol.wire.UnreadCommand;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a client gets right after it logs in (docs/protocol.md §5.1 step 7, §10 item 3): queued
 * messages ({@code offline}, protocol version 1) or one {@code unread} (versions 2 and 3), and the
 * patches newer than its {@code lastPatchTime}. One member-index read per login, then one ask per
 * conversation; the continuations run where the index and the asks complete them, never on a plain
 * {@code thenX} of a converted Scala future (that starts an OS thread per login, see {@code
 * HotPathIT}). Part of {@link MessageCommands}.
 */
final class LoginCatchUp {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(MessageCommands.class);

  /** The session actor: what is pushed is told to it from the asks' threads. */
  private final ActorRef<SessionActor.Command> self;

  /** Null when built by {@code MessageCommands.forEntities}: nothing to catch up on. */
  private final ConversationIndex index;

  private final Conversations conversations;
  private final ConversationSettings settings;
  private final Clock clock;

  LoginCatchUp(
      ActorRef<SessionActor.Command> self,
      ConversationIndex index,
      Conversations conversations,
      ConversationSettings settings,
      Clock clock) {
    this.self = self;
    this.index = index;
    this.conversations = conversations;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * After {@code opened} (§5.1 step 7): protocol version 1 gets its queued messages pushed ({@code
   * offline}), versions 2 and 3 get one {@code unread} with every conversation that has unread
   * messages.
   */
  public void afterLogin(String appId, String clientId, int version, long lastPatchTime) {
    if (index == null) {
      return; // built by forEntities: no member index, so no conversation to catch up on
    }
    index
        .conversationsOf(appId, clientId, settings.maxQueryCandidates())
        .whenComplete(
            (cids, failure) -> {
              if (failure != null) {
                LOG.warn("Offline delivery for {} skipped: {}", clientId, failure.toString());
                return;
              }
              if (version == 1) {
                pushOffline(appId, clientId, cids);
              } else {
                pushUnread(appId, clientId, cids);
              }
              if (lastPatchTime > 0) {
                pushPatches(appId, clientId, cids, lastPatchTime);
              }
            });
  }

  /** Patch sync (§10 item 3): one patch/modify with every recent patch newer than the client's. */
  private void pushPatches(String appId, String clientId, List<String> cids, long since) {
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.PatchesSince(clientId, since, replyTo))
        .thenAccept(
            answers -> {
              PatchCommand.Builder all = PatchCommand.newBuilder();
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Patches patches) {
                  for (StoredMessage message : patches.messages()) {
                    if (all.getPatchesCount() < HistoryCommands.MAX_HISTORY) {
                      all.addAllPatches(
                          NoticeFrames.toPush(
                                  clientId,
                                  new io.parley.node.conversation.Notice.Patched(
                                      patches.cid(), message, null))
                              .getPatchMessage()
                              .getPatchesList());
                    }
                  }
                }
              }
              if (all.getPatchesCount() > 0) {
                self.tell(
                    new SessionActor.Emit(
                        GenericCommand.newBuilder()
                            .setCmd(CommandType.patch)
                            .setOp(OpType.modify)
                            .setPeerId(clientId)
                            .setPatchMessage(all)
                            .build()));
              }
            });
  }

  /**
   * Queued messages go to the session in batches of this many: the socket gets each batch in one
   * write, and the first batch is on its way while the next ones are built.
   */
  static final int OFFLINE_BATCH = 100;

  /**
   * Protocol version 1 (§5.1 step 7): the queued messages of at most {@code offline-conversations}
   * conversations, pushed in batches of {@link #OFFLINE_BATCH} so the socket gets them back to
   * back.
   */
  private void pushOffline(String appId, String clientId, List<String> cids) {
    int limit = settings.offlineMessagesPerConversation();
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.UndeliveredTo(clientId, limit, replyTo))
        .thenAccept(
            answers -> {
              List<GenericCommand> frames = new ArrayList<>();
              int queues = 0;
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Undelivered queue
                    && !queue.messages().isEmpty()
                    && queues++ < settings.offlineConversations()) {
                  List<StoredMessage> messages = queue.messages();
                  for (int n = 0; n < messages.size(); n++) {
                    boolean last = n == messages.size() - 1;
                    frames.add(
                        NoticeFrames.direct(
                            clientId,
                            queue.cid(),
                            messages.get(n),
                            queue.convType(),
                            false,
                            true,
                            last && queue.hasMore()));
                    if (frames.size() == OFFLINE_BATCH) {
                      self.tell(new SessionActor.EmitAll(frames));
                      frames = new ArrayList<>();
                    }
                  }
                }
              }
              if (!frames.isEmpty()) {
                self.tell(new SessionActor.EmitAll(frames));
              }
            });
  }

  /** Protocol versions 2 and 3: one {@code unread} with every conversation that has unread ones. */
  private void pushUnread(String appId, String clientId, List<String> cids) {
    conversations
        .askAll(appId, cids, replyTo -> new Conversation.UnreadOf(clientId, replyTo))
        .thenAccept(
            answers -> {
              UnreadCommand.Builder unread =
                  UnreadCommand.newBuilder().setNotifTime(clock.millis());
              for (Conversation.Reply answer : answers) {
                if (answer instanceof Conversation.Unread tuple
                    && tuple.count() > 0
                    && unread.getConvsCount() < settings.offlineConversations()) {
                  unread.addConvs(
                      NoticeFrames.unreadTuple(
                          tuple.cid(),
                          tuple.count(),
                          tuple.last(),
                          tuple.mentioned(),
                          tuple.convType()));
                }
              }
              if (unread.getConvsCount() > 0) {
                self.tell(
                    new SessionActor.Emit(
                        GenericCommand.newBuilder()
                            .setCmd(CommandType.unread)
                            .setPeerId(clientId)
                            .setUnreadMessage(unread)
                            .build()));
              }
            });
  }
}
