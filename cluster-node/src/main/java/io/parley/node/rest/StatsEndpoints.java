package io.parley.node.rest;

import io.parley.node.presence.DailyClients;
import io.parley.node.presence.NodeDirectory;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /1.2/rtm/stats} (REST-AND-HOOKS §3.5), master key: {@code
 * {"result":{"online_user_count":n,"user_count_today":n}}}. Online: the clients with a session on
 * any node now ({@link NodeDirectory#onlineCount}); today: the distinct clients that logged in
 * since 00:00 UTC on any node ({@link DailyClients}).
 */
public final class StatsEndpoints extends RestEndpoints {

  private final NodeDirectory directory;
  private final DailyClients daily;

  public StatsEndpoints(NodeDirectory directory, DailyClients daily) {
    this.directory = directory;
    this.daily = daily;
  }

  @Override
  public Route routes(Caller caller) {
    return path(rtm("stats"), () -> get(() -> stats(caller.requireMaster())));
  }

  private Route stats(Caller caller) {
    return reply(
        directory
            .onlineCount(caller.appId())
            .thenCombine(
                daily.countToday(caller.appId()),
                (online, today) -> {
                  var result = JSON.createObjectNode();
                  result
                      .putObject("result")
                      .put("online_user_count", online)
                      .put("user_count_today", today);
                  return result;
                }));
  }
}
