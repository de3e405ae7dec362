package dev.conveyor.worker.execution;

import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The worker-wide settings that decide how one execution runs and what its outcome means:
 * the part of the worker's configuration the test kit needs, without Kafka, the store or the
 * guards. The worker builds it from its {@code WorkerConfig}; the test kit starts from
 * {@link #defaults()}, the worker's own defaults.
 *
 * @param timeout default execution timeout ({@code worker.timeout})
 * @param ordering default ordering ({@code worker.ordering})
 * @param concurrency default most executions at once ({@code worker.concurrency})
 * @param retry max attempts, reschedule floors and backoff ({@code worker.max-attempts},
 *     {@code worker.reschedule-floor}, {@code worker.slow-reschedule-floor}, {@code worker.backoff})
 * @param topics per-topic overrides ({@code worker.topics.<topic>}); they win over the
 *     extension's own {@code settings()}
 */
public record ExecutionSettings(Duration timeout, Ordering ordering, int concurrency, RetryPolicy retry,
        Map<String, TopicOverride> topics) {

    public static final int DEFAULT_CONCURRENCY = 64;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final Ordering DEFAULT_ORDERING = Ordering.KEY;

    public ExecutionSettings {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(ordering, "ordering");
        Objects.requireNonNull(retry, "retry");
        topics = Map.copyOf(Objects.requireNonNullElse(topics, Map.of()));
    }

    /** The worker's defaults: 60 s timeout, ordering by key, concurrency 64, the default retry policy. */
    public static ExecutionSettings defaults() {
        return new ExecutionSettings(DEFAULT_TIMEOUT, DEFAULT_ORDERING, DEFAULT_CONCURRENCY, RetryPolicy.defaults(),
                Map.of());
    }

    /** These settings with {@code override} for {@code topic} (replacing any override it had). */
    public ExecutionSettings withTopic(String topic, TopicOverride override) {
        var all = new java.util.HashMap<>(topics);
        all.put(Objects.requireNonNull(topic, "topic"), Objects.requireNonNull(override, "override"));
        return new ExecutionSettings(timeout, ordering, concurrency, retry, all);
    }

    /** These settings with another retry policy (max attempts, floors, backoff). */
    public ExecutionSettings withRetry(RetryPolicy retry) {
        return new ExecutionSettings(timeout, ordering, concurrency, retry, topics);
    }

    /** These settings with another default timeout. */
    public ExecutionSettings withTimeout(Duration timeout) {
        return new ExecutionSettings(timeout, ordering, concurrency, retry, topics);
    }

    /**
     * What {@code worker.topics.<topic>} overrides for executions; a null field is not overridden.
     *
     * @param timeout {@code timeout}
     * @param ordering {@code ordering}
     * @param concurrency {@code concurrency}
     * @param maxAttempts {@code max-attempts}
     * @param backoff {@code backoff}
     */
    public record TopicOverride(Duration timeout, Ordering ordering, Integer concurrency, Integer maxAttempts,
            Backoff backoff) {

        /** Overrides nothing. */
        public static TopicOverride none() {
            return new TopicOverride(null, null, null, null, null);
        }
    }
}
