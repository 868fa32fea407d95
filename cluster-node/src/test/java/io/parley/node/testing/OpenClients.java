package io.parley.node.testing;

import io.parley.protocol.Subprotocol;
import io.parley.protocol.client.ImClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The clients a test opens, closed after each test, and client ids unique to this test class's run.
 *
 * <pre>{@code
 * @RegisterExtension final OpenClients clients = new OpenClients(CLUSTER::first, APP, WAIT);
 * ImClient tom = clients.login("tom");                        // as clients.id("tom"), on node 0
 * ImClient jerry = clients.login("jerry", CLUSTER.second());  // on another node
 * ImClient json = clients.login("bob", CLUSTER.first(), Subprotocol.JSON_3);
 * }</pre>
 *
 * <p>Every login goes through {@link TestClients#open}: connect, {@code session/open}, fail unless
 * opened.
 */
public final class OpenClients implements AfterEachCallback {

  private final List<ImClient> open = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 6);
  private final Supplier<TestNode> node;
  private final String appId;
  private final Duration wait;

  /** Clients of {@code appId} on {@code node} (read at each login: the cluster starts later). */
  public OpenClients(Supplier<TestNode> node, String appId, Duration wait) {
    this.node = node;
    this.appId = appId;
    this.wait = wait;
  }

  /** Clients whose node, app and wait each login names. */
  public OpenClients() {
    this(
        () -> {
          throw new IllegalStateException("no default node: name it in login(...)");
        },
        null,
        null);
  }

  /** The suffix that makes ids unique to this run. */
  public String run() {
    return run;
  }

  /** {@code name} made unique to this run, as {@link #login} logs in. */
  public String id(String name) {
    return name + "-" + run;
  }

  /** A protobuf (v3) client logged in as {@link #id}({@code name}) on the default node. */
  public ImClient login(String name) {
    return login(name, node.get());
  }

  /** A protobuf (v3) client logged in as {@link #id}({@code name}) on {@code on}. */
  public ImClient login(String name, TestNode on) {
    return login(name, on, Subprotocol.PROTOBUF_3);
  }

  /** A client on {@code protocol} logged in as {@link #id}({@code name}) on {@code on}. */
  public ImClient login(String name, TestNode on, Subprotocol protocol) {
    return TestClients.open(on, protocol, appId, id(name), open, wait).client();
  }

  /** A protobuf (v3) client logged in as exactly {@code peerId} of {@code app} (default node). */
  public ImClient loginAs(String app, String peerId) {
    return TestClients.login(node.get(), app, peerId, open, wait);
  }

  /** A protobuf (v3) client logged in as {@link #id}({@code name}) on {@code node}. */
  public ImClient login(TestNode node, String appId, String name, Duration wait) {
    return TestClients.login(node, appId, id(name), open, wait);
  }

  /** A client opened elsewhere, closed with the others. */
  public ImClient add(ImClient client) {
    open.add(client);
    return client;
  }

  /** Forgets {@code client} (closed or aborted by the test itself). */
  public void remove(ImClient client) {
    open.remove(client);
  }

  /** Closes every client opened so far (also done after each test). */
  public void closeAll() {
    open.forEach(ImClient::close);
    open.clear();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    closeAll();
  }
}
