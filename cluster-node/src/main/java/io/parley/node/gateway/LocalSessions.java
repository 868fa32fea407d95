package io.parley.node.gateway;

import io.parley.node.session.SessionActor;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The session actors of this node's open connections. Used for one thing: when the node shuts down
 * (a rolling restart, a scale-down) every client is told {@code goaway} first, so the SDKs re-query
 * the router and reconnect elsewhere at once instead of waiting for a dead socket (docs/protocol.md
 * §4).
 */
public final class LocalSessions {

  private final Set<ActorRef<SessionActor.Command>> sessions = ConcurrentHashMap.newKeySet();

  void add(ActorRef<SessionActor.Command> session) {
    sessions.add(session);
  }

  public void remove(ActorRef<SessionActor.Command> session) {
    sessions.remove(session);
  }

  public int size() {
    return sessions.size();
  }

  /**
   * Tells every connection to go away; completes at once (the sessions send and close on their
   * own).
   */
  public CompletionStage<Done> drain() {
    sessions.forEach(session -> session.tell(SessionActor.GoAway.INSTANCE));
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
