package io.parley.node.rest;

import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIndex;
import io.parley.node.conversation.Conversations;
import io.parley.node.conversation.HistoryReader;
import io.parley.node.conversation.ReliableNotifications;
import io.parley.node.conversation.query.ConversationFinder;
import io.parley.node.message.BroadcastRegistry;
import io.parley.node.message.MessageStore;
import io.parley.node.presence.DailyClients;
import io.parley.node.presence.NodeDirectory;
import io.parley.node.security.TokenRevocation;
import io.parley.node.session.SessionTokens;
import io.parley.node.session.UserLogins;
import io.parley.node.settings.ConversationSettings;
import io.parley.node.settings.NodeSettings;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Wires the REST API: authentication, rate limits, and every endpoint group, in the order they are
 * tried.
 */
public final class RestApi {

  /**
   * What the endpoints reach: the same conversations, index, history and directory as the sessions.
   */
  public record Dependencies(
      NodeSettings settings,
      SessionTokens sessionTokens,
      ClusterSharding sharding,
      NodeDirectory directory,
      ConversationIndex index,
      MessageStore messages,
      ConversationSettings limits,
      Clock clock,
      ReliableNotifications notifications,
      TokenRevocation revocations,
      UserLogins userLogins,
      DailyClients dailyClients,
      BroadcastRegistry broadcasts) {

    public Function<String, EntityRef<Conversation.Command>> entities() {
      return id -> sharding.entityRefFor(Conversation.ENTITY_KEY, id);
    }

    public ConversationFinder finder() {
      return new ConversationFinder(entities(), index, limits, settings.rest().timeout());
    }

    public Conversations conversations() {
      return new Conversations(entities(), settings.rest().timeout());
    }

    public HistoryReader history() {
      return new HistoryReader(entities(), messages, settings.rest().timeout());
    }
  }

  private RestApi() {}

  public static Route routes(Dependencies dependencies) {
    RestLimiter limiter = new RestLimiter();
    ConversationFinder finder = dependencies.finder();
    Conversations conversations = dependencies.conversations();
    MessageEndpoints messages =
        new MessageEndpoints(
            conversations,
            finder,
            dependencies.history(),
            dependencies.index(),
            limiter,
            dependencies.settings().rest().maxHistoryLimit(),
            dependencies.limits().maxQueryCandidates());
    ClientEndpoints clients =
        new ClientEndpoints(finder, dependencies.directory(), dependencies.revocations());
    ConversationEndpoints conversationEndpoints =
        new ConversationEndpoints(finder, conversations, dependencies.clock());
    List<RestEndpoints> groups =
        List.of(
            messages,
            // before ConversationEndpoints: GET /1.2/rtm/chatrooms/{id}/members is its online
            // sample
            new ChatroomOnlineEndpoints(finder),
            conversationEndpoints,
            new TemporarySilenceEndpoints(conversations, dependencies.clock()),
            new MemberRoleEndpoints(finder, conversations, dependencies.clock()),
            new LegacyRtmEndpoints(messages, clients),
            new LegacyConversationEndpoints(conversationEndpoints),
            // REST-AND-HOOKS §2 (what the SDKs call) and §3.4 (clients)
            new NotificationEndpoints(dependencies.notifications()),
            new MemberInfoEndpoints(finder),
            new UserSignEndpoints(dependencies.userLogins()),
            clients,
            new ServiceConversationEndpoints(
                finder, conversations, messages, dependencies.broadcasts(), dependencies.clock()),
            new StatsEndpoints(dependencies.directory(), dependencies.dailyClients()));
    return new RestRoutes(
            new RestAuth(
                dependencies.settings(),
                dependencies.sessionTokens(),
                dependencies.revocations(),
                dependencies.clock()),
            limiter,
            dependencies.settings().rest(),
            groups)
        .routes();
  }
}
