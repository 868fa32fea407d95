package io.parley.node.settings;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The signature switches of one app (docs/protocol.md §14.1): which client actions must be signed
 * with the app's master key, and the explicit opt-out that lets a cluster-bootstrapped node run
 * with open logins. Read from {@code parley.apps[].signatures} ({@code none}, {@code all}, or a
 * comma list of the actions) and {@code parley.apps[].insecure-open-login}.
 */
public record AppSecurity(Set<Action> signed, boolean insecureOpenLogin) {

  /** The actions a switch can require a signature for, as named in the configuration. */
  public enum Action {
    LOGIN,
    START,
    INVITE,
    KICK,
    BLACKLIST;

    String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public AppSecurity {
    signed = signed.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(signed));
  }

  public static AppSecurity open() {
    return new AppSecurity(Set.of(), false);
  }

  public boolean requires(Action action) {
    return signed.contains(action);
  }

  /**
   * Parses one app's switches; an unknown action name is refused at start with the names allowed.
   */
  public static AppSecurity fromConfig(Config app) {
    String switches = app.hasPath("signatures") ? app.getString("signatures") : "none";
    boolean optOut = app.hasPath("insecure-open-login") && app.getBoolean("insecure-open-login");
    return new AppSecurity(parse(switches), optOut);
  }

  static Set<Action> parse(String switches) {
    String value = switches.strip().toLowerCase(Locale.ROOT);
    if (value.isEmpty() || value.equals("none")) {
      return Set.of();
    }
    if (value.equals("all")) {
      return EnumSet.allOf(Action.class);
    }
    Set<Action> actions = EnumSet.noneOf(Action.class);
    for (String name : value.split(",")) {
      String wanted = name.strip();
      actions.add(
          Arrays.stream(Action.values())
              .filter(action -> action.configName().equals(wanted))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "parley.apps[].signatures: unknown action '"
                              + wanted
                              + "'; use none, all, or a comma list of "
                              + Arrays.stream(Action.values())
                                  .map(Action::configName)
                                  .collect(Collectors.joining(",")))));
    }
    return actions;
  }

  /**
   * Secure defaults (README "Secure defaults"): a node that joins through Cluster Bootstrap (the
   * Kubernetes configuration) serves the internet; it refuses to start with login signatures off
   * unless {@code insecure-open-login} says so explicitly. (Its master key is checked by {@link
   * NodeSettings}.)
   */
  void checkProduction(String appId) {
    if (!requires(Action.LOGIN) && !insecureOpenLogin) {
      throw new IllegalArgumentException(
          "parley.apps: app '"
              + appId
              + "' has login signatures off: anyone who "
              + "knows the app id can log in as any client. Set PARLEY_SIGNATURES=login (or all), or accept open "
              + "logins explicitly with PARLEY_INSECURE_OPEN_LOGIN=on (parley.apps[].insecure-open-login)");
    }
  }
}
