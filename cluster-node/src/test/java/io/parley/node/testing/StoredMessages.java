package io.parley.node.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads the message table of the shared test Cassandra directly, as an operator would check it. */
public final class StoredMessages {

  private StoredMessages() {}

  /** The texts of every message stored for {@code cid} of {@code appId}. */
  public static Set<String> texts(String appId, String cid) {
    return new HashSet<>(rows(appId, cid));
  }

  /**
   * The text of every row stored for {@code cid} of {@code appId}: a text twice is a message stored
   * twice.
   */
  public static List<String> rows(String appId, String cid) {
    String[] hostPort = SharedCassandra.contactPoint().split(":");
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
            .withLocalDatacenter("datacenter1")
            .build()) {
      List<String> texts = new ArrayList<>();
      for (Row row :
          session.execute(
              "SELECT data FROM "
                  + SharedCassandra.keyspace()
                  + ".conversation_messages WHERE app_id = ? AND cid = ? ALLOW FILTERING",
              appId,
              cid)) {
        texts.add(row.getString("data"));
      }
      return texts;
    }
  }
}
