package io.parley.node.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A plain driver session on the shared test Cassandra, for tests that read or seed tables directly:
 * {@code @RegisterExtension static final Cql CQL = new Cql();} opens it before the class (before
 * its {@code @BeforeAll} methods) and closes it after.
 */
public final class Cql implements BeforeAllCallback, AfterAllCallback {

  private CqlSession session;

  /** A new session on the shared Cassandra; the caller closes it. */
  public static CqlSession connect() {
    return connect(SharedCassandra.contactPoint());
  }

  /**
   * A new session on the Cassandra at {@code contactPoint} ({@code host:port}); the caller closes
   * it.
   */
  public static CqlSession connect(String contactPoint) {
    String[] hostPort = contactPoint.split(":");
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
        .withLocalDatacenter("datacenter1")
        .build();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    session = connect();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (session != null) {
      session.close();
    }
  }

  /** The class's session. */
  public CqlSession session() {
    return session;
  }
}
