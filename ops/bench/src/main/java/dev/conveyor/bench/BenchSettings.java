package dev.conveyor.bench;

import dev.conveyor.worker.spi.Ordering;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code conveyor bench} runs and how big: every size of every workload, with the issue's
 * sizes as defaults. Invalid values fail at construction naming the option.
 *
 * @param workloads the workloads to run (always in {@link WorkloadId} order)
 * @param w1Jobs W1: tasks published while the worker runs (also the raw Kafka and upsert baselines' records)
 * @param w1WarmupJobs W1: tasks drained through a worker first, unmeasured, so the JIT has compiled the path
 * @param w2Jobs W2: future-dated tasks, each due 2 s after its publish
 * @param w3Jobs W3: tasks that reschedule once by 1 s
 * @param schedulerWarmupJobs W2 and W3: tasks of an unmeasured round of the same workload first (own
 *     topic and schema), so the JIT has compiled the scheduler's and worker's paths
 * @param w4Rate W4: tasks per second
 * @param w4Seconds W4: seconds of steady publishing (once to a plain consumer, once to the worker)
 * @param httpSeconds W5 and W6: measured seconds per run
 * @param httpWarmupSeconds W5 and W6: unmeasured warm-up before each measured run, same load
 * @param connections W5: keep-alive connections
 * @param client W5's load generator: {@code auto} (wrk when on the PATH), {@code java} or {@code wrk}
 * @param w6Rate W6: interactive requests per second, open-loop
 * @param m1Pending M1: pending reschedules (scheduled deliveries) in the table
 * @param m2Tasks M2: tasks through the worker in each of its two runs
 * @param m2Rate M2: tasks per second produced in each run
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
        int schedulerWarmupJobs,
        int w4Rate, int w4Seconds, int httpSeconds, int httpWarmupSeconds, int connections, String client,
        int w6Rate, int m1Pending, int m2Tasks, int m2Rate, int partitions, Ordering ordering, int statusWriters, int maxInFlight,
        boolean counters, int stepTimeoutSeconds, boolean durable) {

    public static final int DEFAULT_W1_JOBS = 100_000;
    public static final int DEFAULT_W1_WARMUP_JOBS = 20_000;
    public static final int DEFAULT_W2_JOBS = 10_000;
    public static final int DEFAULT_W3_JOBS = 10_000;
    public static final int DEFAULT_SCHEDULER_WARMUP_JOBS = 10_000;
    public static final int DEFAULT_W4_RATE = 1000;
    public static final int DEFAULT_W4_SECONDS = 20;
    public static final int DEFAULT_HTTP_SECONDS = 10;
    public static final int DEFAULT_HTTP_WARMUP_SECONDS = 10;
    public static final int DEFAULT_CONNECTIONS = 32;
    public static final int DEFAULT_W6_RATE = 500;
    public static final int DEFAULT_M1_PENDING = 1_000_000;
    public static final int DEFAULT_M2_TASKS = 3_200_000;
    public static final int DEFAULT_M2_RATE = 8_000;
    public static final int DEFAULT_PARTITIONS = 4;
    public static final int DEFAULT_STATUS_WRITERS = 2;
    public static final int DEFAULT_MAX_IN_FLIGHT = 16_384;
    public static final int DEFAULT_STEP_TIMEOUT_SECONDS = 150;

    public BenchSettings {
        if (workloads == null || workloads.isEmpty()) {
            throw new IllegalArgumentException("--workloads: at least one workload");
        }
        workloads = Set.copyOf(workloads);
        atLeast("--w1-jobs", w1Jobs, 1);
        atLeast("--w1-warmup-jobs", w1WarmupJobs, 0);
        atLeast("--w2-jobs", w2Jobs, 1);
        atLeast("--w3-jobs", w3Jobs, 1);
        atLeast("--scheduler-warmup-jobs", schedulerWarmupJobs, 0);
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
        atLeast("--m2-tasks", m2Tasks, 1);
        atLeast("--m2-rate", m2Rate, 1);
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
        return builder().build();
    }

    /** A builder starting from the sizes. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder().workloads(workloads).w1Jobs(w1Jobs).w1WarmupJobs(w1WarmupJobs).w2Jobs(w2Jobs)
                .w3Jobs(w3Jobs).schedulerWarmupJobs(schedulerWarmupJobs).w4Rate(w4Rate).w4Seconds(w4Seconds).httpSeconds(httpSeconds)
                .httpWarmupSeconds(httpWarmupSeconds).connections(connections).client(client).w6Rate(w6Rate)
                .m1Pending(m1Pending).m2Tasks(m2Tasks).m2Rate(m2Rate).partitions(partitions).ordering(ordering).statusWriters(statusWriters)
                .maxInFlight(maxInFlight).counters(counters).stepTimeoutSeconds(stepTimeoutSeconds).durable(durable);
    }

    /**
     * Every size (jobs, pending rows, seconds) multiplied by {@code factor}, at least 1 (0 stays 0):
     * {@code --scale 0.1} is a quick run of the same shape. Rates stay as they are.
     */
    public BenchSettings scaled(double factor) {
        if (!(factor > 0) || factor > 100) {
            throw new IllegalArgumentException("--scale must be above 0 and at most 100, was " + factor);
        }
        return toBuilder().w1Jobs(scale(w1Jobs, factor)).w1WarmupJobs(scale(w1WarmupJobs, factor))
                .w2Jobs(scale(w2Jobs, factor)).w3Jobs(scale(w3Jobs, factor))
                .schedulerWarmupJobs(scale(schedulerWarmupJobs, factor)).w4Seconds(scale(w4Seconds, factor))
                .httpSeconds(scale(httpSeconds, factor)).httpWarmupSeconds(scale(httpWarmupSeconds, factor))
                .m1Pending(scale(m1Pending, factor)).m2Tasks(scale(m2Tasks, factor)).build();
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

    /** Settings one at a time; {@link #build()} validates them. */
    public static final class Builder {
        private Set<WorkloadId> workloads = Set.of(WorkloadId.values());
        private int w1Jobs = DEFAULT_W1_JOBS;
        private int w1WarmupJobs = DEFAULT_W1_WARMUP_JOBS;
        private int w2Jobs = DEFAULT_W2_JOBS;
        private int w3Jobs = DEFAULT_W3_JOBS;
        private int schedulerWarmupJobs = DEFAULT_SCHEDULER_WARMUP_JOBS;
        private int w4Rate = DEFAULT_W4_RATE;
        private int w4Seconds = DEFAULT_W4_SECONDS;
        private int httpSeconds = DEFAULT_HTTP_SECONDS;
        private int httpWarmupSeconds = DEFAULT_HTTP_WARMUP_SECONDS;
        private int connections = DEFAULT_CONNECTIONS;
        private String client = "auto";
        private int w6Rate = DEFAULT_W6_RATE;
        private int m1Pending = DEFAULT_M1_PENDING;
        private int m2Tasks = DEFAULT_M2_TASKS;
        private int m2Rate = DEFAULT_M2_RATE;
        private int partitions = DEFAULT_PARTITIONS;
        private Ordering ordering = Ordering.KEY;
        private int statusWriters = DEFAULT_STATUS_WRITERS;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private boolean counters = true;
        private int stepTimeoutSeconds = DEFAULT_STEP_TIMEOUT_SECONDS;
        private boolean durable = true;

        private Builder() {}

        public Builder workloads(Set<WorkloadId> v) { workloads = v; return this; }
        public Builder w1Jobs(int v) { w1Jobs = v; return this; }
        public Builder w1WarmupJobs(int v) { w1WarmupJobs = v; return this; }
        public Builder w2Jobs(int v) { w2Jobs = v; return this; }
        public Builder w3Jobs(int v) { w3Jobs = v; return this; }
        public Builder schedulerWarmupJobs(int v) { schedulerWarmupJobs = v; return this; }
        public Builder w4Rate(int v) { w4Rate = v; return this; }
        public Builder w4Seconds(int v) { w4Seconds = v; return this; }
        public Builder httpSeconds(int v) { httpSeconds = v; return this; }
        public Builder httpWarmupSeconds(int v) { httpWarmupSeconds = v; return this; }
        public Builder connections(int v) { connections = v; return this; }
        public Builder client(String v) { client = v; return this; }
        public Builder w6Rate(int v) { w6Rate = v; return this; }
        public Builder m1Pending(int v) { m1Pending = v; return this; }
        public Builder m2Tasks(int v) { m2Tasks = v; return this; }
        public Builder m2Rate(int v) { m2Rate = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder ordering(Ordering v) { ordering = v; return this; }
        public Builder statusWriters(int v) { statusWriters = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder counters(boolean v) { counters = v; return this; }
        public Builder stepTimeoutSeconds(int v) { stepTimeoutSeconds = v; return this; }
        public Builder durable(boolean v) { durable = v; return this; }

        /** @throws IllegalArgumentException naming the option of the first invalid value */
        public BenchSettings build() {
            return new BenchSettings(workloads, w1Jobs, w1WarmupJobs, w2Jobs, w3Jobs, schedulerWarmupJobs,
                    w4Rate, w4Seconds, httpSeconds,
                    httpWarmupSeconds, connections, client, w6Rate, m1Pending, m2Tasks, m2Rate, partitions, ordering, statusWriters,
                    maxInFlight, counters, stepTimeoutSeconds, durable);
        }
    }
}
