package io.parley.deploy.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The readiness probe: a real CQL native-protocol handshake (OPTIONS, protocol v4, answered by
 * SUPPORTED), optionally over TLS. An open port is not enough: Cassandra binds the CQL port before
 * it can serve, so {@link LocalCassandra#start()} waits for this answer, and {@code status} reports
 * it.
 */
final class CqlHandshake {

  /** version 0x04 (request), flags 0, stream id 0x0001, opcode 0x05 OPTIONS, body length 0. */
  private static final byte[] OPTIONS = {0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00};

  private static final int RESPONSE_V4 = 0x84;
  private static final int SUPPORTED = 0x06;
  private static final int MAX_BODY = 1 << 20;

  private CqlHandshake() {}

  /**
   * True if {@code host:port} answers OPTIONS with SUPPORTED within {@code timeout}.
   *
   * @param clientTls the TLS of the CQL port, or null for plain text
   */
  static boolean answers(
      String host, int port, Duration timeout, LocalCassandra.ClientTls clientTls) {
    SSLSocketFactory tls = clientTls == null ? null : trusting(clientTls);
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(host, port), millis);
      plain.setSoTimeout(millis);
      Socket socket = tls == null ? plain : tls.createSocket(plain, host, port, true);
      OutputStream out = socket.getOutputStream();
      out.write(OPTIONS);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] header = in.readNBytes(9);
      if (header.length < 9) {
        return false;
      }
      int version = header[0] & 0xFF;
      int opcode = header[4] & 0xFF;
      int length =
          ((header[5] & 0xFF) << 24)
              | ((header[6] & 0xFF) << 16)
              | ((header[7] & 0xFF) << 8)
              | (header[8] & 0xFF);
      if (version != RESPONSE_V4 || opcode != SUPPORTED || length < 0 || length > MAX_BODY) {
        return false;
      }
      return in.readNBytes(length).length == length;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * What the probe trusts: the certificate in Cassandra's own keystore (the probe only checks that
   * the Cassandra it started answers).
   *
   * @throws CassandraLaunchException if the keystore cannot be opened
   */
  static SSLSocketFactory trusting(LocalCassandra.ClientTls tls) {
    try {
      KeyStore store = KeyStore.getInstance(tls.keystore().toFile(), tls.password().toCharArray());
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (Exception e) {
      throw new CassandraLaunchException(
          "Cannot open the CQL TLS keystore " + tls.keystore() + ": " + e, e);
    }
  }
}
