package dev.conveyor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * {@code conveyor bench --report DIR}: {@code report.md} (machine, command, results against the
 * targets, baselines, peers), {@code throughput.png} and {@code latency.png} (XChart, headless),
 * and the JSON lines as {@code results.jsonl}.
 */
public final class ReportWriter {

    public static final String REPORT = "report.md";
    public static final String THROUGHPUT_PNG = "throughput.png";
    public static final String LATENCY_PNG = "latency.png";
    public static final String RESULTS = "results.jsonl";

    private ReportWriter() {}

    /** Writes the report into {@code dir} (created if needed); answers the Markdown file. */
    public static Path write(Path dir, MachineInfo machine, String command, List<ObjectNode> lines) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        StringBuilder jsonl = new StringBuilder();
        lines.forEach(l -> jsonl.append(l).append('\n'));
        Files.writeString(dir.resolve(RESULTS), jsonl, StandardCharsets.UTF_8);
        boolean throughput = throughputChart(lines, dir.resolve(THROUGHPUT_PNG));
        boolean latency = latencyChart(lines, dir.resolve(LATENCY_PNG));
        Path report = dir.resolve(REPORT);
        Files.writeString(report, markdown(machine, command, lines, throughput, latency), StandardCharsets.UTF_8);
        return report;
    }

    static String markdown(MachineInfo m, String command, List<ObjectNode> lines, boolean throughputPng,
            boolean latencyPng) {
        StringBuilder md = new StringBuilder();
        md.append("# Conveyor benchmark report\n\n");
        md.append("Measured ").append(m.date()).append(" with:\n\n```\n").append(command).append("\n```\n\n");
        md.append("Every workload ran in one JVM on the infrastructure below, one after the other; the baselines "
                + "(raw Kafka, raw PostgreSQL upsert, bare HTTP, plain consumer) ran in the same run, so the "
                + "ratios survive a noisy machine better than the absolute figures.\n\n");
        md.append("## Machine\n\n| | |\n|---|---|\n");
        row(md, "CPU", m.cpuModel());
        row(md, "Cores", Integer.toString(m.cores()));
        row(md, "RAM", m.ramMb() < 0 ? "unknown" : m.ramMb() + " MiB");
        row(md, "OS", m.os());
        row(md, "JDK", m.jdk() + ", max heap " + m.maxHeapMb() + " MiB");
        row(md, "Kafka", m.kafka());
        row(md, "PostgreSQL", m.postgres() + ", fsync=" + m.fsync() + ", synchronous_commit=" + m.synchronousCommit());
        row(md, "Load average (1 min) at start", fmt(m.loadAverage()));

        md.append("\n## Results\n\nThe last column is the machine's load average when the workload ended: on 2 cores, "
                + "anything far above 2 means other processes competed for the CPU and the figures say little on "
                + "their own.\n\n| Workload | Figures | Target | Met | Load (1 min) |\n|---|---|---|---|---|\n");
        for (ObjectNode l : lines) {
            String id = l.path("workload").asText();
            String met = l.has("error") ? "**failed**: " + escape(l.path("error").asText())
                    : l.path("target_met").asBoolean() ? "yes" : "**missed**";
            md.append("| ").append(id).append(' ').append(l.path("title").asText()).append(" | ")
                    .append(figures(l)).append(" | ").append(escape(l.path("target").asText("-"))).append(" | ")
                    .append(met).append(" | ").append(num(l, "load_average_1m")).append(" |\n");
        }

        md.append("\n## Baselines in the same run\n\n| Baseline | Figure | Conveyor | Ratio |\n|---|---|---|---|\n");
        find(lines, "W1").ifPresent(l -> {
            md.append("| raw Kafka produce→consume (plain clients, same records) | ")
                    .append(num(l, "raw_kafka_per_s")).append(" records/s | W1 ").append(num(l, "e2e_per_s"))
                    .append(" tasks/s | ").append(num(l, "ratio_raw_kafka")).append(" |\n");
            md.append("| raw PostgreSQL `unnest` upsert (same status rows, 1 connection) | ")
                    .append(num(l, "raw_upsert_rows_per_s")).append(" rows/s | W1 ").append(num(l, "e2e_per_s"))
                    .append(" tasks/s | ").append(num(l, "ratio_raw_upsert")).append(" |\n");
            if (l.has("drain_per_s")) {
                md.append("| raw Kafka produce→consume (plain clients, same records) | ")
                        .append(num(l, "raw_kafka_per_s")).append(" records/s | W1 preloaded drain ")
                        .append(num(l, "drain_per_s")).append(" tasks/s | ").append(num(l, "ratio_drain_raw_kafka"))
                        .append(" |\n");
                md.append("| plain consumer reading the preloaded records | ")
                        .append(num(l, "raw_consume_per_s")).append(" records/s | W1 preloaded drain ")
                        .append(num(l, "drain_per_s")).append(" tasks/s | ").append(num(l, "ratio_raw_consume"))
                        .append(" |\n");
            }
        });
        find(lines, "W4").ifPresent(l -> md.append("| plain consumer pickup p99 | ").append(num(l, "raw_pickup_p99_ms"))
                .append(" ms | W4 ").append(num(l, "pickup_p99_ms")).append(" ms | ")
                .append(l.path("p99_delta_ms").asDouble() >= 0 ? "+" : "").append(num(l, "p99_delta_ms"))
                .append(" ms |\n"));
        find(lines, "W5").ifPresent(l -> md.append("| bare HTTP endpoint (same server stack and client) | ")
                .append(num(l, "bare_http_per_s")).append(" requests/s | W5 ").append(num(l, "events_per_s"))
                .append(" events/s | ").append(num(l, "ratio_bare_http")).append(" |\n"));

        md.append("\n## Peers\n\nReference figures of established queues measured on this kind of machine (2 cores) "
                + "with the same workloads; not measured by this run.\n\n");
        md.append("| System | Throughput (tasks/s) | W2 p99 | W3 p99 | Note |\n|---|---|---|---|---|\n");
        md.append("| **Conveyor (this run)** | ").append(find(lines, "W1").map(l -> num(l, "e2e_per_s")).orElse("-"))
                .append(" | ").append(find(lines, "W2").map(l -> num(l, "late_p99_ms") + " ms").orElse("-"))
                .append(" | ").append(find(lines, "W3").map(l -> num(l, "late2_p99_ms") + " ms").orElse("-"))
                .append(" | durable: every task has a PostgreSQL status row |\n");
        for (Peers p : Peers.REFERENCE) {
            md.append("| ").append(p.system()).append(" | ").append(p.perSecond() < 0 ? "-" : fmt(p.perSecond()))
                    .append(" | ").append(p.w2P99Ms() < 0 ? "-" : fmt(p.w2P99Ms()) + " ms")
                    .append(" | ").append(p.w3P99Ms() < 0 ? "-" : fmt(p.w3P99Ms()) + " ms")
                    .append(" | ").append(p.note()).append(" |\n");
        }
        md.append("\nW4 pickup p99 of the peers: ").append(Peers.W4_PICKUP_P99_RANGE).append(".\n");

        if (throughputPng || latencyPng) {
            md.append("\n## Plots\n\n");
            if (throughputPng) {
                md.append("![Throughput](").append(THROUGHPUT_PNG).append(")\n\n");
            }
            if (latencyPng) {
                md.append("![Latency percentiles](").append(LATENCY_PNG).append(")\n\n");
            }
        }
        md.append("\nEvery figure with its settings and diagnostics: [").append(RESULTS).append("](").append(RESULTS)
                .append(") (one JSON line per workload, as `conveyor bench` prints them).\n");
        return md.toString();
    }

    /** The workload's headline figures, {@code name value} joined. */
    private static String figures(ObjectNode l) {
        List<String> parts = new ArrayList<>();
        try {
            WorkloadId id = WorkloadId.valueOf(l.path("workload").asText());
            for (String f : Fields.FIGURES.get(id)) {
                if (l.has(f)) {
                    parts.add("`" + f + "` " + num(l, f));
                }
            }
        } catch (IllegalArgumentException e) {
            // An unknown workload: no headline figures.
        }
        return parts.isEmpty() ? "-" : String.join(", ", parts);
    }

    private static boolean throughputChart(List<ObjectNode> lines, Path png) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        find(lines, "W1").ifPresent(l -> {
            add(names, values, "W1 end-to-end", l, "e2e_per_s");
            add(names, values, "W1 publish", l, "enqueue_per_s");
            add(names, values, "raw Kafka", l, "raw_kafka_per_s");
            add(names, values, "raw PG upsert", l, "raw_upsert_rows_per_s");
        });
        find(lines, "W5").ifPresent(l -> {
            add(names, values, "W5 HTTP events", l, "events_per_s");
            add(names, values, "bare HTTP", l, "bare_http_per_s");
        });
        if (names.isEmpty()) {
            return false;
        }
        for (Peers p : Peers.REFERENCE) {
            if (p.perSecond() > 0) {
                names.add(p.system().replace(" produce→consume", "").replace(" listener", "") + " (ref)");
                values.add(p.perSecond());
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(620)
                .title("Throughput per second (log scale): this run, then peers' reference figures (ref)")
                .xAxisTitle("").yAxisTitle("per second").build();
        styleOf(chart);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(100.0); // bars start at 0 unless told otherwise, which a log axis refuses
        chart.getStyler().setXAxisLabelRotation(40);
        chart.addSeries("per second", names, values);
        save(chart, png);
        return true;
    }

    private static void styleOf(CategoryChart chart) {
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setAxisTickLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 11));
        chart.getStyler().setLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
        chart.getStyler().setYAxisDecimalPattern("#,##0.#");
        chart.getStyler().setDecimalPattern("#,##0.#");
    }

    private static boolean latencyChart(List<ObjectNode> lines, Path png) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        String[][] metrics = {
            {"W2", "late_", "W2 lateness"}, {"W3", "late2_", "W3 2nd-run lateness"}, {"W4", "pickup_", "W4 pickup"},
            {"W4", "raw_pickup_", "W4 plain consumer"}, {"W6", "rtt_", "W6 round trip"}};
        for (String[] m : metrics) {
            find(lines, m[0]).filter(l -> l.has(m[1] + "p99_ms")).ifPresent(l -> {
                names.add(m[2]);
                p50.add(l.path(m[1] + "p50_ms").asDouble());
                p99.add(l.path(m[1] + "p99_ms").asDouble());
            });
        }
        if (names.isEmpty()) {
            return false;
        }
        CategoryChart chart = new CategoryChartBuilder().width(1100).height(620)
                .title("Latency percentiles (ms)").xAxisTitle("").yAxisTitle("milliseconds").build();
        styleOf(chart);
        chart.addSeries("p50", names, p50);
        chart.addSeries("p99", names, p99);
        save(chart, png);
        return true;
    }

    private static void save(CategoryChart chart, Path png) throws IOException {
        ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", png.toFile());
    }

    private static void add(List<String> names, List<Double> values, String name, JsonNode l, String field) {
        if (l.path(field).isNumber()) {
            names.add(name);
            values.add(l.path(field).asDouble());
        }
    }

    private static Optional<ObjectNode> find(List<ObjectNode> lines, String workload) {
        return lines.stream().filter(l -> workload.equals(l.path("workload").asText()) && !l.has("error")).findFirst();
    }

    private static void row(StringBuilder md, String name, String value) {
        md.append("| ").append(name).append(" | ").append(escape(value)).append(" |\n");
    }

    private static String num(JsonNode l, String field) {
        JsonNode v = l.path(field);
        return v.isNumber() ? fmt(v.asDouble()) : "-";
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, "%,.3f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
