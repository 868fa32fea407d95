package io.parley.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.parley.node.testing.Scrape;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard (deploy/grafana/parley.json) and the alert rules
 * (deploy/prometheus/alerts.yaml) query only series a node exports, grouped by labels those series
 * have; every Parley series is on the dashboard and in the README's list. The exported series come
 * from a real scrape of {@link NodeMetrics} with the JVM's series, each labelled metric used once
 * so its labels show.
 */
class MonitoringFilesTest {

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  /**
   * PromQL's functions, aggregations and keywords: everything in an expression that is not a series
   * name.
   */
  private static final Set<String> PROMQL =
      Set.of(
          "sum",
          "rate",
          "irate",
          "increase",
          "histogram_quantile",
          "max",
          "min",
          "avg",
          "count",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "topk",
          "bottomk",
          "abs",
          "clamp_min",
          "clamp_max",
          "delta",
          "deriv",
          "avg_over_time",
          "max_over_time",
          "min_over_time",
          "label_values",
          "offset",
          "inf",
          "nan");

  /** Labels Prometheus adds to every series when it scrapes, and the histogram bucket label. */
  private static final Set<String> SCRAPE_LABELS = Set.of("instance", "job", "le");

  private static final Set<String> PROMETHEUS_OWN = Set.of("up");
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  private static Map<String, Set<String>> exported;

