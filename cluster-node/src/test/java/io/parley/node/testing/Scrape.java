package io.parley.node.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One scrape of a Prometheus text endpoint, as Prometheus reads it: series (name and labels,
 * exactly as written) to values. {@code value("parley_refusals_total",
 * "kind=\"ack\",code=\"4401\"")}.
 */
public record Scrape(String text, Map<String, Double> series) {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** GETs {@code uri}; fails unless it answers 200 with Prometheus' text format. */
  public static Scrape of(URI uri) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError(
            "GET " + uri + " answered " + response.statusCode() + ": " + response.body());
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (!type.startsWith("text/plain") || !type.contains("version=0.0.4")) {
        throw new AssertionError("GET " + uri + " is not Prometheus' text format: " + type);
      }
      return parse(response.body());
    } catch (java.io.IOException e) {
      throw new AssertionError("GET " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public static Scrape parse(String text) {
    Map<String, Double> series = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int split = line.lastIndexOf(' ');
      series.put(line.substring(0, split), Double.parseDouble(line.substring(split + 1)));
    }
    return new Scrape(text, series);
  }

  /** The value of {@code name} without labels; 0 when absent. */
  public double value(String name) {
    return series.getOrDefault(name, 0.0);
  }

  /**
   * The value of {@code name{labels}} (labels in any order, e.g. {@code kind="ack",code="4401"}); 0
   * when absent.
   */
  public double value(String name, String labels) {
    Set<String> wanted = labelSet(labels);
    return series.entrySet().stream()
        .filter(
            e ->
                e.getKey().startsWith(name + "{")
                    && labelSet(e.getKey().substring(name.length() + 1, e.getKey().length() - 1))
                        .equals(wanted))
        .mapToDouble(Map.Entry::getValue)
        .findFirst()
        .orElse(0.0);
  }

  private static Set<String> labelSet(String labels) {
    return new TreeSet<>(java.util.List.of(labels.split(",")));
  }

  /** The sum of every series of {@code name} (all label values). */
  public double sum(String name) {
    return series.entrySet().stream()
        .filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  /** Names of the series (without labels), as a query names them. */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    series
        .keySet()
        .forEach(key -> names.add(key.contains("{") ? key.substring(0, key.indexOf('{')) : key));
    return names;
  }
}
