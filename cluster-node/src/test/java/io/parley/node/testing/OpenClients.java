package io.parley.node.testing;

import io.parley.protocol.client.ImClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The clients a test opens, closed after each test, and client ids unique to this test class's run:
 * {@code @RegisterExtension final OpenClients clients = new OpenClients();} then {@code
 * clients.login(node, APP, "tom", WAIT)}, which logs in as {@code clients.id("tom")}.
 */
public final class OpenClients implements AfterEachCallback {

  private final List<ImClient> open = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 6);

  /** {@code name} made unique to this run, as {@link #login} logs in. */
  public String id(String name) {
    return name + "-" + run;
  }

  /** A protobuf (v3) client logged in as {@link #id}({@code name}) on {@code node}. */
  public ImClient login(TestNode node, String appId, String name, Duration wait) {
    return TestClients.login(node, appId, id(name), open, wait);
  }

  /** The same with another subprotocol. */
  public ImClient login(
      TestNode node,
      String appId,
      String name,
      io.parley.protocol.Subprotocol protocol,
      Duration wait) {
    return TestClients.login(node, appId, id(name), protocol, open, wait);
  }

  /** A client opened elsewhere, closed with the others. */
  public ImClient add(ImClient client) {
    open.add(client);
    return client;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    open.forEach(ImClient::close);
    open.clear();
  }
}
