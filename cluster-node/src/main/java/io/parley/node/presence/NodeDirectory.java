package io.parley.node.presence;

import io.parley.node.concurrent.Futures;
import io.parley.node.conversation.Conversation;
import io.parley.node.conversation.ConversationIds;
import io.parley.node.conversation.Delivery;
import io.parley.node.conversation.Notice;
import io.parley.node.conversation.Notices;
import io.parley.node.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Who is connected to <b>this node</b>, and how a conversation reaches its members on every node.
 *
 * <p>Each node keeps, in memory, the sessions logged in on it (per app and client) and the sessions
 * that joined each chatroom. A conversation delivers a notice with <b>one message per node</b>,
 * whatever the number of members: to its own node by a direct call, to every other cluster member's
 * directory actor (at a fixed path, {@code /system/parley-directory}) by one tell carrying the
 * member list, or for a chatroom only its id. Each node then hands the notice to its local sessions
 * of those members. So a message to a group of 500 costs one local lookup per member, never a
 * sharding envelope or an entity per member, and a chatroom of 5,000 costs one tell per node.
 *
 * <p>Failure behaviour: a node that dies takes its sessions with it, so nothing is ever sent to a
 * stale location (the client reconnects elsewhere and registers there); a node is addressed from
 * the moment it appears in the cluster membership, before it serves any client; a notice to a node
 * that is unreachable is lost with that node's connections, whose clients catch up from their
 * offline queue at re-login. Nothing here is persisted or replicated.
 */
public final class NodeDirectory implements Notices {

  /** The directory actor's name under {@code /system} on every node. */
  static final String NAME = "parley-directory";

  public sealed interface Command extends CborSerializable {}

  /** Deliver {@code notice} to this node's sessions of {@code clientIds}. */
  public record Deliver(String appId, List<String> clientIds, Notice notice) implements Command {}

  /** Deliver {@code notice} to this node's sessions in chatroom {@code cid}. */
  public record DeliverRoom(String appId, String cid, Notice notice) implements Command {}

  /** A chatroom's entity (re)started as {@code room}: this node's sessions in it join it again. */
  public record RoomStarted(String appId, String cid, ActorRef<Conversation.Command> room)
      implements Command {}

  /** Which of {@code clientIds} have a session on this node. */
  public record WhoIsOnline(String appId, List<String> clientIds, ActorRef<Online> replyTo)
      implements Command {}

  public record Online(List<String> clientIds) implements CborSerializable {}

  /** How many clients of {@code appId} have a session on this node. */
  public record CountOnline(String appId, ActorRef<OnlineCount> replyTo) implements Command {}

  /**
   * {@code clients} of the app online on one node, and their ids when there are at most {@link
   * #COUNTED_IDS} (else empty).
   */
  public record OnlineCount(int clients, List<String> ids) implements CborSerializable {}

  /**
   * Up to this many clients of an app on a node, the node sends their ids for the online count
   * (about 30 bytes each, far below a remote message's frame), so that a client online on two nodes
   * counts once; beyond, only its count.
   */
  static final int COUNTED_IDS = 2000;

  /**
   * Told of every client's first session on this node (for the day's count, {@code /rtm/stats}).
   */
  public interface Logins {
    void loggedIn(String appId, String clientId);
  }

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private final ActorSystem<?> system;
  private final Duration askTimeout;

  /**
   * appId -> clientId -> sessions (copy-on-write lists: read on every delivery, written at login).
   */
  private final Map<String, Map<String, List<ActorRef<Delivery>>>> clients =
      new ConcurrentHashMap<>();

  /** appId:cid -> session -> clientId, for chatrooms. */
  private final Map<String, Map<ActorRef<Delivery>, String>> rooms = new ConcurrentHashMap<>();

  /** The directories of the other cluster members. */
  private volatile List<ActorRef<Command>> others = List.of();

  private final Logins logins;

  public NodeDirectory(ActorSystem<?> system, Duration askTimeout) {
    this(system, askTimeout, (appId, clientId) -> {});
  }

  public NodeDirectory(ActorSystem<?> system, Duration askTimeout, Logins logins) {
    this.system = system;
    this.askTimeout = askTimeout;
    this.logins = logins;
    system.systemActorOf(behavior(), NAME, Props.empty());
  }

  // ------------------------------------------------------------------------------ this node's
  // sessions

  public void register(String appId, String clientId, ActorRef<Delivery> session) {
    boolean[] first = {false};
    clients
        .computeIfAbsent(appId, app -> new ConcurrentHashMap<>())
        .compute(
            clientId,
            (id, sessions) -> {
              if (sessions == null) {
                first[0] = true;
                return List.of(session);
              }
              if (sessions.contains(session)) {
                return sessions;
              }
              List<ActorRef<Delivery>> more = new ArrayList<>(sessions);
              more.add(session);
              return List.copyOf(more);
            });
    if (first[0]) {
      logins.loggedIn(appId, clientId);
    }
  }

