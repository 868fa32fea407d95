package io.parley.node.hooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The app's cloud hooks as the message path and the conversations see them (docs/hooks.md).
 * Blocking hooks answer with an outcome that already applies the app's failure policy;
 * fire-and-forget hooks are queued and never slow the caller down.
 */
public interface Hooks {

  /**
   * Whether {@code hook} is configured and enabled for {@code appId}: when not, callers skip
   * building its params.
   */
  boolean on(String appId, String hook);

  /**
   * Whether {@code hook} is called for a message the app server sent, edited or recalled through
   * the REST API: {@link #on} and the app's {@code rest-messages} switch (docs/hooks.md §4.5).
   */
  boolean onForApp(String appId, String hook);

  /**
   * Calls a blocking hook; completes within the app's timeout, never exceptionally: {@link
   * HookOutcome.Answered} (a failure under the {@code ignore} policy answers {@link
   * HookOutcome.Answered#PROCEED}) or {@link HookOutcome.Failed} (a failure under {@code reject}).
   */
  CompletionStage<HookOutcome> call(String appId, String hook, ObjectNode params);

  /**
   * Calls a blocking hook whose failure refuses the request whatever the app's policy ({@code
   * _rtmClientSign}, §4.6); completes within the app's timeout, never exceptionally: {@link
   * HookOutcome.Answered} with the engine's {@code result} as it returned it (often not an object),
   * or {@link HookOutcome.Failed}. An app without the hook gets {@link
   * HookOutcome.Answered#PROCEED}: ask {@link #on} first.
   */
  CompletionStage<HookOutcome> decide(String appId, String hook, ObjectNode params);

  /** Queues a fire-and-forget hook; a full queue drops it (counted, logged). */
  void fire(String appId, String hook, ObjectNode params);

  /** Queues one record for the app's system-conversation webhook (§4.7), if it has one. */
  void systemMessage(String appId, ObjectNode record);

  /** Offline push requests, from {@code _receiversOffline} (where APNs/FCM plug in). */
  OfflinePush offlinePush();

  /** No hooks: everything proceeds. */
  Hooks NONE =
      new Hooks() {
        @Override
        public boolean on(String appId, String hook) {
          return false;
        }

        @Override
        public boolean onForApp(String appId, String hook) {
          return false;
        }

        @Override
        public CompletionStage<HookOutcome> decide(String appId, String hook, ObjectNode params) {
          return CompletableFuture.completedFuture(HookOutcome.Answered.PROCEED);
        }

        @Override
        public CompletionStage<HookOutcome> call(String appId, String hook, ObjectNode params) {
          return CompletableFuture.completedFuture(HookOutcome.Answered.PROCEED);
        }

        @Override
        public void fire(String appId, String hook, ObjectNode params) {}

        @Override
        public void systemMessage(String appId, ObjectNode record) {}

        @Override
        public OfflinePush offlinePush() {
          return OfflinePush.LOGGED;
        }
      };
}
