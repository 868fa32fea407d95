package io.parley.node.sdk;

import cn.leancloud.AVException;
import cn.leancloud.AVLogger;
import cn.leancloud.Messages;
import cn.leancloud.callback.AVCallback;
import cn.leancloud.core.AVOSCloud;
import cn.leancloud.core.AVOSService;
import cn.leancloud.core.AppConfiguration;
import cn.leancloud.im.AVIMOptions;
import cn.leancloud.im.v2.AVIMClient;
import cn.leancloud.im.v2.AVIMConversation;
import cn.leancloud.im.v2.AVIMException;
import cn.leancloud.im.v2.AVIMMessage;
import cn.leancloud.im.v2.AVIMMessageHandler;
import cn.leancloud.im.v2.AVIMMessageManager;
import cn.leancloud.im.v2.AVIMMessageOption;
import cn.leancloud.im.v2.AVIMTypedMessage;
import cn.leancloud.im.v2.annotation.AVIMMessageField;
import cn.leancloud.im.v2.annotation.AVIMMessageType;
import cn.leancloud.im.v2.callback.AVIMClientCallback;
import cn.leancloud.im.v2.callback.AVIMConversationCallback;
import cn.leancloud.im.v2.callback.AVIMConversationCreatedCallback;
import cn.leancloud.im.v2.callback.AVIMMessagesQueryCallback;
import cn.leancloud.im.v2.messages.AVIMTextMessage;
import cn.leancloud.logging.InternalLogger;
import cn.leancloud.logging.InternalLoggerAdapter;
import cn.leancloud.session.AVConnectionListener;
import cn.leancloud.session.AVConnectionManager;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Drives the official LeanCloud Java SDK ({@code cn.leancloud:realtime-core:6.0.5}) in a plain JVM
 * against a private Parley server, for integration tests.
 *
 * <p>Version 6.0.5 still uses the {@code AV*} class names ({@code AVOSCloud}, {@code AVIMClient},
 * {@code AVIMOptions}); the {@code LeanCloud}/{@code LCIM*} names belong to SDK 8.x. What the SDK
 * does on the wire (verified against a fake server):
 *
 * <ul>
 *   <li>WebSocket upgrade with exactly {@code Sec-WebSocket-Protocol: lc.protobuf2.3} (whatever
 *       {@code setUnreadNotificationEnabled} says); the server <b>must</b> echo {@code
 *       lc.protobuf2.3}, otherwise the client refuses the handshake (close 1002) and the SDK never
 *       retries nor calls back: {@link #connect} then times out.
 *   <li>First frame on every connection: {@code {cmd: login, appId, installationId}} (no {@code i},
 *       no {@code service}). Any reply or none is fine.
 *   <li>{@code session open} carries {@code peerId}, {@code i}, {@code sessionMessage{ua, deviceId,
 *       lastPatchTime, configBitmap=47}} and <b>no {@code appId}</b>.
 *   <li>The SDK never reconnects by itself after a clean server close; it does after a socket error
 *       (3 tries, 2/4/8 s apart) and after {@code goaway} addressed to one of its clients. Re-opens
 *       are then sent with {@code r=true}, the cached {@code st} and no {@code i}.
 *   <li>Through the router it requests {@code GET
 *       {baseUrl}/v1/route?appId=..&installationId=..&secure=1} on every fresh connect, and it
 *       alternates between {@code server} and {@code secondary} on successive connects, so {@code
 *       secondary} must also work.
 * </ul>
 *
 * <p>All SDK state is JVM-global. This class therefore is a static facade; calls are serialised.
 * Both modes ({@link #initDirect} and {@link #initWithRouter}) work one after another in the same
 * JVM: each {@code init*} first calls {@link #reset()}. The REST base URL, however, is fixed by the
 * first {@code init*} of a JVM (the SDK builds its REST client once); only IM/WebSocket traffic
 * follows later changes.
 *
 * <p>SDK log lines go to stderr, one line each, prefixed {@code [lc-sdk]}; pick the level with the
 * system property {@code parley.sdk.logLevel} (OFF, ERROR, WARNING (default), INFO, DEBUG, VERBOSE,
 * ALL), read by every {@code init*}. {@code DEBUG} prints every uplink/downlink command. With
 * {@code -Dparley.sdk.threadDumpOnTimeout=true} a timed-out wait also prints all thread stacks (to
 * tell a silent server from a stuck SDK).
 *
 * <p>{@link #login} first waits until the SDK has finished its own on-open work: opening a client
 * while the SDK is still re-opening its known sessions makes it send a second {@code session open}
 * ({@code r=true}, new {@code i}) for that client.
 *
 * <p>The class can also run as a program in a child JVM, see {@link #main(String[])} (useful when a
 * test needs a JVM-wide setting such as {@code javax.net.ssl.trustStore} for {@code https}/{@code
 * wss}: the SDK uses the JVM's default SSL context for both, and {@code http://}/{@code ws://} URLs
 * are used as given).
 */
public final class LeanCloudJavaSdk {

  /** Per-step timeout of {@link #main(String[])} unless {@code parley.sdk.timeoutMs} is set. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Code reported when the SDK did not answer within the caller's timeout (not a LeanCloud code).
   */
  public static final int CODE_DRIVER_TIMEOUT = -2;

  private static final String DRIVER_LISTENER_ID = "__parley_test_driver__";

  private static final Object LOCK = new Object();
  private static final Set<AVIMClient> LOGGED_IN = new LinkedHashSet<>();
  private static boolean initialised;
  private static String mode = "";
  private static boolean listenerInstalled;
  private static volatile CompletableFuture<Void> socketOpened = new CompletableFuture<>();

  static {
    // The SDK's OkHttp DNS resolver falls back to an HTTP DNS service on a public address when the
    // system resolver
    // fails. Point that fallback at loopback before the SDK reads it (a static final in
    // DNSDetoxicant).
    if (System.getProperty("dnspodHost") == null) {
      System.setProperty("dnspodHost", "127.0.0.1");
    }
  }

  private LeanCloudJavaSdk() {}

  /**
   * A failed SDK operation. {@link #code()} is what the SDK reported: the server's {@code
   * error.code} (e.g. 4102), 124 when the SDK gave up by itself (no reply within {@code
   * AVIMOptions.getTimeoutInSecs()}, 10 s by default, or connection retries exhausted), 999 for a
   * local failure such as "Connection Lost"; or {@link #CODE_DRIVER_TIMEOUT} when the caller's own
   * timeout ran out first.
   */
  public static final class SdkFailure extends AssertionError {
    private static final long serialVersionUID = 1L;
    private final int code;
    private final int appCode;

    SdkFailure(String message, int code, int appCode, Throwable cause) {
      super(message + " (code " + code + (appCode != 0 ? ", appCode " + appCode : "") + ")", cause);
      this.code = code;
      this.appCode = appCode;
    }

    /** LeanCloud error code, or {@link #CODE_DRIVER_TIMEOUT}. */
    public int code() {
      return code;
    }

    /** {@code ErrorCommand.appCode} if the server set one, else 0. */
    public int appCode() {
      return appCode;
    }
  }

  /**
   * Configures the SDK to connect straight to {@code rtmWsUrl} (no router request).
   *
   * @param appId the app id; it is sent only in the {@code login} command and the router query. Any
   *     non-empty string works here (with the SDK's default local cache, which this class turns
   *     off, ids shorter than 8 characters would throw); region suffixes ({@code -MdYXbMMI}, {@code
   *     -9Nh9j0Va}) only pick LeanCloud's default hosts, which are never used once URLs are set.
   * @param appKey the app key (used only for REST request signing)
   * @param apiBaseUrl REST base, {@code http://127.0.0.1:PORT} (scheme, host and port only; no
   *     path)
   * @param rtmWsUrl WebSocket URL, e.g. {@code ws://127.0.0.1:PORT/} (path and query are sent as
   *     given)
   */
  public static void initDirect(String appId, String appKey, String apiBaseUrl, String rtmWsUrl) {
    synchronized (LOCK) {
      init(appId, appKey, apiBaseUrl);
      AVIMOptions.getGlobalOptions().setRtmServer(rtmWsUrl);
      mode = "direct to " + rtmWsUrl;
    }
  }

  /**
   * Configures the SDK to find the WebSocket URL through the RTM router {@code GET
   * {baseUrl}/v1/route?appId=..&installationId=..&secure=1}. {@code baseUrl} also becomes the REST
   * base.
   *
   * @param baseUrl {@code http://127.0.0.1:PORT} (no path: the SDK requests the absolute path
   *     {@code /v1/route})
   */
  public static void initWithRouter(String appId, String appKey, String baseUrl) {
    synchronized (LOCK) {
      init(appId, appKey, baseUrl);
      AVIMOptions.getGlobalOptions().setRtmServer("");
      AVOSCloud.setServer(AVOSService.RTM, baseUrl);
      mode = "via router " + baseUrl + "/v1/route";
    }
  }

  private static void init(String appId, String appKey, String baseUrl) {
    if (appId == null || appId.isEmpty()) {
      throw new IllegalArgumentException("appId must not be empty");
    }
    if (initialised) {
      reset();
    } else {
      // No ./persistFiles, ./data, ... in the working directory (installation id then lives in
      // memory only).
      AppConfiguration.setEnableLocalCache(false);
      AppConfiguration.setLogAdapter(new StderrLogAdapter());
    }
    AVOSCloud.setLogLevel(
        AVLogger.Level.valueOf(System.getProperty("parley.sdk.logLevel", "WARNING")));
    // Freezes API, RTM (router), ENGINE, PUSH and STATS hosts to baseUrl: nothing goes to
    // LeanCloud's hosts.
    AVOSCloud.initialize(appId, appKey, baseUrl);
    if (!listenerInstalled) {
      // Runs at the very end of the SDK's onOpen, after it sent `login` and re-opened its cached
      // sessions.
      AVConnectionManager.getInstance()
          .subscribeDefaultConnectionListener(DRIVER_LISTENER_ID, new SocketWatcher());
      listenerInstalled = true;
    }
    initialised = true;
  }

  /**
   * Opens the SDK's WebSocket if it is not open yet (the SDK does not do this by itself on {@code
   * open}).
   */
  public static void connect(Duration timeout) {
    synchronized (LOCK) {
      requireInit();
      connectLocked(deadline(timeout));
    }
  }

  /** Whether the SDK believes its WebSocket is open. */
  public static boolean isConnected() {
    return AVConnectionManager.getInstance().isConnectionEstablished();
  }

  /**
   * Connects if needed and logs {@code clientId} in ({@code session open}). On failure the client
   * is released locally and an {@link SdkFailure} carrying the LeanCloud code is thrown.
   */
  public static AVIMClient login(String clientId, Duration timeout) {
    synchronized (LOCK) {
      requireInit();
      long deadline = deadline(timeout);
      connectLocked(deadline);
      AVIMClient client = AVIMClient.getInstance(clientId);
      CompletableFuture<AVIMException> done = new CompletableFuture<>();
      client.open(
          new AVIMClientCallback() {
            @Override
            public void done(AVIMClient c, AVIMException e) {
              done.complete(e);
            }
          });
      try {
        AVIMException e = await(done, deadline, "login of " + clientId);
        if (e != null) {
          throw failure("login of " + clientId + " failed: " + e.getMessage(), e);
        }
      } catch (SdkFailure f) {
        releaseLocally(client);
        throw f;
      }
      LOGGED_IN.add(client);
      return client;
    }
  }

  /**
   * Like {@link #login} but expects the server to refuse: returns the LeanCloud code, or throws an
   * {@link AssertionError} if the login succeeded (the client is then logged out again).
   */
  public static int loginExpectingFailure(String clientId, Duration timeout) {
    AVIMClient client;
    try {
      client = login(clientId, timeout);
    } catch (SdkFailure f) {
      if (f.code() == CODE_DRIVER_TIMEOUT) {
        throw f;
      }
      return f.code();
    }
    logout(client, timeout);
    throw new AssertionError("login of " + clientId + " unexpectedly succeeded");
  }

  /** Logs the client out ({@code session close}) and waits for {@code session closed}. */
  public static void logout(AVIMClient client, Duration timeout) {
    synchronized (LOCK) {
      long deadline = deadline(timeout);
      CompletableFuture<AVIMException> done = new CompletableFuture<>();
      client.close(
          new AVIMClientCallback() {
            @Override
            public void done(AVIMClient c, AVIMException e) {
              done.complete(e);
            }
          });
      AVIMException e = await(done, deadline, "logout of " + client.getClientId());
      LOGGED_IN.remove(client);
      if (e != null) {
        throw failure("logout of " + client.getClientId() + " failed: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Drops the WebSocket (TCP close without a close frame, as the SDK does) and forgets, locally
   * only, every client logged in through this class. The server sees the connection vanish, not
   * {@code session close}. Afterwards the next {@link #login} connects afresh (and queries the
   * router again in router mode).
   */
  public static void reset() {
    synchronized (LOCK) {
      if (!initialised) {
        return;
      }
      AVConnectionManager.getInstance().resetConnection();
      // With the socket gone, close() is purely local and completes immediately.
      for (AVIMClient client : new ArrayList<>(LOGGED_IN)) {
        releaseLocally(client);
      }
      LOGGED_IN.clear();
      socketOpened = new CompletableFuture<>();
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  private static void connectLocked(long deadline) {
    if (AVConnectionManager.getInstance().isConnectionEstablished() && socketOpened.isDone()) {
      return;
    }
    CompletableFuture<Void> opened = new CompletableFuture<>();
    socketOpened = opened;
    CompletableFuture<AVException> sdkGaveUp = new CompletableFuture<>();
    AVConnectionManager.getInstance()
        .startConnection(
            new AVCallback<Object>() {
              @Override
              protected void internalDone0(Object o, AVException e) {
                if (e != null) {
                  sdkGaveUp.complete(e);
                }
              }
            });
    CompletableFuture<Object> either = CompletableFuture.anyOf(opened, sdkGaveUp);
    Object result;
    try {
      result = await(either, deadline, "WebSocket connect");
    } catch (SdkFailure f) {
      // The SDK may be stuck in `connecting` forever (e.g. refused handshake); unstick it for the
      // next attempt.
      AVConnectionManager.getInstance().resetConnection();
      throw new SdkFailure(
          "WebSocket connect ("
              + mode
              + ") did not complete; is the server up, does the router "
              + "answer, and does the upgrade answer echo Sec-WebSocket-Protocol: lc.protobuf2.3?",
          CODE_DRIVER_TIMEOUT,
          0,
          f);
    }
    if (result instanceof AVException) {
      AVConnectionManager.getInstance().resetConnection();
      throw failure(
          "the SDK gave up connecting: " + ((AVException) result).getMessage(),
          (AVException) result);
    }
  }

  private static void releaseLocally(AVIMClient client) {
    CompletableFuture<AVIMException> done = new CompletableFuture<>();
    try {
      client.close(
          new AVIMClientCallback() {
            @Override
            public void done(AVIMClient c, AVIMException e) {
              done.complete(e);
            }
          });
      done.get(2, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }

  private static void requireInit() {
    if (!initialised) {
      throw new IllegalStateException("call initDirect(...) or initWithRouter(...) first");
    }
  }

  private static long deadline(Duration timeout) {
    return System.nanoTime() + timeout.toNanos();
  }

  private static <T> T await(CompletableFuture<T> future, long deadline, String what) {
    long left = Math.max(1, deadline - System.nanoTime());
    try {
      return future.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (Boolean.getBoolean("parley.sdk.threadDumpOnTimeout")) {
        StringBuilder dump = new StringBuilder("[lc-sdk] thread dump, " + what + " timed out\n");
        Thread.getAllStackTraces()
            .forEach(
                (thread, stack) -> {
                  dump.append("\"")
                      .append(thread.getName())
                      .append("\" ")
                      .append(thread.getState())
                      .append('\n');
                  for (StackTraceElement element : stack) {
                    dump.append("    at ").append(element).append('\n');
                  }
                });
        System.err.print(dump);
      }
      throw new SdkFailure(what + " timed out", CODE_DRIVER_TIMEOUT, 0, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SdkFailure(what + " interrupted", CODE_DRIVER_TIMEOUT, 0, e);
    } catch (ExecutionException e) {
      throw new SdkFailure(what + " failed: " + e.getCause(), AVException.UNKNOWN, 0, e.getCause());
    }
  }

  private static SdkFailure failure(String message, AVException e) {
    int appCode = e instanceof AVIMException ? ((AVIMException) e).getAppCode() : 0;
    return new SdkFailure(message, e.getCode(), appCode, e);
  }

  /** Learns when the SDK has finished its onOpen work (login sent, cached sessions re-opened). */
  private static final class SocketWatcher implements AVConnectionListener {
    @Override
    public void onWebSocketOpen() {
      socketOpened.complete(null);
    }

    @Override
    public void onWebSocketClose() {}

    @Override
    public void onMessageArriving(
        String peerId, Integer requestKey, Messages.GenericCommand command) {}

    @Override
    public void onError(Integer requestKey, Messages.ErrorCommand errorCommand) {}
  }

  /**
   * SDK logs as single stderr lines (the SDK's default JUL setup prints INFO and above twice, over
   * two lines).
   */
  private static final class StderrLogAdapter extends InternalLoggerAdapter {
    @Override
    public InternalLogger getLogger(String tag) {
      return new InternalLogger() {
        @Override
        protected void internalWriteLog(AVLogger.Level level, String msg) {
          System.err.println(
              "[lc-sdk "
                  + LocalTime.now().truncatedTo(ChronoUnit.MILLIS)
                  + " "
                  + Thread.currentThread().getName()
                  + "] "
                  + level
                  + " "
                  + tag
                  + ": "
                  + msg.replace('\n', ' '));
        }

        @Override
        protected void internalWriteLog(AVLogger.Level level, String msg, Throwable tr) {
          StringWriter trace = new StringWriter();
          tr.printStackTrace(new PrintWriter(trace));
          internalWriteLog(level, msg + " " + trace);
        }

        @Override
        protected void internalWriteLog(AVLogger.Level level, Throwable tr) {
          internalWriteLog(level, "", tr);
        }
      };
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // messaging

  /**
   * The seed's custom typed message ({@code [AVIMTypedMessageTypeInt(2)] Emoji}): type 2 with the
   * field {@code ecode}, plus the common {@code _lctext} and {@code _lcattrs}; the same shape as
   * {@code messages.js}'s {@code Emoji}. Registered by {@link #collectMessages()} (or {@link
   * #registerEmoji()}).
   */
  @AVIMMessageType(type = 2)
  public static class Emoji extends AVIMTypedMessage {
    @AVIMMessageField(name = "_lctext")
    String text;

    @AVIMMessageField(name = "_lcattrs")
    Map<String, Object> attrs;

    @AVIMMessageField(name = "ecode")
    String ecode;

    public String getText() {
      return text;
    }

    public void setText(String text) {
      this.text = text;
    }

    public Map<String, Object> getAttrs() {
      return attrs;
    }

    public void setAttrs(Map<String, Object> attrs) {
      this.attrs = attrs;
    }

    public String getEcode() {
      return ecode;
    }

    public void setEcode(String ecode) {
      this.ecode = ecode;
    }
  }

  private static boolean emojiRegistered;

  /** Registers {@link Emoji} with the SDK's message parser (once per JVM). */
  public static synchronized void registerEmoji() {
    if (!emojiRegistered) {
      AVIMMessageManager.registerAVIMMessageType(Emoji.class);
      emojiRegistered = true;
    }
  }

  /**
   * A message the SDK handed to the application ({@code AVIMMessageHandler.onMessage}), with its
   * receiver.
   */
  public record Received(String clientId, String conversationId, AVIMMessage message) {}

  /**
   * Collects every message the SDK delivers to any client of this JVM (a handler for {@code
   * AVIMMessage.class}, i.e. every class, registered once). Obtain it with {@link
   * #collectMessages()}.
   */
  public static final class MessageCollector extends AVIMMessageHandler {
    private final List<Received> received = new ArrayList<>();

    @Override
    public void onMessage(AVIMMessage message, AVIMConversation conversation, AVIMClient client) {
      synchronized (received) {
        received.add(
            new Received(
                client == null ? null : client.getClientId(),
                conversation == null
                    ? message.getConversationId()
                    : conversation.getConversationId(),
                message));
        received.notifyAll();
      }
    }

    /**
     * Everything received so far by {@code clientId} in {@code conversationId}, in arrival order.
     */
    public List<AVIMMessage> of(String clientId, String conversationId) {
      synchronized (received) {
        return received.stream()
            .filter(r -> clientId.equals(r.clientId()) && conversationId.equals(r.conversationId()))
            .map(Received::message)
            .toList();
      }
    }

    /**
     * Waits until {@code clientId} has {@code count} messages in {@code conversationId}; returns
     * them.
     */
    public List<AVIMMessage> await(
        String clientId, String conversationId, int count, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (received) {
        for (; ; ) {
          List<AVIMMessage> found = of(clientId, conversationId);
          long left = deadline - System.nanoTime();
          if (found.size() >= count || left <= 0) {
            if (found.size() < count) {
              throw new SdkFailure(
                  clientId
                      + " received "
                      + found.size()
                      + " of "
                      + count
                      + " messages in "
                      + conversationId
                      + ": "
                      + found,
                  CODE_DRIVER_TIMEOUT,
                  0,
                  null);
            }
            return found;
          }
          try {
            received.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SdkFailure("interrupted", CODE_DRIVER_TIMEOUT, 0, e);
          }
        }
      }
    }
  }

  private static MessageCollector collector;

  /**
   * The JVM's message collector, registered with the SDK on first use (and {@link Emoji} with it).
   */
  public static synchronized MessageCollector collectMessages() {
    registerEmoji();
    if (collector == null) {
      collector = new MessageCollector();
      AVIMMessageManager.registerMessageHandler(AVIMMessage.class, collector);
    }
    return collector;
  }

  /** {@code client.createConversation(members, name, attributes, false, unique)}, waited for. */
  public static AVIMConversation createConversation(
      AVIMClient client,
      List<String> members,
      String name,
      Map<String, Object> attributes,
      boolean unique,
      Duration timeout) {
    CompletableFuture<Object> done = new CompletableFuture<>();
    client.createConversation(
        members,
        name,
        attributes,
        false,
        unique,
        new AVIMConversationCreatedCallback() {
          @Override
          public void done(AVIMConversation conversation, AVIMException e) {
            done.complete(e != null ? e : conversation);
          }
        });
    Object result = await(done, deadline(timeout), "createConversation by " + client.getClientId());
    if (result instanceof AVIMException e) {
      throw failure("createConversation failed: " + e.getMessage(), e);
    }
    return (AVIMConversation) result;
  }

  /** A text message with optional attributes ({@code _lcattrs}). */
  public static AVIMTextMessage textMessage(String text, Map<String, Object> attributes) {
    AVIMTextMessage message = new AVIMTextMessage();
    message.setText(text);
    if (attributes != null) {
      message.setAttrs(attributes);
    }
    return message;
  }

  /**
   * Sends {@code message} ({@code options} may be null) and waits for the server's ack: the message
   * then carries the server's id and timestamp.
   */
  public static <M extends AVIMMessage> M send(
      AVIMConversation conversation, M message, AVIMMessageOption options, Duration timeout) {
    CompletableFuture<AVIMException> done = new CompletableFuture<>();
    conversation.sendMessage(
        message,
        options,
        new AVIMConversationCallback() {
          @Override
          public void done(AVIMException e) {
            done.complete(e);
          }
        });
    AVIMException e = await(done, deadline(timeout), "send to " + conversation.getConversationId());
    if (e != null) {
      throw failure(
          "send to " + conversation.getConversationId() + " failed: " + e.getMessage(), e);
    }
    return message;
  }

  /**
   * The newest {@code limit} messages of the conversation from the server ({@code logs}), oldest
   * first.
   */
  public static List<AVIMMessage> queryMessages(
      AVIMConversation conversation, int limit, Duration timeout) {
    CompletableFuture<Object> done = new CompletableFuture<>();
    conversation.queryMessagesFromServer(
        limit,
        new AVIMMessagesQueryCallback() {
          @Override
          public void done(List<AVIMMessage> messages, AVIMException e) {
            done.complete(e != null ? e : (messages == null ? List.of() : messages));
          }
        });
    Object result =
        await(done, deadline(timeout), "queryMessages of " + conversation.getConversationId());
    if (result instanceof AVIMException e) {
      throw failure("queryMessages failed: " + e.getMessage(), e);
    }
    @SuppressWarnings("unchecked")
    List<AVIMMessage> messages = (List<AVIMMessage>) result;
    return messages;
  }

  // ------------------------------------------------------------------------------------------------------------

  /**
   * Runs one scenario in this JVM and prints one JSON line to stdout; exit code 0 when every step
   * succeeded.
   *
   * <pre>
   *   direct &lt;appId&gt; &lt;appKey&gt; &lt;apiBaseUrl&gt; &lt;rtmWsUrl&gt; &lt;clientId&gt;...
   *   router &lt;appId&gt; &lt;appKey&gt; &lt;baseUrl&gt; &lt;clientId&gt;...
   * </pre>
   *
   * All clients are logged in (in order, all at the same time), then logged out in order. The
   * system property {@code parley.sdk.timeoutMs} sets the per-step timeout (default 10000). Output,
   * e.g. {@code
   * {"mode":"direct","ok":true,"clients":[{"clientId":"Tom","login":"ok","logout":"ok"}]}} or, on
   * failure, {@code
   * {"mode":"router","ok":false,"clients":[{"clientId":"Tom","login":"failed","code":4102,"appCode":0,
   * "message":"..."}]}}.
   */
  public static void main(String[] args) {
    int exit = run(args, System.out);
    System.out.flush();
    System.exit(exit);
  }

  static int run(String[] args, PrintStream out) {
    if (args.length < 1 || !(args[0].equals("direct") || args[0].equals("router"))) {
      out.println(
          "{\"ok\":false,\"message\":\"usage: direct <appId> <appKey> <apiBaseUrl> <rtmWsUrl> <clientId>..."
              + " | router <appId> <appKey> <baseUrl> <clientId>...\"}");
      return 2;
    }
    String mode = args[0];
    int firstClient = mode.equals("direct") ? 5 : 4;
    if (args.length <= firstClient) {
      out.println("{\"mode\":" + json(mode) + ",\"ok\":false,\"message\":\"missing arguments\"}");
      return 2;
    }
    Duration timeout =
        Duration.ofMillis(Long.getLong("parley.sdk.timeoutMs", DEFAULT_TIMEOUT.toMillis()));
    List<String> entries = new ArrayList<>();
    boolean ok = true;
    try {
      if (mode.equals("direct")) {
        initDirect(args[1], args[2], args[3], args[4]);
      } else {
        initWithRouter(args[1], args[2], args[3]);
      }
      List<AVIMClient> clients = new ArrayList<>();
      for (int i = firstClient; i < args.length; i++) {
        String id = args[i];
        try {
          clients.add(login(id, timeout));
        } catch (SdkFailure f) {
          ok = false;
          entries.add(
              "{\"clientId\":"
                  + json(id)
                  + ",\"login\":\"failed\",\"code\":"
                  + f.code()
                  + ",\"appCode\":"
                  + f.appCode()
                  + ",\"message\":"
                  + json(f.getMessage())
                  + "}");
          break;
        }
      }
      for (AVIMClient c : clients) {
        String entry = "{\"clientId\":" + json(c.getClientId()) + ",\"login\":\"ok\"";
        try {
          logout(c, timeout);
          entry += ",\"logout\":\"ok\"}";
        } catch (SdkFailure f) {
          ok = false;
          entry +=
              ",\"logout\":\"failed\",\"code\":"
                  + f.code()
                  + ",\"message\":"
                  + json(f.getMessage())
                  + "}";
        }
        entries.add(entry);
      }
    } catch (RuntimeException | Error e) {
      ok = false;
      entries.add("{\"error\":" + json(String.valueOf(e)) + "}");
    } finally {
      reset();
    }
    out.println(
        "{\"mode\":"
            + json(mode)
            + ",\"ok\":"
            + ok
            + ",\"clients\":["
            + String.join(",", entries)
            + "]}");
    return ok ? 0 : 1;
  }

  private static String json(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    return b.append('"').toString();
  }
}
