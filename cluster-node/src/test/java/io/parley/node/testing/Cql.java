package io.parley.node.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import java.net.InetSocketAddress;

/** A plain driver session on the shared test Cassandra, for tests that read or seed tables directly. */
public final class Cql {

  private Cql() {}

  /** A new session; the caller closes it. */
  public static CqlSession connect() {
    String[] hostPort = SharedCassandra.contactPoint().split(":");
    return CqlSession.builder().addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
        .withLocalDatacenter("datacenter1").build();
  }
}
