package dev.conveyor.bench;

import dev.conveyor.worker.spi.Ordering;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code conveyor bench} runs and how big: every size of every workload, with the issue's
 * sizes as defaults. Invalid values fail at construction naming the option.
 *
 * @param workloads the workloads to run, in {@link WorkloadId} order
 * @param w1Jobs W1: tasks published while the worker runs (also the raw Kafka and upsert baselines' records)
 * @param w1WarmupJobs W1: tasks drained through a worker first, unmeasured, so the JIT has compiled the path
 * @param w2Jobs W2: future-dated tasks, each due 2 s after its publish
 * @param w3Jobs W3: tasks that reschedule once by 1 s
 * @param w4Rate W4: tasks per second
 * @param w4Seconds W4: seconds of steady publishing (once to a plain consumer, once to the worker)
 * @param httpSeconds W5 and W6: measured seconds per run
 * @param httpWarmupSeconds W5 and W6: unmeasured warm-up before each measured run, same load
 * @param connections W5: keep-alive connections
 * @param client W5's load generator: {@code auto} (wrk when on the PATH), {@code java} or {@code wrk}
 * @param w6Rate W6: interactive requests per second, open-loop
 * @param m1Pending M1: pending reschedules (scheduled deliveries) in the table
 * @param partitions partitions of the benchmark topics
 * @param ordering the worker's ordering in W1 and W4
 * @param statusWriters {@code worker.status-writers} of the workers under test
 * @param maxInFlight {@code worker.max-in-flight} of the workers under test
 * @param counters false disables the {@code task_counts} triggers (to measure what they cost)
 * @param stepTimeoutSeconds longest a workload waits for its tasks before it is reported as failed
 * @param durable an embedded PostgreSQL runs with {@code fsync} and {@code synchronous_commit} on (a
 *     {@code done} row is on disk when its transaction commits, as in production); false keeps
 *     the embedded defaults (both off). No effect on an external PostgreSQL.
 */
public record BenchSettings(Set<WorkloadId> workloads, int w1Jobs, int w1WarmupJobs, int w2Jobs, int w3Jobs,
        int w4Rate, int w4Seconds, int httpSeconds, int httpWarmupSeconds, int connections, String client,
        int w6Rate, int m1Pending, int partitions, Ordering ordering, int statusWriters, int maxInFlight,
        boolean counters, int stepTimeoutSeconds, boolean durable) {

    public static final int DEFAULT_W1_JOBS = 100_000;
    public static final int DEFAULT_W1_WARMUP_JOBS = 20_000;
    public static final int DEFAULT_W2_JOBS = 10_000;
    public static final int DEFAULT_W3_JOBS = 10_000;
    public static final int DEFAULT_W4_RATE = 1000;
    public static final int DEFAULT_W4_SECONDS = 20;
    public static final int DEFAULT_HTTP_SECONDS = 10;
    public static final int DEFAULT_HTTP_WARMUP_SECONDS = 10;
    public static final int DEFAULT_CONNECTIONS = 32;
    public static final int DEFAULT_W6_RATE = 500;
    public static final int DEFAULT_M1_PENDING = 1_000_000;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final int DEFAULT_STATUS_WRITERS = 2;
    public static final int DEFAULT_MAX_IN_FLIGHT = 4096;
    public static final int DEFAULT_STEP_TIMEOUT_SECONDS = 150;

    public BenchSettings {
        if (workloads == null || workloads.isEmpty()) {
            throw new IllegalArgumentException("--workloads: at least one workload");
        }
        workloads = Set.copyOf(new LinkedHashSet<>(workloads.stream().sorted().toList()));
        atLeast("--w1-jobs", w1Jobs, 1);
        atLeast("--w1-warmup-jobs", w1WarmupJobs, 0);
        atLeast("--w2-jobs", w2Jobs, 1);
        atLeast("--w3-jobs", w3Jobs, 1);
        atLeast("--w4-rate", w4Rate, 1);
        atMost("--w4-rate", w4Rate, 1_000_000);
        atLeast("--w4-seconds", w4Seconds, 1);
        atLeast("--http-seconds", httpSeconds, 1);
        atLeast("--http-warmup-seconds", httpWarmupSeconds, 0);
        atLeast("--connections", connections, 1);
        atMost("--connections", connections, 10_000);
        atLeast("--w6-rate", w6Rate, 1);
        atMost("--w6-rate", w6Rate, 100_000);
        atLeast("--m1-pending", m1Pending, 0);
        atLeast("--partitions", partitions, 1);
        atLeast("--status-writers", statusWriters, 1);
        atLeast("--max-in-flight", maxInFlight, 1);
        atLeast("--step-timeout-seconds", stepTimeoutSeconds, 1);
        client = client == null ? "auto" : client.trim().toLowerCase(Locale.ROOT);
        if (!Set.of("auto", "java", "wrk").contains(client)) {
            throw new IllegalArgumentException("--client must be auto, java or wrk, was '" + client + "'");
        }
        if (ordering == null) {
            ordering = Ordering.KEY;
        }
    }

    /** The sizes, every workload. */
    public static BenchSettings defaults() {
        return new BenchSettings(Set.of(WorkloadId.values()), DEFAULT_W1_JOBS, DEFAULT_W1_WARMUP_JOBS, DEFAULT_W2_JOBS,
                DEFAULT_W3_JOBS, DEFAULT_W4_RATE, DEFAULT_W4_SECONDS, DEFAULT_HTTP_SECONDS, DEFAULT_HTTP_WARMUP_SECONDS,
                DEFAULT_CONNECTIONS, "auto", DEFAULT_W6_RATE, DEFAULT_M1_PENDING, DEFAULT_PARTITIONS, Ordering.KEY,
                DEFAULT_STATUS_WRITERS, DEFAULT_MAX_IN_FLIGHT, true, DEFAULT_STEP_TIMEOUT_SECONDS, true);
    }

    /**
     * Every size (jobs, pending rows, seconds) multiplied by {@code factor}, at least 1 (0 stays 0):
     * {@code --scale 0.1} is a quick run of the same shape.
     */
    public BenchSettings scaled(double factor) {
        if (!(factor > 0) || factor > 100) {
            throw new IllegalArgumentException("--scale must be above 0 and at most 100, was " + factor);
        }
        return new BenchSettings(workloads, scale(w1Jobs, factor), scale(w1WarmupJobs, factor), scale(w2Jobs, factor),
                scale(w3Jobs, factor), w4Rate, scale(w4Seconds, factor), scale(httpSeconds, factor),
                scale(httpWarmupSeconds, factor), connections, client, w6Rate, scale(m1Pending, factor), partitions,
                ordering, statusWriters, maxInFlight, counters, stepTimeoutSeconds, durable);
    }

    public boolean runs(WorkloadId id) {
        return workloads.contains(id);
    }

    /** Parses {@code W1,W4} (case-insensitive, spaces allowed). */
    public static Set<WorkloadId> parseWorkloads(String list) {
        List<WorkloadId> ids = new ArrayList<>();
        for (String s : list.split(",")) {
            String name = s.trim().toUpperCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            try {
                ids.add(WorkloadId.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--workloads: unknown workload '" + s.trim() + "' (known: "
                        + Arrays.toString(WorkloadId.values()) + ")");
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("--workloads: at least one workload");
        }
        return Set.copyOf(ids);
    }

    private static int scale(int value, double factor) {
        return value == 0 ? 0 : (int) Math.max(1, Math.round(value * factor));
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
        }
    }

    private static void atMost(String name, int value, int max) {
        if (value > max) {
            throw new IllegalArgumentException(name + " must be at most " + max + ", was " + value);
        }
    }

    /** A copy with other workloads. */
    public BenchSettings withWorkloads(Set<WorkloadId> ids) {
        return new BenchSettings(ids, w1Jobs, w1WarmupJobs, w2Jobs, w3Jobs, w4Rate, w4Seconds, httpSeconds,
                httpWarmupSeconds, connections, client, w6Rate, m1Pending, partitions, ordering, statusWriters,
                maxInFlight, counters, stepTimeoutSeconds, durable);
    }
}
