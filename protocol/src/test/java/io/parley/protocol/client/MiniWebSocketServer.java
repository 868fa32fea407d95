package io.parley.protocol.client;

import io.parley.protocol.Frame;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Just enough of an RFC 6455 server, on a plain socket, to exercise {@link ImClient} without the
 * real server: one connection at a time, handshake, frames in both directions, ping/pong and close.
 * Test code only.
 */
final class MiniWebSocketServer implements AutoCloseable {

  /** What the server does with each data message of a connection. */
  interface Handler {
    void onMessage(Connection connection, Frame frame) throws IOException;
  }

  private final ServerSocket serverSocket;
  private final Handler handler;
  private final String echoedProtocol;
  final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();

  /**
   * @param echoedProtocol the subprotocol to answer when the client offered one, or null for none
   */
  MiniWebSocketServer(String echoedProtocol, Handler handler) throws IOException {
    this.serverSocket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    this.handler = handler;
    this.echoedProtocol = echoedProtocol;
    Thread acceptor = new Thread(this::acceptLoop, "mini-ws-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI uri(String pathAndQuery) {
    return URI.create("ws://127.0.0.1:" + serverSocket.getLocalPort() + pathAndQuery);
  }

  private void acceptLoop() {
    while (!serverSocket.isClosed()) {
      try {
        Socket socket = serverSocket.accept();
        Connection connection = new Connection(socket);
        Thread reader = new Thread(connection::run, "mini-ws-conn");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    serverSocket.close();
  }

  final class Connection {
    private final Socket socket;
    private final OutputStream out;
    volatile String requestTarget;
    final Map<String, String> headers = new LinkedHashMap<>();
    final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
    volatile int pings;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
    }

    private void run() {
      try (socket) {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        handshake(in);
        connections.add(this);
        readLoop(in);
      } catch (IOException e) {
        // connection gone
      }
    }

    private void handshake(InputStream in) throws IOException {
      String requestLine = readLine(in);
      requestTarget = requestLine.split(" ")[1];
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      String accept;
      try {
        byte[] digest =
            MessageDigest.getInstance("SHA-1")
                .digest(
                    (headers.get("sec-websocket-key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                        .getBytes(StandardCharsets.US_ASCII));
        accept = Base64.getEncoder().encodeToString(digest);
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IOException(e);
      }
      StringBuilder response =
          new StringBuilder(
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  + "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                  + accept
                  + "\r\n");
      if (echoedProtocol != null && headers.containsKey("sec-websocket-protocol")) {
        response.append("Sec-WebSocket-Protocol: ").append(echoedProtocol).append("\r\n");
      }
      response.append("\r\n");
      synchronized (out) {
        out.write(response.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }

    private static String readLine(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("eof in handshake");
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.US_ASCII);
    }

    private void readLoop(DataInputStream in) throws IOException {
      ByteArrayOutputStream message = new ByteArrayOutputStream();
      int messageOpcode = 0;
      while (true) {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        long length = b1 & 0x7f;
        if (length == 126) {
          length = in.readUnsignedShort();
        } else if (length == 127) {
          length = in.readLong();
        }
        byte[] mask = new byte[4];
        if ((b1 & 0x80) != 0) {
          in.readFully(mask);
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i % 4];
        }
        switch (opcode) {
          case 0x8 -> {
            int code =
                payload.length >= 2 ? ByteBuffer.wrap(payload, 0, 2).getShort() & 0xffff : 1005;
            closeCodes.add(code);
            sendFrame(0x8, payload, true);
            return;
          }
          case 0x9 -> {
            pings++;
            sendFrame(0xA, payload, true);
          }
          case 0xA -> {}
          default -> {
            if (opcode != 0) {
              messageOpcode = opcode;
            }
            message.write(payload);
            if (fin) {
              byte[] data = message.toByteArray();
              message.reset();
              handler.onMessage(
                  this,
                  messageOpcode == 0x1
                      ? new Frame.Text(new String(data, StandardCharsets.UTF_8))
                      : new Frame.Binary(data));
            }
          }
        }
      }
    }

    void send(Frame frame) throws IOException {
      if (frame instanceof Frame.Text text) {
        sendFrame(0x1, text.text().getBytes(StandardCharsets.UTF_8), true);
      } else {
        sendFrame(0x2, ((Frame.Binary) frame).bytes(), true);
      }
    }

    /** Sends one text message split into {@code parts} fragments. */
    void sendFragmented(String text, int parts) throws IOException {
      byte[] data = text.getBytes(StandardCharsets.UTF_8);
      int step = (data.length + parts - 1) / parts;
      for (int offset = 0, index = 0; offset < data.length; offset += step, index++) {
        byte[] chunk =
            java.util.Arrays.copyOfRange(data, offset, Math.min(data.length, offset + step));
        sendFrame(index == 0 ? 0x1 : 0x0, chunk, offset + step >= data.length);
      }
    }

    void sendPing(byte[] payload) throws IOException {
      sendFrame(0x9, payload, true);
    }

    void close(int code, String reason) throws IOException {
      byte[] reasonBytes = reason.getBytes(StandardCharsets.UTF_8);
      ByteBuffer payload =
          ByteBuffer.allocate(2 + reasonBytes.length).putShort((short) code).put(reasonBytes);
      sendFrame(0x8, payload.array(), true);
    }

    void drop() throws IOException {
      socket.close();
    }

    private void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      frame.write((fin ? 0x80 : 0) | opcode);
      if (payload.length < 126) {
        frame.write(payload.length);
      } else if (payload.length < 65536) {
        frame.write(126);
        frame.write(payload.length >>> 8);
        frame.write(payload.length & 0xff);
      } else {
        frame.write(127);
        frame.writeBytes(ByteBuffer.allocate(8).putLong(payload.length).array());
      }
      frame.writeBytes(payload);
      synchronized (out) {
        out.write(frame.toByteArray());
        out.flush();
      }
    }
  }
}
