package io.parley.node;

import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import com.datastax.oss.driver.internal.core.auth.PlainTextAuthProvider;

/**
 * The driver's plain-text login (Cassandra's PasswordAuthenticator) from {@code
 * datastax-java-driver.advanced.auth-provider.username/password}, which may be empty: then no login
 * is configured, a Cassandra without authentication is used without the driver's warning on every
 * connection, and one that asks for a login fails with a message naming the variables to set.
 */
public final class CassandraAuthProvider extends PlainTextAuthProvider {

  private final DriverContext context;

  public CassandraAuthProvider(DriverContext context) {
    super(context);
    this.context = context;
  }

  private boolean configured() {
    DriverExecutionProfile profile = context.getConfig().getDefaultProfile();
    return !profile.getString(DefaultDriverOption.AUTH_PROVIDER_USER_NAME, "").isEmpty();
  }

  @Override
  protected Credentials getCredentials(EndPoint endPoint, String serverAuthenticator) {
    if (!configured()) {
      throw new AuthenticationException(
          endPoint,
          "Cassandra asks for a login ("
              + serverAuthenticator
              + "): set PARLEY_CASSANDRA_USERNAME and "
              + "PARLEY_CASSANDRA_PASSWORD (datastax-java-driver.advanced.auth-provider.username/password)");
    }
    return super.getCredentials(endPoint, serverAuthenticator);
  }

  @Override
  public void onMissingChallenge(EndPoint endPoint) {
    if (configured()) {
      super.onMissingChallenge(
          endPoint); // a login was configured but the server did not ask: worth a warning
    }
  }
}