  public void unregister(String appId, String clientId, ActorRef<Delivery> session) {
    Map<String, List<ActorRef<Delivery>>> app = clients.get(appId);
    if (app != null) {
      app.computeIfPresent(
          clientId,
          (id, sessions) -> {
            List<ActorRef<Delivery>> rest =
                sessions.stream().filter(s -> !s.equals(session)).toList();
            return rest.isEmpty() ? null : rest;
          });
    }
  }

  /**
   * {@code session} is in chatroom {@code roomId} (its entity id, {@code appId:cid}) for {@code
   * clientId}.
   */
  public void joinRoom(String roomId, String clientId, ActorRef<Delivery> session) {
    rooms.computeIfAbsent(roomId, key -> new ConcurrentHashMap<>()).put(session, clientId);
  }

  public void leaveRoom(String roomId, ActorRef<Delivery> session) {
    rooms.computeIfPresent(
        roomId,
        (key, sessions) -> {
          sessions.remove(session);
          return sessions.isEmpty() ? null : sessions;
        });
  }

  /** Sessions logged in on this node (all apps): for metrics and tests. */
  public int size() {
    return clients.values().stream()
        .mapToInt(app -> app.values().stream().mapToInt(List::size).sum())
        .sum();
  }

  // ---------------------------------------------------------------------------------- delivery
  // (port)

  @Override
  public void send(String appId, List<String> clientIds, Notice notice) {
    if (clientIds.isEmpty()) {
      return;
    }
    deliverHere(appId, clientIds, notice);
    List<ActorRef<Command>> targets = others;
    if (!targets.isEmpty()) {
      Deliver deliver = new Deliver(appId, List.copyOf(clientIds), notice);
      targets.forEach(node -> node.tell(deliver));
    }
  }

  @Override
  public void sendRoom(String appId, String cid, Notice notice) {
    deliverRoomHere(appId, cid, notice);
    List<ActorRef<Command>> targets = others;
    if (!targets.isEmpty()) {
      DeliverRoom deliver = new DeliverRoom(appId, cid, notice);
      targets.forEach(node -> node.tell(deliver));
    }
  }

  @Override
  public void roomStarted(String appId, String cid, ActorRef<Conversation.Command> room) {
    rejoinHere(appId, cid, room);
    List<ActorRef<Command>> targets = others;
    if (!targets.isEmpty()) {
      RoomStarted started = new RoomStarted(appId, cid, room);
      targets.forEach(node -> node.tell(started));
    }
  }

  /**
   * Which of {@code clientIds} are online on any node (a node that does not answer in time counts
   * none).
   */
  public CompletionStage<Set<String>> online(String appId, List<String> clientIds) {
    Set<String> found = ConcurrentHashMap.newKeySet();
    found.addAll(onlineHere(appId, clientIds));
    List<CompletableFuture<Online>> answers =
        others.stream()
            .map(
                node ->
                    Futures.direct(
                        AskPattern.<Command, Online>ask(
                            node,
                            replyTo -> new WhoIsOnline(appId, clientIds, replyTo),
                            askTimeout,
                            system.scheduler())))
            .toList();
    return CompletableFuture.allOf(
            answers.stream()
                .map(
                    answer ->
                        answer
                            .thenAccept(online -> found.addAll(online.clientIds()))
                            .exceptionally(failure -> null))
                .toArray(CompletableFuture[]::new))
        .thenApply(done -> Set.copyOf(found));
  }

