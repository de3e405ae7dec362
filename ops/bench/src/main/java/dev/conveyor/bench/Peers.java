package dev.conveyor.bench;

import java.util.List;

/**
 * Figures of established queues measured on this kind of machine (2 cores) with the same harness
 * (issue 9), for the report's comparison table. They are references from other runs, not
 * measured by {@code conveyor bench}; the ratios to the baselines measured in the same run are
 * what survives a noisy machine.
 *
 * @param perSecond throughput in tasks/s, or -1 when not measured
 * @param w2P99Ms delay-accuracy p99, or -1
 * @param w3P99Ms reschedule p99, or -1
 */
public record Peers(String system, double perSecond, double w2P99Ms, double w3P99Ms, String note) {

    /** Raw Kafka produce→consume on this machine kind, for the throughput chart. */
    public static final double RAW_KAFKA_REFERENCE_PER_S = 170_000;
    /** Pickup p99 of the established queues measured here (W4). */
    public static final String W4_PICKUP_P99_RANGE = "2.6–10 ms";

    public static final List<Peers> REFERENCE = List.of(
            new Peers("raw Kafka produce→consume", RAW_KAFKA_REFERENCE_PER_S, -1, -1, "plain clients, the ceiling"),
            new Peers("Spring Kafka listener", 110_000, -1, 14,
                    "W3 with 1 s retry topics; ~350 tasks/s when the listener throws"),
            new Peers("Parallel Consumer", 32_000, -1, 512, ""),
            new Peers("BullMQ", 13_700, 826, 967, "Redis"),
            new Peers("db-scheduler", 6_200, 1200, -1, "durable, PostgreSQL"),
            new Peers("Celery", 1_500, -1, 12_600, ""));
}
