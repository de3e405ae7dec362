package dev.conveyor.bench;

/** The workloads of issue 9, in the order {@code conveyor bench} runs them. */
public enum WorkloadId {
    /** Throughput: publish/s and end-to-end tasks/s against raw Kafka and a raw PostgreSQL upsert. */
    W1,
    /** Delay accuracy: lateness of tasks due 2 s after their publish. */
    W2,
    /** Reschedule once by 1 s: wall time and lateness of the second run. */
    W3,
    /** Pickup latency at a steady rate, against a plain consumer. */
    W4,
    /** HTTP enqueue: events/s through {@code POST /v1/events} against a bare HTTP endpoint. */
    W5,
    /** Interactive round trip at a steady rate. */
    W6,
    /** Heap with a million pending reschedules. */
    M1,
    /** Steady storage: status tables' size and throughput with retention pruning, against the same run without. */
    M2
}
