package io.parley.deploy.cassandra;

/**
 * Thrown when a local Cassandra cannot be started: a port is taken, the Cassandra classpath is
 * missing, the process died during start-up, or it did not answer CQL in time. The message says
 * which, and for a failed start-up includes the last lines of Cassandra's log.
 */
public class CassandraLaunchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CassandraLaunchException(String message) {
    super(message);
  }

  public CassandraLaunchException(String message, Throwable cause) {
    super(message, cause);
  }
}
