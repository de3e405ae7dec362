package dev.conveyor.worker;

import dev.conveyor.schema.Backoff;
import dev.conveyor.worker.execution.ExecutionSettings;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;

/**
 * Per-topic overrides from {@code worker.topics.<topic>} in the configuration file. Null fields
 * are not overridden. These win over the extension's own {@code settings()}.
 *
 * @param timeout {@code timeout}
 * @param ordering {@code ordering}: {@code key} or {@code none}
 * @param concurrency {@code concurrency}
 * @param maxAttempts {@code max-attempts}
 * @param backoff {@code backoff}
 * @param rate {@code rate}, e.g. {@code 100/s} (Resilience4j rate limiter)
 * @param circuitBreaker {@code circuit-breaker} (Resilience4j circuit breaker)
 */
public record TopicSettings(Duration timeout, Ordering ordering, Integer concurrency, Integer maxAttempts,
        Backoff backoff, RateLimit rate, CircuitBreakerSettings circuitBreaker) {

    /** Without a rate limit or circuit breaker. */
    public TopicSettings(Duration timeout, Ordering ordering, Integer concurrency, Integer maxAttempts, Backoff backoff) {
        this(timeout, ordering, concurrency, maxAttempts, backoff, null, null);
    }

    public TopicSettings {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("worker.topics.*.timeout must be positive, was " + timeout);
        }
        if (concurrency != null && concurrency < 1) {
            throw new IllegalArgumentException("worker.topics.*.concurrency must be at least 1, was " + concurrency);
        }
        if (maxAttempts != null && maxAttempts < 1) {
            throw new IllegalArgumentException("worker.topics.*.max-attempts must be at least 1, was " + maxAttempts);
        }
    }

    /** What these settings override for executions (all but the guards: rate and circuit breaker). */
    public ExecutionSettings.TopicOverride executionOverride() {
        return new ExecutionSettings.TopicOverride(timeout, ordering, concurrency, maxAttempts, backoff);
    }

    /** No overrides. */
    public static TopicSettings none() {
        return new TopicSettings(null, null, null, null, null, null, null);
    }
}
