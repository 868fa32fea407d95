package io.parley.protocol.client;

import io.parley.protocol.CommandCodec;
import io.parley.protocol.Frame;
import io.parley.protocol.ProtocolException;
import io.parley.protocol.wire.GenericCommand;
import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link ImClient}'s side of the WebSocket: reassembles fragmented messages, decodes them,
 * answers pong waiters and records how the connection ended. Frames are handed to the client in
 * arrival order, buffered until the client is attached (the handshake future completes after {@code
 * onOpen}).
 */
final class InboundListener implements WebSocket.Listener {

  /**
   * An inbound frame that is not a reply to a pending request: a command, or a frame we could not
   * decode.
   */
  sealed interface Inbound {}

  record Decoded(GenericCommand command) implements Inbound {}

  record Undecodable(Frame frame, ProtocolException error) implements Inbound {}

  private final CommandCodec codec;
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  final CompletableFuture<ImClient.CloseStatus> closeStatus = new CompletableFuture<>();
  final Map<ByteBuffer, CompletableFuture<byte[]>> pongWaiters = new ConcurrentHashMap<>();
  final AtomicInteger pongs = new AtomicInteger();

  /** Frames that arrived before {@link #attach} (the handshake future completes after onOpen). */
  private final List<Inbound> early = new ArrayList<>();

  private ImClient client;

  InboundListener(CommandCodec codec) {
    this.codec = codec;
  }

  synchronized void attach(ImClient imClient) {
    client = imClient;
    early.forEach(imClient::dispatch);
    early.clear();
    ImClient.CloseStatus status = closeStatus.getNow(null);
    if (status != null) {
      imClient.failPending(status);
    }
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      Frame frame = new Frame.Text(text.toString());
      text.setLength(0);
      deliver(frame);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    binary.writeBytes(chunk);
    if (last) {
      Frame frame = new Frame.Binary(binary.toByteArray());
      binary.reset();
      deliver(frame);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    byte[] payload = new byte[message.remaining()];
    message.get(payload);
    pongs.incrementAndGet();
    CompletableFuture<byte[]> waiter = pongWaiters.get(ByteBuffer.wrap(payload));
    if (waiter != null) {
      waiter.complete(payload);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    // java.net.http answers pings with pongs itself.
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    finish(new ImClient.CloseStatus(statusCode, reason));
    return null; // java.net.http then replies with a close frame
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    finish(new ImClient.CloseStatus(ImClient.CloseStatus.ABNORMAL, String.valueOf(error)));
  }

  private void deliver(Frame frame) {
    Inbound inbound;
    try {
      inbound = new Decoded(codec.decode(frame));
    } catch (ProtocolException e) {
      inbound = new Undecodable(frame, e);
    }
    synchronized (this) {
      if (client == null) {
        early.add(inbound);
      } else {
        client.dispatch(inbound);
      }
    }
  }

  void finish(ImClient.CloseStatus status) {
    if (closeStatus.complete(status)) {
      pongWaiters
          .values()
          .forEach(w -> w.completeExceptionally(new IllegalStateException("closed")));
      ImClient attached;
      synchronized (this) {
        attached = client;
      }
      if (attached != null) {
        attached.failPending(status);
      }
    }
  }
}
