package dev.conveyor.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.bench.BenchSettings;
import dev.conveyor.bench.WorkloadId;
import dev.conveyor.worker.spi.Ordering;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

    private static BenchCommand parse(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void noOptionsRunEveryWorkloadAtTheIssueSizes() {
        BenchCommand c = parse();
        assertThat(c.settings()).isEqualTo(BenchSettings.defaults());
        assertThat(c.report).isNull();
    }

    @Test
    void workloadsSubsetAndReportDirectory() {
        BenchCommand c = parse("--workloads", "W1,w4", "--report", "out/report");
        assertThat(c.settings().workloads()).isEqualTo(Set.of(WorkloadId.W1, WorkloadId.W4));
        assertThat(c.report).isEqualTo(Path.of("out/report"));
    }

    @Test
    void explicitSizesWinOverTheScale() {
        BenchSettings s = parse("--scale", "0.1", "--w1-jobs", "2000", "--m1-pending=20000", "--w4-seconds", "2",
                "--scheduler-warmup-jobs", "0").settings();
        assertThat(s.schedulerWarmupJobs()).as("0 skips the warm-up round").isZero();
        assertThat(s.w1Jobs()).isEqualTo(2000);
        assertThat(s.m1Pending()).isEqualTo(20_000);
        assertThat(s.w4Seconds()).isEqualTo(2);
        assertThat(s.w2Jobs()).isEqualTo(1000);
        assertThat(s.httpSeconds()).isEqualTo(1);
    }

    @Test
    void workerKnobs() {
        BenchSettings s = parse("--status-writers", "4", "--max-in-flight", "1024", "--counters", "off", "--ordering",
                "none", "--pg-fsync", "off", "--client", "java", "--connections", "8", "--partitions", "2").settings();
        assertThat(s.statusWriters()).isEqualTo(4);
        assertThat(s.maxInFlight()).isEqualTo(1024);
        assertThat(s.counters()).isFalse();
        assertThat(s.ordering()).isEqualTo(Ordering.NONE);
        assertThat(s.durable()).isFalse();
        assertThat(s.client()).isEqualTo("java");
        assertThat(s.connections()).isEqualTo(8);
        assertThat(s.partitions()).isEqualTo(2);
    }

    @Test
    void invalidOptionsNameTheOption() {
        assertThatThrownBy(() -> parse("--workloads", "W7").settings()).hasMessageContaining("--workloads");
        assertThatThrownBy(() -> parse("--counters", "maybe").settings()).hasMessageContaining("--counters");
        assertThatThrownBy(() -> parse("--ordering", "fifo").settings()).hasMessageContaining("--ordering");
        assertThatThrownBy(() -> parse("--w2-jobs", "0").settings()).hasMessageContaining("--w2-jobs");
        assertThatThrownBy(() -> parse("--scale", "-1").settings()).hasMessageContaining("--scale");
    }

    @Test
    void usageErrorsExitTwoBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute("bench", "--workloads", "W9");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--workloads").contains("Usage:");
        assertThat(new CommandLine(new Main()).setErr(new PrintWriter(new StringWriter()))
                .execute("bench", "--w1-jobs", "many")).isEqualTo(2);
    }
}
