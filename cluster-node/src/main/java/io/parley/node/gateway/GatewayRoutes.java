package io.parley.node.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.node.metrics.NodeMetrics;
import io.parley.node.session.Outbound;
import io.parley.node.session.SessionActor;
import io.parley.node.session.SessionDependencies;
import io.parley.node.settings.NodeSettings;
import io.parley.protocol.ErrorCode;
import io.parley.protocol.Subprotocol;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.StreamSupport;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.AccessControlAllowOrigin;
import org.apache.pekko.http.javadsl.model.headers.HttpOriginRanges;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's HTTP surface: the RTM router ({@code GET /v1/route}, docs/protocol.md §1.1) and the
 * WebSocket endpoint on every other path, with the subprotocol rules of §1.4, and the REST API's
 * routes (built by the caller) for plain HTTP requests. Directives and translation only.
 */
public final class GatewayRoutes extends AllDirectives implements WebSocketSessions {

  static final String ROUTER_PATH = "/v1/route";

  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final SessionDependencies sessionDependencies;
  private final LocalSessions localSessions;
  private final WebSocketStack webSockets;

  /** The REST API's routes ({@code /1.1}, {@code /1.2}), served on this same listener. */
  private final Route api;

  public GatewayRoutes(
      ActorSystem<?> system,
      NodeSettings settings,
      SessionDependencies sessionDependencies,
      LocalSessions localSessions,
      Route api) {
    this.system = system;
    this.api = api;
    this.settings = settings;
    this.sessionDependencies = sessionDependencies;
    this.localSessions = localSessions;
    this.webSockets =
        new WebSocketStack(
            system.classicSystem(),
            settings.session().maxFrameSize(),
            settings.session().frameAssemblyTimeout());
  }

  /**
   * The listener's handler: a WebSocket upgrade (anywhere but the router's path) goes straight to
   * the session stack, the hot path of every login; everything else goes through the route table.
   */
  public org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>
      handler() {
    org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> routes =
        routes().handler(system);
    return request -> {
      Optional<WebSocketUpgrade> upgrade = request.getAttribute(AttributeKeys.webSocketUpgrade);
      if (upgrade.isPresent() && !request.getUri().path().equals(ROUTER_PATH)) {
        return CompletableFuture.completedFuture(
            webSocket(upgrade.get(), request, remoteAddress(request)));
      }
      return routes.apply(request);
    };
  }

  /** HTTP requests other than WebSocket upgrades. */
  public Route routes() {
    return concat(
        path(
            PathMatchers.segment("v1").slash("route"),
            () -> get(() -> extractRequest(this::route))),
        api,
        complete(
            json(StatusCodes.BAD_REQUEST, 400, "expected a WebSocket upgrade or GET /v1/route")));
  }

  private static String remoteAddress(HttpRequest request) {
    return request
        .getAttribute(AttributeKeys.remoteAddress)
        .flatMap(address -> address.getAddress().map(java.net.InetAddress::getHostAddress))
        .orElse("unknown");
  }

