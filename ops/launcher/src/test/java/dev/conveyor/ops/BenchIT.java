package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.bench.Fields;
import dev.conveyor.bench.ReportWriter;
import dev.conveyor.bench.WorkloadId;
import dev.conveyor.schema.json.Json;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code conveyor bench} end to end with tiny sizes, every workload, on the test run's broker and
 * PostgreSQL given by a configuration file (so the external-infrastructure path is the one tested;
 * the embedded one is what DevModeIT starts): one JSON line per workload on standard output, each
 * with the figures as numbers, and the report.
 */
@ConveyorIntegrationTest
class BenchIT {

    @Test
    void everyWorkloadPrintsItsFiguresAndTheReport(TestKafka kafka, TestDatabase db, @TempDir Path dir) throws Exception {
        Path config = dir.resolve("conveyor.yaml");
        Files.writeString(config, """
                kafka: { bootstrap: "%s" }
                db: { url: "%s", user: "%s", password: "%s" }
                """.formatted(kafka.bootstrap(), db.jdbcUrl(), db.user(), db.password() == null ? "" : db.password()));
        Path report = dir.resolve("report");

        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new Main()).execute("bench", "--config", config.toString(),
                    "--w1-jobs", "2000", "--w1-warmup-jobs", "500", "--w2-jobs", "300", "--w3-jobs", "300",
                    "--scheduler-warmup-jobs", "200",
                    "--w4-rate", "500", "--w4-seconds", "1", "--http-seconds", "1", "--http-warmup-seconds", "0",
                    "--connections", "4", "--client", "java", "--w6-rate", "100", "--m1-pending", "20000",
                    "--m2-tasks", "2000", "--m2-rate", "2000",
                    "--partitions", "2", "--step-timeout-seconds", "60", "--report", report.toString());
        } finally {
            System.setOut(original);
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String l : stdout.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank()) {
                lines.add(Json.parse(l.getBytes(StandardCharsets.UTF_8)));
            }
        }
        assertThat(lines).as("only JSON lines on stdout, one per workload")
                .extracting(l -> l.path("workload").asText())
                .containsExactly("W1", "W2", "W3", "W4", "W5", "W6", "M1", "M2");
        assertThat(lines.get(1).path("warmup_jobs").asInt()).as("W2 ran its warm-up round").isEqualTo(200);
        assertThat(lines.get(2).path("warmup_jobs").asInt()).as("W3 ran its warm-up round").isEqualTo(200);
        for (JsonNode line : lines) {
            WorkloadId id = WorkloadId.valueOf(line.path("workload").asText());
            assertThat(line.has("error")).as(id + " failed: " + line.path("error").asText()).isFalse();
            for (String field : Fields.FIGURES.get(id)) {
                assertThat(line.path(field).isNumber()).as(id + " " + field + " in " + line).isTrue();
            }
            assertThat(line.path("target").asText()).as(id + " target").isNotBlank();
            assertThat(line.path("target_met").isBoolean()).as(id + " target_met").isTrue();
            assertThat(line.path("load_average_1m").isNumber()).as(id + " load").isTrue();
        }
        assertThat(code).isZero();
        assertThat(Files.readString(report.resolve(ReportWriter.REPORT))).contains("## Machine", "| W6 ");
        assertThat(report.resolve(ReportWriter.THROUGHPUT_PNG)).isNotEmptyFile();
        assertThat(report.resolve(ReportWriter.LATENCY_PNG)).isNotEmptyFile();
        // External infrastructure: the workloads' schemas are dropped again.
        assertThat(db.dsl().fetchCount(db.dsl().selectFrom("information_schema.schemata")
                .where("schema_name like 'bench\\_%'"))).isZero();
    }
}
