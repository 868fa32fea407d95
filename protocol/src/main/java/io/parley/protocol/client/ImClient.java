package io.parley.protocol.client;

import io.parley.protocol.Codecs;
import io.parley.protocol.CommandCodec;
import io.parley.protocol.Frame;
import io.parley.protocol.Subprotocol;
import io.parley.protocol.wire.GenericCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small LeanCloud IM client on {@link java.net.http.WebSocket}, for Parley's own tests and tools
 * (not an SDK).
 *
 * <p>Requests get serial ids {@code i} = 1, 2, 3… and complete with the frame carrying the same
 * {@code i} (an {@code error} reply completes normally: inspect it). Every other inbound frame —
 * pushes, and replies whose {@code i} nobody waits for — is queued in arrival order for {@link
 * #nextPush}/{@link #pollPush}. Fragmented messages are reassembled by {@link InboundListener}; the
 * commands to send are built by {@link Commands}. Safe for one test thread plus the WebSocket
 * listener thread; sends are serialized.
 *
 * <p>Failures are unchecked: {@link UncheckedIOException} for a failed connect (its cause is the
 * {@link java.net.http.WebSocketHandshakeException} for HTTP-level rejections), {@link TimedOut}
 * for timeouts, {@link IllegalStateException} for a closed connection or an undecodable inbound
 * frame.
 */
public final class ImClient implements AutoCloseable {

  /** How the subprotocol is offered during the handshake (docs/protocol.md §1.4 rule 1). */
  public enum OfferMode {
    /** {@code Sec-WebSocket-Protocol: <id>} (JS, Java, .NET desktop). */
    HEADER,
    /** {@code ?subprotocol=<id>} appended to the URL, no header (.NET Unity/Portable clients). */
    QUERY,
    /** Neither (.NET NetCore, legacy JS v2). */
    NONE
  }

  /**
   * Close code and reason of the server's close frame, or 1006 and the error of an abnormal
   * termination.
   */
  public record CloseStatus(int code, String reason) {
    public static final int ABNORMAL = 1006;

    public boolean abnormal() {
      return code == ABNORMAL;
    }
  }

  /** A wait that ran out of time. */
  public static final class TimedOut extends RuntimeException {
    public TimedOut(String message) {
      super(message);
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

  private final Subprotocol protocol;
  private final CommandCodec codec;
  private final InboundListener listener;
  private final WebSocket webSocket;
  private final AtomicInteger nextI = new AtomicInteger(1);
  private final Map<Integer, CompletableFuture<GenericCommand>> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<InboundListener.Inbound> pushes = new LinkedBlockingQueue<>();
  private final Object sendLock = new Object();

  private ImClient(
      Subprotocol protocol, CommandCodec codec, InboundListener listener, WebSocket webSocket) {
    this.protocol = protocol;
    this.codec = codec;
    this.listener = listener;
    this.webSocket = webSocket;
  }

  // ------------------------------------------------------------------------------------------------ connect

  /**
   * Connects and completes the WebSocket handshake, offering {@code protocol} as {@code mode} says.
   */
  public static ImClient connect(URI uri, Subprotocol protocol, OfferMode mode, Duration timeout) {
    return connect(uri, protocol, mode, timeout, Map.of());
  }

  /**
   * As {@link #connect(URI, Subprotocol, OfferMode, Duration)}, with extra request headers (e.g.
   * Origin).
   */
  public static ImClient connect(
      URI uri,
      Subprotocol protocol,
      OfferMode mode,
      Duration timeout,
      Map<String, String> headers) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(mode, "mode");
    CommandCodec codec = Codecs.forSubprotocol(protocol);
    InboundListener listener = new InboundListener(codec);
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(timeout);
    headers.forEach(builder::header);
    URI target = uri;
    Optional<String> id = protocol.id();
    if (id.isPresent() && mode == OfferMode.HEADER) {
      builder.subprotocols(id.get());
    } else if (id.isPresent() && mode == OfferMode.QUERY) {
      target = withQueryParameter(uri, "subprotocol", id.get());
    }
    WebSocket webSocket;
    CompletableFuture<WebSocket> handshake = builder.buildAsync(target, listener);
    try {
      webSocket = handshake.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new UncheckedIOException("WebSocket connect to " + target + " failed: " + io, io);
      }
      throw new IllegalStateException(
          "WebSocket connect to " + target + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      handshake.thenAccept(WebSocket::abort); // do not leak a connection that completes later
      throw new TimedOut("WebSocket connect to " + target + " timed out after " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting", e);
    }
    ImClient client = new ImClient(protocol, codec, listener, webSocket);
    listener.attach(client);
    return client;
  }

  static URI withQueryParameter(URI uri, String name, String value) {
    String text = uri.toString();
    int hash = text.indexOf('#');
    String fragment = hash < 0 ? "" : text.substring(hash);
    String base = hash < 0 ? text : text.substring(0, hash);
    String separator = uri.getRawQuery() == null ? "?" : "&";
    return URI.create(base + separator + name + "=" + value + fragment);
  }

  /** The subprotocol whose codec this client uses. */
  public Subprotocol protocol() {
    return protocol;
  }

  /** The subprotocol the server put in {@code Sec-WebSocket-Protocol}, if any. */
  public Optional<String> acceptedSubprotocol() {
    String accepted = webSocket.getSubprotocol();
    return accepted == null || accepted.isEmpty() ? Optional.empty() : Optional.of(accepted);
  }

  // ------------------------------------------------------------------------------------------------ sending

  /**
   * Sets the next serial id on {@code command} (1, 2, 3…), sends it and completes with the inbound
   * frame that carries the same {@code i} — including an {@code error} reply. The future fails if
   * the connection closes first; it has no timeout of its own (see {@link #call}).
   */
  public CompletableFuture<GenericCommand> request(GenericCommand.Builder command) {
    int i = nextI.getAndIncrement();
    CompletableFuture<GenericCommand> reply = new CompletableFuture<>();
    pending.put(i, reply);
    CloseStatus closed = listener.closeStatus.getNow(null);
    if (closed != null) {
      pending.remove(i);
      reply.completeExceptionally(closedException(closed));
      return reply;
    }
    try {
      send(command.setI(i).build());
    } catch (RuntimeException e) {
      pending.remove(i);
      reply.completeExceptionally(e);
    }
    return reply;
  }

  /**
   * {@link #request} and wait for the reply. After a timeout the request is forgotten: a late reply
   * shows up as a push.
   */
  public GenericCommand call(GenericCommand.Builder command, Duration timeout) {
    CompletableFuture<GenericCommand> reply = request(command);
    try {
      return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.remove(command.getI());
      throw new TimedOut("no reply within " + timeout + " to " + oneLine(command.build()));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Sends a command as is (no {@code i} handling). */
  public void send(GenericCommand command) {
    sendFrame(codec.encode(command));
  }

  /** Sends a raw frame, e.g. garbage for bad-input tests. */
  public void sendFrame(Frame frame) {
    synchronized (sendLock) {
      CompletableFuture<WebSocket> sent;
      if (frame instanceof Frame.Text text) {
        sent = webSocket.sendText(text.text(), true);
      } else if (frame instanceof Frame.Binary binary) {
        sent = webSocket.sendBinary(ByteBuffer.wrap(binary.bytes()), true);
      } else {
        throw new IllegalArgumentException("no frame");
      }
      await(sent, "send");
    }
  }

  /**
   * Sends a WebSocket ping and waits for the matching pong.
   *
   * @return false if no pong arrived within {@code timeout}
   */
  public boolean ping(Duration timeout) {
    byte[] payload = new byte[8];
    ThreadLocalRandom.current().nextBytes(payload);
    CompletableFuture<byte[]> pong = new CompletableFuture<>();
    listener.pongWaiters.put(ByteBuffer.wrap(payload), pong);
    try {
      synchronized (sendLock) {
        await(webSocket.sendPing(ByteBuffer.wrap(payload)), "ping");
      }
      pong.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      listener.pongWaiters.remove(ByteBuffer.wrap(payload));
    }
  }

  /** Number of pong frames received so far (solicited or not). */
  public int pongsReceived() {
    return listener.pongs.get();
  }

  private void await(CompletableFuture<?> future, String what) {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new TimedOut(what + " did not complete within 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  // ------------------------------------------------------------------------------------------------ receiving

  /** The next push (or unclaimed reply) in arrival order. */
  public GenericCommand nextPush(Duration timeout) {
    return pollPush(timeout)
        .orElseThrow(() -> new TimedOut("no push within " + timeout + describeClose()));
  }

  /** The next push, or empty if none arrives within {@code timeout}. */
  public Optional<GenericCommand> pollPush(Duration timeout) {
    InboundListener.Inbound inbound;
    try {
      inbound = pushes.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (inbound == null) {
      return Optional.empty();
    }
    if (inbound instanceof InboundListener.Undecodable undecodable) {
      throw new IllegalStateException(
          "server sent an undecodable "
              + undecodable.frame()
              + ": "
              + undecodable.error().getMessage(),
          undecodable.error());
    }
    return Optional.of(((InboundListener.Decoded) inbound).command());
  }

  /**
   * Waits for the connection to end: the server's close code and reason, or 1006 for an abnormal
   * end.
   */
  public CloseStatus awaitClose(Duration timeout) {
    try {
      return listener.closeStatus.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new TimedOut("connection still open after " + timeout);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Whether the connection is still open in both directions and the server has not closed it. */
  public boolean isOpen() {
    return !listener.closeStatus.isDone()
        && !webSocket.isInputClosed()
        && !webSocket.isOutputClosed();
  }

  /**
   * Drops the connection without a close handshake, like a client whose network died. Requests
   * still waiting for their reply fail at once, as they do when the server closes the connection
   * (the JDK's WebSocket tells its listener nothing after an abort).
   */
  public void abort() {
    webSocket.abort();
    listener.finish(new CloseStatus(CloseStatus.ABNORMAL, "aborted by client"));
  }

  /**
   * Sends a normal close (1000), waits briefly for the server's close, then drops the connection.
   */
  @Override
  public void close() {
    try {
      if (!webSocket.isOutputClosed()) {
        webSocket
            .sendClose(WebSocket.NORMAL_CLOSURE, "")
            .get(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
      listener.closeStatus.get(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      // best effort
    } finally {
      webSocket.abort();
      listener.finish(new CloseStatus(CloseStatus.ABNORMAL, "closed by client"));
    }
  }

  private String describeClose() {
    CloseStatus status = listener.closeStatus.getNow(null);
    return status == null ? "" : " (connection closed: " + status + ")";
  }

  private static IllegalStateException closedException(CloseStatus status) {
    return new IllegalStateException("connection closed before the reply: " + status);
  }

  void dispatch(InboundListener.Inbound inbound) {
    if (inbound instanceof InboundListener.Decoded command && command.command().hasI()) {
      CompletableFuture<GenericCommand> reply = pending.remove(command.command().getI());
      if (reply != null) {
        reply.complete(command.command());
        return;
      }
    }
    pushes.add(inbound);
  }

  void failPending(CloseStatus status) {
    for (Integer i : List.copyOf(pending.keySet())) {
      CompletableFuture<GenericCommand> reply = pending.remove(i);
      if (reply != null) {
        reply.completeExceptionally(closedException(status));
      }
    }
  }

  private static String oneLine(GenericCommand command) {
    return command.toString().replace('\n', ' ').trim();
  }

  @Override
  public String toString() {
    return "ImClient["
        + protocol
        + ", accepted="
        + acceptedSubprotocol().orElse("-")
        + ", open="
        + isOpen()
        + "]";
  }
}