  /**
   * How many distinct clients of {@code appId} are online on any node. Exact while every node has
   * at most {@link #COUNTED_IDS} of them (the nodes send their ids); a node with more sends only
   * its count, and its clients also online on another node count twice. A node that does not answer
   * in time counts none. One small ask per node.
   */
  public CompletionStage<Integer> onlineCount(String appId) {
    List<CompletableFuture<OnlineCount>> answers =
        others.stream()
            .map(
                node ->
                    Futures.direct(
                            AskPattern.<Command, OnlineCount>ask(
                                node,
                                replyTo -> new CountOnline(appId, replyTo),
                                askTimeout,
                                system.scheduler()))
                        .exceptionally(failure -> new OnlineCount(0, List.of())))
            .toList();
    OnlineCount here = countHere(appId);
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Set<String> distinct = new HashSet<>(here.ids());
              int uncounted = here.ids().isEmpty() ? here.clients() : 0;
              for (CompletableFuture<OnlineCount> answer : answers) {
                OnlineCount counted = answer.join();
                distinct.addAll(counted.ids());
                uncounted += counted.ids().isEmpty() ? counted.clients() : 0;
              }
              return distinct.size() + uncounted;
            });
  }

  private OnlineCount countHere(String appId) {
    Map<String, List<ActorRef<Delivery>>> app = clients.getOrDefault(appId, Map.of());
    List<String> ids = new ArrayList<>(app.keySet());
    return ids.size() <= COUNTED_IDS
        ? new OnlineCount(ids.size(), List.copyOf(ids))
        : new OnlineCount(ids.size(), List.of());
  }

  private void deliverHere(String appId, List<String> clientIds, Notice notice) {
    Map<String, List<ActorRef<Delivery>>> app = clients.get(appId);
    if (app == null) {
      return;
    }
    for (String clientId : clientIds) {
      List<ActorRef<Delivery>> sessions = app.get(clientId);
      if (sessions != null) {
        Delivery delivery = new Delivery(clientId, notice);
        for (ActorRef<Delivery> session : sessions) {
          session.tell(delivery);
        }
      }
    }
  }

  private void deliverRoomHere(String appId, String cid, Notice notice) {
    Map<ActorRef<Delivery>, String> sessions = rooms.get(roomKey(appId, cid));
    if (sessions != null) {
      sessions.forEach((session, clientId) -> session.tell(new Delivery(clientId, notice)));
    }
  }

  private void rejoinHere(String appId, String cid, ActorRef<Conversation.Command> room) {
    Map<ActorRef<Delivery>, String> sessions = rooms.get(roomKey(appId, cid));
    if (sessions != null) {
      sessions.forEach(
          (session, clientId) -> room.tell(new Conversation.JoinRoom(clientId, session, null)));
    }
  }

  private List<String> onlineHere(String appId, List<String> clientIds) {
    Map<String, List<ActorRef<Delivery>>> app = clients.getOrDefault(appId, Map.of());
    return clientIds.stream().filter(app::containsKey).toList();
  }

  private static String roomKey(String appId, String cid) {
    return ConversationIds.entityId(appId, cid);
  }

  // ------------------------------------------------------------------------------- the node's
  // actor

  private Behavior<Command> behavior() {
    return Behaviors.setup(
        context -> {
          Cluster cluster = Cluster.get(context.getSystem());
          ActorRef<ClusterEvent.MemberEvent> events =
              context.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new);
          cluster.subscriptions().tell(Subscribe.create(events, ClusterEvent.MemberEvent.class));
          Address self = cluster.selfMember().address();
          ActorRefResolver resolver = ActorRefResolver.get(context.getSystem());
          Set<Address> members = new HashSet<>();
          cluster
              .state()
              .getMembers()
              .forEach(
                  member -> {
                    if (member.status() != MemberStatus.down()
                        && member.status() != MemberStatus.removed()) {
                      members.add(member.address());
                    }
                  });
          Runnable publish =
              () ->
                  others =
                      members.stream()
                          .filter(address -> !address.equals(self))
                          .map(
                              address ->
                                  resolver.<Command>resolveActorRef(address + "/system/" + NAME))
                          .toList();
          publish.run();
          return Behaviors.receive(Command.class)
              .onMessage(
                  Deliver.class,
                  deliver -> {
                    deliverHere(deliver.appId(), deliver.clientIds(), deliver.notice());
                    return Behaviors.same();
                  })
              .onMessage(
                  DeliverRoom.class,
                  deliver -> {
                    deliverRoomHere(deliver.appId(), deliver.cid(), deliver.notice());
                    return Behaviors.same();
                  })
              .onMessage(
                  RoomStarted.class,
                  started -> {
                    rejoinHere(started.appId(), started.cid(), started.room());
                    return Behaviors.same();
                  })
              .onMessage(
                  WhoIsOnline.class,
                  query -> {
                    query.replyTo().tell(new Online(onlineHere(query.appId(), query.clientIds())));
                    return Behaviors.same();
                  })
              .onMessage(
                  CountOnline.class,
                  query -> {
                    query.replyTo().tell(countHere(query.appId()));
                    return Behaviors.same();
                  })
              .onMessage(
                  MembershipChanged.class,
                  changed -> {
                    ClusterEvent.MemberEvent event = changed.event();
                    if (event instanceof ClusterEvent.MemberRemoved
                        || event instanceof ClusterEvent.MemberDowned) {
                      members.remove(event.member().address());
                    } else {
                      members.add(event.member().address());
                    }
                    publish.run();
                    return Behaviors.same();
                  })
              .build();
        });
  }
}
