package io.parley.node.concurrent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Keeps continuations off the JVM's common pool.
 *
 * <p>The {@code CompletionStage}s that Pekko hands to Java code (javadsl {@code ask}, stream
 * materialized values, the Cassandra session) are Scala futures converted with {@code asJava},
 * whose every non-async dependent ({@code thenApply}, {@code whenComplete}, {@code pipeToSelf})
 * runs <em>asynchronously on the common ForkJoinPool</em>. On a 2-CPU machine that pool has
 * parallelism 1, and {@code CompletableFuture} then starts a new OS thread for every such stage:
 * one per message on the hot path. Every stage Parley gets from Pekko therefore goes through {@link
 * #direct}, which completes a plain future on the thread that completed the original (an actor
 * replying, or a Pekko dispatcher thread of the Cassandra session); the dependents, which only
 * build a value or tell an actor, run there too. {@code HotPathIT} fails if a stage slips through.
 */
public final class Futures {

  /**
   * Runs a task on the calling thread: for continuations that only tell an actor or build a value.
   */
  public static final Executor CALLER = Runnable::run;

  private Futures() {}

  /** {@code stage}, as a plain future whose dependents run on the thread that completes it. */
  public static <T> CompletableFuture<T> direct(CompletionStage<T> stage) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    // The async variant with an explicit executor is the one a converted Scala future does not
    // redirect.
    stage.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) {
            plain.completeExceptionally(failure);
          } else {
            plain.complete(value);
          }
        },
        CALLER);
    return plain;
  }
}
