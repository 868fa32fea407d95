package io.parley.node.faults;

import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.Commands;
import io.parley.protocol.client.ImClient;
import io.parley.protocol.wire.CommandType;
import io.parley.protocol.wire.ConvCommand;
import io.parley.protocol.wire.DirectCommand;
import io.parley.protocol.wire.GenericCommand;
import io.parley.protocol.wire.LogsCommand;
import io.parley.protocol.wire.OpType;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Chat traffic that keeps flowing while a fault test breaks things: protocol clients
 * (lc.protobuf2.3) that send to a one-to-one conversation, a group and a chatroom in turn, and that
 * behave like the SDKs when their connection is lost or told to go away: reconnect after a second
 * to one of the nodes (the next one in the list, as the SDKs take the next server the router
 * names), open their session again and rejoin the chatroom. A send without a reply (timeout,
 * connection lost) or refused with a code is sent again with the same {@code dt} once online, as an
 * app resends a failed message. Every attempt, ack, push and absence is recorded for the test's
 * checks.
 */
final class Traffic implements AutoCloseable {

  static final String APP = "parley-dev";
  private static final Duration CONNECT = Duration.ofSeconds(3);

  /** Longer than the node's ask timeout (10 s): a send without an answer by then counts as hung. */
  static final Duration SEND_TIMEOUT = Duration.ofSeconds(12);

  /** How long a returning client keeps asking for history that a node refuses for now. */
  static final Duration HISTORY_PATIENCE = Duration.ofSeconds(30);

  /** {@code logs} requests refused (and retried) while reading back history. */
  final java.util.concurrent.atomic.AtomicInteger historyRefusals =
      new java.util.concurrent.atomic.AtomicInteger();

  /** One message the test wants stored exactly once. */
  record Message(String sender, String cid, String text, String dt) {}

  /**
   * One attempt to send: its outcome ({@code acked}, {@code refused <code>}, {@code no answer},
   * {@code connection lost}), when it started and how long it took, the node the sender was on, and
   * the message's time on the server.
   */
  record Attempt(
      Message message, String outcome, long millis, long at, int node, long serverTime) {}

  private final Supplier<List<URI>> nodes;
  private final List<Peer> peers = new ArrayList<>();
  final Map<String, Message> acked = new ConcurrentHashMap<>();

  /** Ack time of each acked message, by text. */
  final Map<String, Long> ackedAt = new ConcurrentHashMap<>();

  /**
   * The server's time of each acked message (its timestamp, given when it was stored), by text: a
   * message acked only on a resend was stored, and pushed, before the resend's ack.
   */
  final Map<String, Long> storedAt = new ConcurrentHashMap<>();

  final Map<String, String> ackedIds = new ConcurrentHashMap<>();
  final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  final Set<Message> unfinished = ConcurrentHashMap.newKeySet();
  private volatile boolean sending;
  private volatile boolean closed;
  final String run = UUID.randomUUID().toString().substring(0, 6);
  private final String contactPoint;

  /** The nodes store in the shared Cassandra. */
  Traffic(Supplier<List<URI>> nodes) {
    this(nodes, io.parley.node.testing.SharedCassandra.contactPoint());
  }

  /** The nodes store in the Cassandra at {@code contactPoint}, where the report reads them back. */
  Traffic(Supplier<List<URI>> nodes, String contactPoint) {
    this.nodes = nodes;
    this.contactPoint = contactPoint;
  }

  /** A client logged in on node {@code home}, not sending yet. */
  Peer peer(String name, int home) {
    Peer peer = new Peer(name + "-" + run, home);
    peers.add(peer);
    peer.connect(home);
    return peer;
  }

  List<Peer> peers() {
    return peers;
  }

  /**
   * Starts every peer's sender (one message every {@code interval}, its conversations in turn) and
   * receiver.
   */
  void start(Duration interval) {
    start(interval, false);
  }

