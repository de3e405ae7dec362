package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BenchSettingsTest {

    @Test
    void defaultsAreTheIssueSizes() {
        BenchSettings s = BenchSettings.defaults();
        assertThat(s.workloads()).containsExactlyInAnyOrder(WorkloadId.values());
        assertThat(s.w1Jobs()).isEqualTo(100_000);
        assertThat(s.w2Jobs()).isEqualTo(10_000);
        assertThat(s.w3Jobs()).isEqualTo(10_000);
        assertThat(s.schedulerWarmupJobs()).isEqualTo(10_000);
        assertThat(s.w4Rate()).isEqualTo(1000);
        assertThat(s.w4Seconds()).isEqualTo(20);
        assertThat(s.w6Rate()).isEqualTo(500);
        assertThat(s.m1Pending()).isEqualTo(1_000_000);
        assertThat(s.durable()).isTrue();
        assertThat(s.counters()).isTrue();
    }

    @Test
    void scaleMultipliesSizesNotRatesAndKeepsZero() {
        BenchSettings s = BenchSettings.defaults().scaled(0.1);
        assertThat(s.w1Jobs()).isEqualTo(10_000);
        assertThat(s.w2Jobs()).isEqualTo(1_000);
        assertThat(s.schedulerWarmupJobs()).isEqualTo(1_000);
        assertThat(s.w4Seconds()).isEqualTo(2);
        assertThat(s.w4Rate()).isEqualTo(1000);
        assertThat(s.w6Rate()).isEqualTo(500);
        assertThat(s.m1Pending()).isEqualTo(100_000);
        assertThat(BenchSettings.defaults().scaled(0.0001).httpSeconds()).isEqualTo(1);
        assertThatThrownBy(() -> BenchSettings.defaults().scaled(0)).hasMessageContaining("--scale");
    }

    @Test
    void parsesWorkloadListsCaseInsensitively() {
        assertThat(BenchSettings.parseWorkloads("W1, w4")).isEqualTo(Set.of(WorkloadId.W1, WorkloadId.W4));
        assertThat(BenchSettings.parseWorkloads("m1")).isEqualTo(Set.of(WorkloadId.M1));
        assertThatThrownBy(() -> BenchSettings.parseWorkloads("W1,W9")).hasMessageContaining("--workloads")
                .hasMessageContaining("W9");
        assertThatThrownBy(() -> BenchSettings.parseWorkloads(" , ")).hasMessageContaining("at least one");
    }

    @Test
    void invalidValuesNameTheOption() {
        assertThatThrownBy(() -> BenchSettings.builder().w1Jobs(0).build()).hasMessageContaining("--w1-jobs");
        assertThatThrownBy(() -> BenchSettings.builder().client("curl").build()).hasMessageContaining("--client");
        assertThatThrownBy(() -> BenchSettings.builder().workloads(Set.of()).build())
                .hasMessageContaining("--workloads");
        assertThatThrownBy(() -> BenchSettings.builder().w4Rate(2_000_000).build()).hasMessageContaining("--w4-rate");
    }

    @Test
    void toBuilderRoundTrips() {
        BenchSettings s = BenchSettings.builder().workloads(EnumSet.of(WorkloadId.W2)).w2Jobs(7).durable(false).build();
        assertThat(s.toBuilder().build()).isEqualTo(s);
        assertThat(s.workloads()).containsExactly(WorkloadId.W2);
    }
}
