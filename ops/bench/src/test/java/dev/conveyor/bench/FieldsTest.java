package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The field names issue 9 fixes so results line up with the established queues' harness: a
 * rename here breaks comparisons, so it must be deliberate. BenchIT checks that the lines carry them.
 */
class FieldsTest {

    private static final Map<WorkloadId, List<String>> ISSUE = Map.of(
            WorkloadId.W1, List.of("jobs", "enqueue_per_s", "e2e_per_s", "ratio_raw_kafka"),
            WorkloadId.W2, List.of("jobs", "late_p50_ms", "late_p95_ms", "late_p99_ms", "late_max_ms"),
            WorkloadId.W3, List.of("jobs", "wall_s", "late2_p50_ms", "late2_p99_ms", "late2_max_ms"),
            WorkloadId.W4, List.of("pickup_p50_ms", "pickup_p99_ms", "pickup_max_ms", "raw_pickup_p99_ms"),
            WorkloadId.W5, List.of("events_per_s", "ratio_bare_http"),
            WorkloadId.W6, List.of("rtt_p50_ms", "rtt_p99_ms"),
            WorkloadId.M1, List.of("heap_mb"),
            WorkloadId.M2, List.of("pruned_done_per_s", "plain_done_per_s", "pruned_storage_mb_last"));

    @Test
    void everyWorkloadListsTheIssueFieldNames() {
        assertThat(Fields.FIGURES.keySet()).containsExactlyInAnyOrder(WorkloadId.values());
        ISSUE.forEach((id, fields) -> assertThat(Fields.FIGURES.get(id)).as(id.name()).containsAll(fields));
        assertThat(Fields.COMMON).contains("workload", "target", "target_met", "load_average_1m");
    }

    @Test
    void theRunnerRunsEveryWorkloadOnceInIssueOrder() {
        assertThat(BenchRunner.workloads()).extracting(Workload::id).containsExactly(WorkloadId.values());
    }

    @Test
    void payloadIsAboutTwoHundredBytesOfJsonCarryingItsSequence() {
        assertThat(Payload.bytes(0).length).isBetween(180, 220);
        assertThat(Payload.bytes(99_999).length).isBetween(180, 220);
        assertThat(Payload.seq(Payload.json(4711))).isEqualTo(4711);
        assertThat(Payload.json(3)).startsWith("{").endsWith("}");
    }
}