  /** The router answer: where the SDK should open its WebSocket. */
  private Route route(HttpRequest request) {
    Optional<String> appId = request.getUri().query().get("appId");
    if (appId.isEmpty() || appId.get().isBlank()) {
      return complete(json(StatusCodes.BAD_REQUEST, 400, "appId is required"));
    }
    if (settings.app(appId.get()).isEmpty()) {
      return complete(
          json(
              StatusCodes.NOT_FOUND,
              ErrorCode.APP_NOT_AVAILABLE.code(),
              ErrorCode.APP_NOT_AVAILABLE.reason() + ": unknown appId " + appId.get()));
    }
    boolean secure =
        request
            .getUri()
            .query()
            .get("secure")
            .map(value -> value.equals("1") || value.equalsIgnoreCase("true"))
            .orElse(arrivedOverTls(request));
    NodeSettings.Gateway gateway = settings.gateway();
    // The raw header: with modeled header parsing off (gateway.conf), Host stays a raw header.
    String host =
        request
            .getHeader("Host")
            .map(h -> h.value().trim())
            .filter(value -> !value.isEmpty())
            .orElse(gateway.interfaceName() + ":" + gateway.port());
    String configured = secure ? gateway.advertisedWssUrl() : gateway.advertisedWsUrl();
    // Without a configured URL, hand out what this listener really speaks: wss only when the
    // request
    // came over TLS (here or at a proxy that says so), since a wss URL to a plain listener can
    // never work.
    String derived = (secure && arrivedOverTls(request) ? "wss://" : "ws://") + host + "/";
    String primary = firstNonBlank(configured, derived);
    String secondary =
        firstNonBlank(secure ? gateway.secondaryWssUrl() : gateway.secondaryWsUrl(), primary);
    String scheme = request.getUri().getScheme();
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("groupId", "g0");
    body.put("groupUrl", scheme + "://" + host + "/v1/route");
    body.put("server", primary);
    body.put("secondary", secondary);
    body.put("ttl", gateway.routerTtl().toSeconds());
    return respondWithHeader(
        AccessControlAllowOrigin.create(HttpOriginRanges.ALL),
        () ->
            complete(
                HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body.toString())));
  }

  /**
   * Offered protocols come from the header, else from {@code ?subprotocol=} (the .NET Unity
   * client), else the legacy JSON rule applies. The chosen protocol is echoed only when the client
   * sent the header. A full node refuses.
   */
  @Override
  public Handshake handshake(List<String> offered, Optional<String> queried) {
    if (localSessions.size() >= settings.limits().connectionsPerNode()) {
      // Bounded: a full node says so (the SDKs retry, and the router may send them elsewhere).
      return new Handshake.Refused(
          503,
          503,
          "this node holds "
              + settings.limits().connectionsPerNode()
              + " connections, its maximum; retry later");
    }
    if (!offered.isEmpty()) {
      return offered.stream()
          .map(Subprotocol::byName)
          .flatMap(Optional::stream)
          .findFirst()
          .<Handshake>map(chosen -> new Handshake.Accepted(chosen, chosen.id().orElseThrow()))
          .orElse(new Handshake.Refused(400, 400, "unsupported subprotocol " + offered));
    }
    if (queried.isPresent()) {
      return Subprotocol.byName(queried.get())
          .<Handshake>map(chosen -> new Handshake.Accepted(chosen, null))
          .orElse(new Handshake.Refused(400, 400, "unsupported subprotocol " + queried.get()));
    }
    return new Handshake.Accepted(Subprotocol.LEGACY, null);
  }

  /**
   * The stream of one accepted connection's session: it starts the session actor when it starts.
   * {@code lastInbound} is the read-idle clock the edge sets on everything the client sends.
   */
  @Override
  public org.apache.pekko.stream.javadsl.Flow<SessionActor.Inbound, Outbound, NotUsed> session(
      Subprotocol subprotocol, String remoteAddress, AtomicLong lastInbound) {
    NodeMetrics.get(system).connectionOpened();
    return org.apache.pekko.stream.javadsl.Flow.fromGraph(
        new ConnectionFlow(
            system,
            out ->
                SessionActor.create(
                    sessionDependencies, subprotocol, out, lastInbound, remoteAddress),
            settings.session().outboundBuffer(),
            remoteAddress,
            localSessions));
  }

  @Override
  public ActorRef<SessionActor.Command> start(
      Subprotocol subprotocol,
      String remoteAddress,
      AtomicLong lastInbound,
      ActorRef<Outbound> out) {
    NodeMetrics.get(system).connectionOpened();
    return ConnectionFlow.spawn(
        system,
        SessionActor.create(sessionDependencies, subprotocol, out, lastInbound, remoteAddress),
        localSessions);
  }

  @Override
  public void ended(ActorRef<SessionActor.Command> session) {
    localSessions.remove(session);
  }

  @Override
  public int outboundBuffer() {
    return settings.session().outboundBuffer();
  }

  private HttpResponse webSocket(
      WebSocketUpgrade upgrade, HttpRequest request, String remoteAddress) {
    List<String> offered =
        StreamSupport.stream(upgrade.getRequestedProtocols().spliterator(), false).toList();
    Handshake handshake = handshake(offered, queryParameter(request, "subprotocol"));
    if (handshake instanceof Handshake.Refused refused) {
      return json(StatusCodes.get(refused.status()), refused.code(), refused.error());
    }
    Handshake.Accepted accepted = (Handshake.Accepted) handshake;
    AtomicLong lastInbound = new AtomicLong(System.nanoTime());
    return webSockets.handle(
        upgrade,
        session(accepted.subprotocol(), remoteAddress, lastInbound),
        accepted.echo(),
        lastInbound::set);
  }

  /**
   * Lenient query parsing: the .NET client may append {@code ?subprotocol=} to a URL that has a
   * query.
   */
  static Optional<String> queryParameter(HttpRequest request, String name) {
    return queryParameter(request.getUri().rawQueryString().orElse(""), name);
  }

  /** Compiled once: {@code String.split("[?&]")} compiles its regex on every call. */
  private static final java.util.regex.Pattern QUERY_SEPARATORS =
      java.util.regex.Pattern.compile("[?&]");

  static Optional<String> queryParameter(String rawQuery, String name) {
    return Arrays.stream(QUERY_SEPARATORS.split(rawQuery))
        .filter(pair -> pair.startsWith(name + "="))
        .map(
            pair ->
                java.net.URLDecoder.decode(
                    pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8))
        .filter(value -> !value.isBlank())
        .findFirst();
  }

  private static boolean arrivedOverTls(HttpRequest request) {
    return request.getUri().getScheme().equals("https")
        || request
            .getHeader("X-Forwarded-Proto")
            .map(h -> h.value().equalsIgnoreCase("https"))
            .orElse(false);
  }

  /** An HTTP error in the REST API's shape: {@code {"code": n, "error": "..."}}. */
  static HttpResponse json(StatusCode status, int code, String error) {
    return HttpResponse.create()
        .withStatus(status)
        .addHeader(AccessControlAllowOrigin.create(HttpOriginRanges.ALL))
        .withEntity(ContentTypes.APPLICATION_JSON, jsonBody(code, error));
  }

  /** The body of an HTTP error: {@code {"code": n, "error": "..."}}. */
  static String jsonBody(int code, String error) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("code", code);
    body.put("error", error);
    return body.toString();
  }

  private static String firstNonBlank(String configured, String fallback) {
    return configured == null || configured.isBlank() ? fallback : configured;
  }
}
