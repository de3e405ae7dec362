package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The deployment files parse, and every Conveyor metric they use is one the README documents. */
class DeployFilesTest {

    private static final Path ROOT = Path.of("../..");
    private static final Pattern METRIC = Pattern.compile("\\bconveyor_[a-z_]+");

    private static Set<String> metricsIn(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group().replaceAll("_(bucket|count|sum)$", ""));
        }
        return names;
    }

    @Test
    void theGrafanaDashboardUsesOnlyDocumentedMetrics() throws Exception {
        String json = Files.readString(ROOT.resolve("ops/deploy/grafana/conveyor-dashboard.json"));
        JsonNode dashboard = new ObjectMapper().readTree(json);
        assertThat(dashboard.path("panels").size()).isGreaterThan(10);
        String readme = Files.readString(ROOT.resolve("docs/operations.md"));
        Set<String> used = metricsIn(json);
        assertThat(used).isNotEmpty();
        for (String metric : used) {
            assertThat(readme).as("docs/operations.md documents " + metric).contains("`" + metric);
        }
    }

    @Test
    void everyKubernetesRoleIsProbedScrapedAndTheWorkerScalesOnLag() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = yaml.getFactory().createParser(ROOT.resolve("ops/deploy/k8s/conveyor.yaml").toFile())) {
            yaml.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        List<JsonNode> deployments = docs.stream().filter(d -> d.path("kind").asText().equals("Deployment")).toList();
        assertThat(deployments).extracting(d -> d.path("metadata").path("name").asText())
                .containsExactlyInAnyOrder("conveyor-ingress", "conveyor-worker", "conveyor-scheduler");
        for (JsonNode d : deployments) {
            JsonNode pod = d.path("spec").path("template");
            assertThat(pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText()).isEqualTo("true");
            JsonNode container = pod.path("spec").path("containers").get(0);
            assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
        }
        JsonNode hpa = docs.stream().filter(d -> d.path("kind").asText().equals("HorizontalPodAutoscaler")).findFirst()
                .orElseThrow();
        assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo("conveyor-worker");
        assertThat(hpa.path("spec").path("metrics").get(0).path("external").path("metric").path("name").asText())
                .isEqualTo("conveyor_worker_lag");
        String readme = Files.readString(ROOT.resolve("docs/operations.md"));
        assertThat(readme).contains("`conveyor_worker_lag`");
    }

    @Test
    void thePrometheusConfigParses() throws Exception {
        JsonNode config = new ObjectMapper(new YAMLFactory())
                .readTree(ROOT.resolve("ops/deploy/prometheus/prometheus.yml").toFile());
        assertThat(config.path("scrape_configs").size()).isEqualTo(2);
        assertThat(config.path("scrape_configs").get(0).path("metrics_path").asText()).isEqualTo("/metrics");
    }
}
