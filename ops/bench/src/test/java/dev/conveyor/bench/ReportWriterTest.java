package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

    private static final MachineInfo MACHINE = new MachineInfo(Instant.parse("2026-11-22T23:00:00Z"), "Test CPU 9000",
            2, 24_000, "Linux 6.1 amd64", "25.0.3", 2048, "Kafka 4.4.0 (embedded)", "PostgreSQL 17.6 (embedded)", "on",
            "on", 0.5);

    @Test
    void writesMarkdownPngsAndJsonLines(@TempDir Path dir) throws Exception {
        List<ObjectNode> lines = List.of(
                line(WorkloadId.W1, "throughput").put("jobs", 100_000).put("enqueue_per_s", 60_000).put("e2e_per_s", 40_000)
                        .put("raw_kafka_per_s", 90_000).put("ratio_raw_kafka", 0.444).put("raw_upsert_rows_per_s", 150_000)
                        .put("ratio_raw_upsert", 0.267).target("e2e_per_s >= 0.3 x raw_kafka_per_s", true).finish(),
                line(WorkloadId.W2, "delay accuracy").put("jobs", 10_000).put("late_p50_ms", 12).put("late_p95_ms", 30)
                        .put("late_p99_ms", 140).put("late_max_ms", 300).target("late_p99_ms <= 100", false).finish(),
                line(WorkloadId.W4, "pickup latency").put("pickup_p50_ms", 2.5).put("pickup_p99_ms", 9.1)
                        .put("raw_pickup_p50_ms", 2.0).put("raw_pickup_p99_ms", 8.0).put("p99_delta_ms", 1.1)
                        .target("pickup_p99_ms <= raw_pickup_p99_ms + 2.0", true).finish(),
                line(WorkloadId.W5, "HTTP enqueue").put("events_per_s", 9000).put("bare_http_per_s", 20_000)
                        .put("ratio_bare_http", 0.45).target("events_per_s >= 0.6 x bare_http_per_s", false).finish(),
                line(WorkloadId.W6, "interactive").fail("boom | broken").finish());

        Path md = ReportWriter.write(dir.resolve("report"), MACHINE, "ops/bin/conveyor bench --scale 0.1", lines);

        String text = Files.readString(md);
        assertThat(text).contains("Test CPU 9000", "| Cores | 2 |", "fsync=on", "ops/bin/conveyor bench --scale 0.1")
                .contains("| W1 throughput | `jobs` 100,000, `enqueue_per_s` 60,000, `e2e_per_s` 40,000")
                .contains("| W2 delay accuracy |", "**missed**", "| yes |")
                .contains("**failed**: boom \\| broken")
                .contains("| raw Kafka produce→consume (plain clients, same records) | 90,000 records/s | W1 40,000 tasks/s | 0.444 |")
                .contains("| bare HTTP endpoint", "| 0.45 |")
                .contains("| **Conveyor (this run)** | 40,000 | 140 ms | - |")
                .contains("| BullMQ | 13,700 | 826 ms | 967 ms |")
                .contains("![Throughput](throughput.png)", "![Latency percentiles](latency.png)");
        for (String png : List.of(ReportWriter.THROUGHPUT_PNG, ReportWriter.LATENCY_PNG)) {
            byte[] bytes = Files.readAllBytes(dir.resolve("report").resolve(png));
            assertThat(bytes.length).as(png).isGreaterThan(1000);
            assertThat(new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).as(png).isEqualTo("PNG");
        }
        assertThat(Files.readAllLines(dir.resolve("report").resolve(ReportWriter.RESULTS))).hasSize(5);
    }

    @Test
    void noPlotsWithoutFigures(@TempDir Path dir) throws Exception {
        ReportWriter.write(dir, MACHINE, "ops/bin/conveyor bench --workloads M1",
                List.of(line(WorkloadId.M1, "memory").put("heap_mb", 120.5).target("heap_mb <= 256", true).finish()));
        assertThat(dir.resolve(ReportWriter.THROUGHPUT_PNG)).doesNotExist();
        assertThat(Files.readString(dir.resolve(ReportWriter.REPORT))).contains("`heap_mb` 120.5").doesNotContain("## Plots");
    }

    private static Line line(WorkloadId id, String title) {
        return new Line(id, title);
    }
}
