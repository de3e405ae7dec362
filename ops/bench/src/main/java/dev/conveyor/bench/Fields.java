package dev.conveyor.bench;

import java.util.List;
import java.util.Map;

/**
 * The figures each workload's JSON line carries, under the field names of the established
 * queues' harness (issue 9), so results line up with theirs. Every line also carries
 * {@link #COMMON}; lines carry more (settings, diagnostics), but never fewer.
 */
public final class Fields {

    /** On every line. */
    public static final List<String> COMMON = List.of("workload", "target", "target_met", "load_average_1m");

    /** The headline figures per workload; all numeric. */
    public static final Map<WorkloadId, List<String>> FIGURES = Map.of(
            WorkloadId.W1, List.of("jobs", "enqueue_per_s", "e2e_per_s", "raw_kafka_per_s", "ratio_raw_kafka",
                    "raw_upsert_rows_per_s", "ratio_raw_upsert", "drain_per_s", "ratio_drain_raw_kafka"),
            WorkloadId.W2, List.of("jobs", "late_p50_ms", "late_p95_ms", "late_p99_ms", "late_max_ms"),
            WorkloadId.W3, List.of("jobs", "wall_s", "late2_p50_ms", "late2_p99_ms", "late2_max_ms"),
            WorkloadId.W4, List.of("jobs", "pickup_p50_ms", "pickup_p99_ms", "pickup_max_ms", "raw_pickup_p99_ms"),
            WorkloadId.W5, List.of("events_per_s", "bare_http_per_s", "ratio_bare_http"),
            WorkloadId.W6, List.of("rtt_p50_ms", "rtt_p99_ms"),
            WorkloadId.M1, List.of("heap_mb", "heap_delta_mb", "pending"),
            WorkloadId.M2, List.of("tasks", "pruned_done_per_s", "plain_done_per_s", "ratio_plain",
                    "pruned_storage_mb_last", "plain_storage_mb_last"));

    private Fields() {}
}
