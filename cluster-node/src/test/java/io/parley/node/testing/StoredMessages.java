package io.parley.node.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads the message table of a test Cassandra directly, as an operator would check it. */
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
    return rows(SharedCassandra.contactPoint(), appId, cid);
  }

  /**
   * As {@link #rows(String, String)}, in the Cassandra at {@code contactPoint} (the run's
   * keyspace).
   */
  public static List<String> rows(String contactPoint, String appId, String cid) {
    try (CqlSession session = Cql.connect(contactPoint)) {
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

  /**
   * Deletes every stored message of {@code cid} behind the node's back: what is delivered
   * afterwards can only come from the node's memory.
   */
  public static void deleteAll(String appId, String cid) {
    try (CqlSession session = Cql.connect()) {
      Set<Integer> months = new HashSet<>();
      for (Row row :
          session.execute(
              "SELECT month FROM "
                  + SharedCassandra.keyspace()
                  + ".conversation_messages WHERE app_id = ? AND cid = ? ALLOW FILTERING",
              appId,
              cid)) {
        months.add(row.getInt("month"));
      }
      for (int month : months) {
        session.execute(
            "DELETE FROM "
                + SharedCassandra.keyspace()
                + ".conversation_messages WHERE app_id = ? AND cid = ? AND month = ?",
            appId,
            cid,
            month);
      }
    }
  }
}