  /**
   * Starts every peer's receiver and senders: one sender per peer, or with {@code perConversation}
   * one per peer and conversation (each one message every {@code interval}), so that a conversation
   * that does not answer does not hold up the peer's others.
   */
  void start(Duration interval, boolean perConversation) {
    sending = true;
    for (Peer peer : peers) {
      Thread receiver = new Thread(peer::receive, "traffic-receive-" + peer.id);
      receiver.setDaemon(true);
      receiver.start();
      List<List<String>> flows =
          perConversation
              ? peer.conversations.stream().map(List::of).toList()
              : peer.conversations.isEmpty() ? List.of() : List.of(List.copyOf(peer.conversations));
      for (List<String> flow : flows) {
        Thread sender = new Thread(() -> peer.send(flow, interval), "traffic-send-" + peer.id);
        sender.setDaemon(true);
        sender.start();
        peer.senders.add(sender);
      }
    }
  }

  /**
   * Stops sending; waits until every message in flight has its final answer (its resends included).
   */
  void stopSending(Duration timeout) throws InterruptedException {
    sending = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Peer peer : peers) {
      for (Thread sender : peer.senders) {
        sender.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (sender.isAlive()) {
          throw new AssertionError(peer.id + " still sending after " + timeout);
        }
      }
    }
  }

  /**
   * Starts a one-to-one or group conversation of {@code members} (the first is the creator); each
   * sends to it.
   */
  String conversation(List<Peer> members) {
    return conversation(members, List.of());
  }

  /** The same, with further members that are not peers of this traffic (e.g. a JS SDK client). */
  String conversation(List<Peer> members, List<String> outsiders) {
    Peer creator = members.get(0);
    List<String> others =
        new ArrayList<>(members.subList(1, members.size()).stream().map(p -> p.id).toList());
    others.addAll(outsiders);
    GenericCommand started =
        creator.client.call(Commands.convStart(creator.id, others, "{}"), SEND_TIMEOUT);
    if (started.getOp() != OpType.started) {
      throw new AssertionError("conv/start failed: " + started);
    }
    String cid = started.getConvMessage().getCid();
    members.forEach(m -> m.conversations.add(cid));
    return cid;
  }

  /** A chatroom every member joins (and rejoins after a reconnect); each member sends to it. */
  String chatroom(List<Peer> members) {
    Peer creator = members.get(0);
    GenericCommand started =
        creator.client.call(
            Commands.convStart(creator.id, List.of(), "{}")
                .setConvMessage(ConvCommand.newBuilder().setTransient(true)),
            SEND_TIMEOUT);
    if (started.getOp() != OpType.started) {
      throw new AssertionError("chatroom start failed: " + started);
    }
    String cid = started.getConvMessage().getCid();
    for (Peer member : members) {
      member.room = cid;
      if (member != creator) {
        member.joinRoom(member.client);
      } else {
        member.inRoom.add(new long[] {System.currentTimeMillis(), Long.MAX_VALUE});
      }
      member.conversations.add(cid);
    }
    return cid;
  }

  @Override
  public void close() {
    closed = true;
    sending = false;
    peers.forEach(
        p -> {
          ImClient client = p.client;
          if (client != null) {
            client.abort();
          }
        });
  }

  // --------------------------------------------------------------------------------------------------- one client

  /** One client: a receiver thread that also reconnects, and a sender thread. */
  final class Peer {
    final String id;
    final List<String> conversations = new CopyOnWriteArrayList<>();

    /** Texts received live, by conversation, with the time they arrived. */
    final Map<String, Map<String, Long>> received = new ConcurrentHashMap<>();

    /** How long each absence lasted (connection lost to session open again), in ms. */
    final List<Long> absences = new CopyOnWriteArrayList<>();

    /**
     * When this peer was online: [session opened, connection lost or goaway] (end {@code
     * Long.MAX_VALUE} while on).
     */
    final List<long[]> online = new CopyOnWriteArrayList<>();

    /** When this peer was in its chatroom: [joined, connection lost or goaway]. */
    final List<long[]> inRoom = new CopyOnWriteArrayList<>();

    private volatile boolean roomJoining;
    volatile ImClient client;
    volatile String room;
    private volatile int node;
    private volatile long awaySince;
    private final List<Thread> senders = new CopyOnWriteArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();

    private Peer(String id, int home) {
      this.id = id;
      this.node = home;
    }

    boolean wasAway() {
      return !absences.isEmpty() || awaySince != 0;
    }

    /** The texts of others' messages this peer got pushed live in {@code cid}. */
    Set<String> receivedIn(String cid) {
      return received.getOrDefault(cid, Map.of()).keySet();
    }

    private boolean connect(int index) {
      node = index;
      List<URI> urls = nodes.get();
      URI url = urls.get(Math.floorMod(index, urls.size()));
      try {
        ImClient fresh =
            ImClient.connect(url, Subprotocol.PROTOBUF_3, ImClient.OfferMode.HEADER, CONNECT);
        GenericCommand opened = fresh.call(Commands.sessionOpen(APP, id), SEND_TIMEOUT);
        if (opened.getOp() != OpType.opened) {
          fresh.abort();
          return false;
        }
        client = fresh;
        roomJoining = false;
        online.add(new long[] {System.currentTimeMillis(), Long.MAX_VALUE});
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    }

    private boolean joinRoom(ImClient on) {
      GenericCommand joined = on.call(joinCommand(), SEND_TIMEOUT);
      if (joined.getOp() == OpType.added) {
        inRoom.add(new long[] {System.currentTimeMillis(), Long.MAX_VALUE});
        return true;
      }
      return false;
    }

    private GenericCommand.Builder joinCommand() {
      return GenericCommand.newBuilder()
          .setCmd(CommandType.conv)
          .setOp(OpType.add)
          .setPeerId(id)
          .setConvMessage(ConvCommand.newBuilder().setCid(room).addM(id));
    }

    /**
     * After a reconnect: joins the chatroom again without holding up the session (retried until it
     * works).
     */
    private void rejoinRoom(ImClient on) {
      if (room == null || roomJoining || inRoomNow()) {
        return;
      }
      roomJoining = true;
      on.request(joinCommand())
          .orTimeout(SEND_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
          .whenComplete(
              (reply, failure) -> {
                if (failure == null
                    && reply.getOp() == OpType.added
                    && on == client
                    && on.isOpen()) {
                  inRoom.add(new long[] {System.currentTimeMillis(), Long.MAX_VALUE});
                }
                roomJoining = false;
              });
    }

    private boolean inRoomNow() {
      return !inRoom.isEmpty() && inRoom.get(inRoom.size() - 1)[1] == Long.MAX_VALUE;
    }

    /**
     * Pushes in, and the SDKs' reconnect: after a second, the next node, session open, chatroom
     * rejoined.
     */
    void receive() {
      while (!closed) {
        ImClient current = client;
        if (current == null || !current.isOpen()) {
          if (awaySince == 0) {
            awaySince = System.currentTimeMillis();
            wentAway(awaySince);
          }
          sleep(1000);
          if (closed) {
            return;
          }
          if (connect(node + 1)) {
            absences.add(System.currentTimeMillis() - awaySince);
            awaySince = 0;
          }
          continue;
        }
        rejoinRoom(current);
        try {
          current.pollPush(Duration.ofMillis(200)).ifPresent(push -> onPush(current, push));
        } catch (RuntimeException e) {
          current.abort();
        }
      }
    }

    private void onPush(ImClient on, GenericCommand push) {
      if (push.getCmd() == CommandType.direct && push.hasDirectMessage()) {
        DirectCommand message = push.getDirectMessage();
        received
            .computeIfAbsent(message.getCid(), c -> new ConcurrentHashMap<>())
            .putIfAbsent(textOf(message.getMsg()), System.currentTimeMillis());
      } else if (push.getCmd() == CommandType.goaway) {
        wentAway(System.currentTimeMillis());
        on.abort();
      }
    }

    private void wentAway(long at) {
      for (List<long[]> spans : List.of(online, inRoom)) {
        if (!spans.isEmpty() && spans.get(spans.size() - 1)[1] == Long.MAX_VALUE) {
          spans.get(spans.size() - 1)[1] = at;
        }
      }
    }

    /**
     * Whether this peer was online (for its chatroom: in the room) without a break from well before
     * {@code from} until well after {@code to}: a push of {@code cid} sent in between must arrive
     * live.
     */
    boolean onlineThroughout(String cid, long from, long to, long margin) {
      List<long[]> spans = cid.equals(room) ? inRoom : online;
      return spans.stream().anyMatch(span -> span[0] + margin <= from && span[1] >= to + margin);
    }

    /** This peer's online (or in-room) spans, for a report. */
    String spans(String cid) {
      return (cid.equals(room) ? inRoom : online)
          .stream()
              .map(s -> "[" + s[0] + ", " + (s[1] == Long.MAX_VALUE ? "on" : s[1]) + "]")
              .toList()
              .toString();
    }

    /**
     * One message every {@code interval} to {@code cids} in turn while sending is on; each until it
     * has its answer.
     */
    void send(List<String> cids, Duration interval) {
      for (int k = 0; sending && !closed; k++) {
        int n = sequence.getAndIncrement();
        String cid = cids.get(k % cids.size());
        Message message = new Message(id, cid, id + "#" + n, id + "-dt-" + n);
        unfinished.add(message);
        deliver(message);
        unfinished.remove(message);
        sleep(interval.toMillis());
      }
    }

    /**
     * Sends until acked, resending with the same dt after a refusal or a lost answer (at most 20
     * attempts).
     */
    private void deliver(Message message) {
      for (int attempt = 0; attempt < 20 && !closed; attempt++) {
        ImClient on = client;
        if (on == null || !on.isOpen()) {
          sleep(200);
          continue;
        }
        long start = System.currentTimeMillis();
        int from = Math.floorMod(node, nodes.get().size());
        long serverTime = 0;
        String outcome;
        try {
          GenericCommand reply =
              on.call(
                  GenericCommand.newBuilder()
                      .setCmd(CommandType.direct)
                      .setPeerId(id)
                      .setDirectMessage(
                          DirectCommand.newBuilder()
                              .setCid(message.cid())
                              .setMsg(payload(message.text()))
                              .setDt(message.dt())),
                  SEND_TIMEOUT);
          if (reply.getCmd() == CommandType.ack && !reply.getAckMessage().hasCode()) {
            outcome = "acked";
            serverTime = reply.getAckMessage().getT();
            String previous = ackedIds.putIfAbsent(message.text(), reply.getAckMessage().getUid());
            if (previous != null && !previous.equals(reply.getAckMessage().getUid())) {
              throw new AssertionError(
                  "a resend of "
                      + message
                      + " got a second id: "
                      + previous
                      + " then "
                      + reply.getAckMessage().getUid());
            }
            ackedAt.putIfAbsent(message.text(), System.currentTimeMillis());
            storedAt.putIfAbsent(message.text(), serverTime);
            acked.put(message.text(), message);
          } else {
            int code =
                reply.hasAckMessage() && reply.getAckMessage().hasCode()
                    ? reply.getAckMessage().getCode()
                    : reply.hasErrorMessage() ? reply.getErrorMessage().getCode() : -1;
            outcome = "refused " + code;
          }
        } catch (ImClient.TimedOut e) {
          outcome = "no answer";
        } catch (RuntimeException e) {
          outcome = "connection lost";
        }
        attempts.add(
            new Attempt(
                message, outcome, System.currentTimeMillis() - start, start, from, serverTime));
        if (outcome.equals("acked")) {
          return;
        }
        sleep(500);
      }
    }

    /**
     * Sends {@code text} with token {@code dt} to {@code cid} until it is acknowledged (at most
     * {@code timeout}), outside the recorded traffic; returns the message id.
     */
    String sendUntilAcked(String cid, String text, String dt, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      String last = "nothing";
      while (System.nanoTime() < deadline) {
        ImClient on = client;
        if (on != null && on.isOpen()) {
          try {
            GenericCommand reply =
                on.call(
                    GenericCommand.newBuilder()
                        .setCmd(CommandType.direct)
                        .setPeerId(id)
                        .setDirectMessage(
                            DirectCommand.newBuilder().setCid(cid).setMsg(payload(text)).setDt(dt)),
                    SEND_TIMEOUT);
            if (reply.getCmd() == CommandType.ack && !reply.getAckMessage().hasCode()) {
              return reply.getAckMessage().getUid();
            }
            last = reply.toString();
          } catch (RuntimeException e) {
            last = e.toString();
          }
        }
        sleep(500);
      }
      throw new AssertionError(id + " could not send " + text + " within " + timeout + ": " + last);
    }

    /**
     * Every message of {@code cid} in history, read through {@code logs} pages of 1000, newest
     * first.
     */
    Set<String> history(String cid) {
      Set<String> texts = new java.util.HashSet<>();
      long before = Long.MAX_VALUE;
      while (true) {
        LogsCommand.Builder logs = LogsCommand.newBuilder().setCid(cid).setLimit(1000);
        if (before != Long.MAX_VALUE) {
          logs.setT(before);
        }
        GenericCommand page = logsPage(logs);
        List<io.parley.protocol.wire.LogItem> items = page.getLogsMessage().getLogsList();
        items.forEach(item -> texts.add(textOf(item.getData())));
        if (items.size() < 1000) {
          return texts;
        }
        before =
            items.stream()
                .mapToLong(io.parley.protocol.wire.LogItem::getTimestamp)
                .min()
                .orElseThrow();
      }
    }

    /**
     * One {@code logs} page. A refusal ("history unavailable, retry", 4xxx) is retried as an app
     * would, for at most {@link #HISTORY_PATIENCE}: it must not read as an empty history, which
     * would count every message as missing.
     */
    private GenericCommand logsPage(LogsCommand.Builder logs) {
      long deadline = System.nanoTime() + HISTORY_PATIENCE.toNanos();
      while (true) {
        GenericCommand page =
            client.call(
                GenericCommand.newBuilder()
                    .setCmd(CommandType.logs)
                    .setPeerId(id)
                    .setLogsMessage(logs),
                SEND_TIMEOUT);
        if (page.getCmd() == CommandType.logs) {
          return page;
        }
        historyRefusals.incrementAndGet();
        System.out.println(
            id
                + ": logs of "
                + (logs.getCid().equals(room) ? "its chatroom" : "a conversation")
                + " refused, retrying: "
                + page.toString().replace('\n', ' '));
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              id + " could not read history within " + HISTORY_PATIENCE + ": " + page);
        }
        sleep(1000);
      }
    }

    /**
     * Waits until this peer is online again and back in its chatroom, at most {@code timeout}: a
     * chatroom's history is for who is in the room (4312 before the rejoin).
     */
    void awaitOnline(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (client == null || !client.isOpen() || awaySince != 0 || room != null && !inRoomNow()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(id + " not back online within " + timeout);
        }
        sleep(100);
      }
    }

    @Override
    public String toString() {
      return id;
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * A text message as the SDKs send it ({@code _lctype} -1), so the JS SDK client reads it as text.
   */
  static String payload(String text) {
    return JSON.createObjectNode().put("_lctype", -1).put("_lctext", text).toString();
  }

  /** The text of a stored or pushed payload. */
  static String textOf(String data) {
    try {
      return JSON.readTree(data).path("_lctext").asText(data);
    } catch (java.io.IOException e) {
      return data;
    }
  }

  /**
   * The text of every row stored for {@code cid}, read from Cassandra: a text twice is a message
   * stored twice.
   */
  List<String> storedTexts(String cid) {
    return io.parley.node.testing.StoredMessages.rows(contactPoint, APP, cid).stream()
        .map(Traffic::textOf)
        .toList();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static <T> List<T> all(Collection<T> items) {
    return List.copyOf(items);
  }
}