  @BeforeAll
  static void scrape() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    NodeMetrics metrics = NodeMetrics.withJvm(registry);
    metrics.refused("error", 4301);
    metrics.rateLimited("direct");
    metrics.hookCall("_messageReceived", "ok", 1_000_000);
    metrics.acked(1_000_000);
    metrics.cassandraWrite(1_000_000, false);
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(text, registry.scrape());
    exported = new TreeMap<>();
    Scrape.parse(text.toString(StandardCharsets.UTF_8))
        .series()
        .keySet()
        .forEach(
            series -> {
              String name =
                  series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
              Set<String> labels = exported.computeIfAbsent(name, n -> new TreeSet<>());
              if (series.contains("{")) {
                Matcher label =
                    Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"")
                        .matcher(series.substring(name.length()));
                while (label.find()) {
                  labels.add(label.group(1));
                }
              }
            });
  }

  @Test
  void the_dashboard_queries_only_exported_series_and_shows_every_parley_series() throws Exception {
    JsonNode dashboard =
        new ObjectMapper().readTree(Files.readString(ROOT.resolve("deploy/grafana/parley.json")));
    assertEquals("parley-overview", dashboard.get("uid").asText());
    List<String> expressions = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      if (panel.get("type").asText().equals("row")) {
        continue;
      }
      assertTrue(panel.hasNonNull("title") && panel.hasNonNull("gridPos"), panel::toString);
      assertFalse(panel.get("targets").isEmpty(), "a panel without a query: " + panel.get("title"));
      panel.get("targets").forEach(target -> expressions.add(target.get("expr").asText()));
    }
    dashboard
        .at("/templating/list")
        .forEach(
            variable -> {
              if (variable.has("query") && variable.get("type").asText().equals("query")) {
                expressions.add(variable.get("query").asText());
              }
            });
    Set<String> queried = new TreeSet<>();
    expressions.forEach(expression -> queried.addAll(check(expression)));
    Set<String> parleySeries =
        new TreeSet<>(
            exported.keySet().stream()
                .filter(n -> n.startsWith("parley_"))
                .map(MonitoringFilesTest::family)
                .toList());
    Set<String> missing = new TreeSet<>(parleySeries);
    missing.removeAll(queried.stream().map(MonitoringFilesTest::family).toList());
    assertEquals(Set.of(), missing, "Parley series the dashboard does not show");
    System.out.printf(
        "MonitoringFilesTest: dashboard has %d queries over %d series, %d exported%n",
        expressions.size(), queried.size(), exported.size());
  }

  @Test
  void the_alert_rules_query_only_exported_series() throws Exception {
    JsonNode rules =
        new YAMLMapper().readTree(Files.readString(ROOT.resolve("deploy/prometheus/alerts.yaml")));
    int count = 0;
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        assertTrue(
            rule.hasNonNull("alert")
                && rule.hasNonNull("for")
                && rule.at("/labels/severity").isTextual(),
            rule::toString);
        check(rule.get("expr").asText());
        count++;
      }
    }
    assertTrue(count >= 5, "alerts: " + count);
  }

  @Test
  void the_readme_lists_every_parley_series() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    String operate = readme.substring(readme.indexOf("## Operate it"));
    Set<String> undocumented = new TreeSet<>();
    exported.keySet().stream()
        .filter(n -> n.startsWith("parley_"))
        .map(MonitoringFilesTest::family)
        .filter(family -> !operate.contains("`" + family))
        .forEach(undocumented::add);
    assertEquals(Set.of(), undocumented, "series missing from README's Operate it");
  }

  @Test
  void the_check_catches_unknown_series_and_labels() {
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> check("sum(rate(parley_messages_sent_total[5m]))"));
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> check("sum by (cid) (rate(parley_messages_in_total[5m]))"));
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> check("parley_refusals_total{reason=\"x\"}"));
    assertEquals(
        Set.of("parley_refusals_total"),
        check("sum by (kind, code) (parley_refusals_total{job=~\"$job\"})"));
  }

  /**
   * The series names {@code expression} reads, each checked to be exported, and the labels it
   * groups or matches by checked to be labels of those series.
   */
  private static Set<String> check(String expression) {
    String stripped =
        expression
            .replaceAll("\\$\\{?[a-zA-Z_]+}?", "") // Grafana variables
            .replaceAll("\\[[^]]*]", ""); // range selectors
    Set<String> labels = new TreeSet<>();
    Matcher labelValues =
        Pattern.compile("label_values\\(([^,]+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)")
            .matcher(stripped);
    while (labelValues.find()) { // Grafana's label_values(series, label)
      labels.add(labelValues.group(2));
    }
    stripped = labelValues.replaceAll("$1");
    Matcher grouping =
        Pattern.compile("\\b(?:by|without|on|ignoring)\\s*\\(([^)]*)\\)").matcher(stripped);
    while (grouping.find()) {
      for (String label : grouping.group(1).split(",")) {
        if (!label.isBlank()) {
          labels.add(label.trim());
        }
      }
    }
    stripped = grouping.replaceAll(" ");
    Matcher matchers = Pattern.compile("\\{([^}]*)}").matcher(stripped);
    while (matchers.find()) {
      Matcher label =
          Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)").matcher(matchers.group(1));
      while (label.find()) {
        labels.add(label.group(1));
      }
    }
    stripped = matchers.replaceAll(" ").replaceAll("\"[^\"]*\"", " ");
    Set<String> names = new TreeSet<>();
    Matcher token = NAME.matcher(stripped);
    while (token.find()) {
      String name = token.group();
      boolean number = token.start() > 0 && Character.isDigit(stripped.charAt(token.start() - 1));
      if (!PROMQL.contains(name.toLowerCase()) && !number) {
        names.add(name);
      }
    }
    assertFalse(names.isEmpty(), "no series in " + expression);
    Set<String> available = new TreeSet<>(SCRAPE_LABELS);
    for (String name : names) {
      assertTrue(
          exported.containsKey(name) || PROMETHEUS_OWN.contains(name),
          name + " (in " + expression + ") is not exported; exported: " + exported.keySet());
      available.addAll(exported.getOrDefault(name, Set.of()));
    }
    labels.removeAll(available);
    assertEquals(Set.of(), labels, "labels of no queried series in " + expression);
    return names;
  }

  /** A series' metric family: its name without the histogram, summary and counter suffixes. */
  private static String family(String series) {
    return series.replaceAll("_(bucket|count|sum|total)$", "");
  }
}
