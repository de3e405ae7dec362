package dev.conveyor.schema;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits that turn an execution's outcome into the next status (see {@link NextStatus#of}).
 *
 * @param maxAttempts executions that may throw or time out before the task fails for good
 *     ({@code worker.max-attempts}, default 5); reschedules asked for by the extension do not count
 * @param rescheduleFloor smallest countdown of {@link TaskResult#reschedule(Duration)}
 *     ({@code worker.reschedule-floor}, default 30 s)
 * @param slowRescheduleFloor smallest countdown of {@link TaskResult#slowProcessReschedule(Duration)}
 *     ({@code worker.slow-reschedule-floor}, default 300 s)
 * @param backoff delay before re-running an execution that threw or timed out
 */
public record RetryPolicy(int maxAttempts, Duration rescheduleFloor, Duration slowRescheduleFloor, Backoff backoff) {

    /** Default of {@code worker.max-attempts}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** Default of {@code worker.reschedule-floor}. */
    public static final Duration DEFAULT_RESCHEDULE_FLOOR = Duration.ofSeconds(30);
    /** Default of {@code worker.slow-reschedule-floor}; also the least it may be set to. */
    public static final Duration DEFAULT_SLOW_RESCHEDULE_FLOOR = Duration.ofSeconds(300);

    /**
     * Validates the limits. A slow floor below 300 s is raised to 300 s, as the contract says
     * slow reschedules never come back sooner.
     *
     * @throws IllegalArgumentException naming the setting that is out of range
     */
    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("worker.max-attempts must be at least 1, was " + maxAttempts);
        }
        Objects.requireNonNull(rescheduleFloor, "worker.reschedule-floor");
        Objects.requireNonNull(slowRescheduleFloor, "worker.slow-reschedule-floor");
        Objects.requireNonNull(backoff, "backoff");
        if (rescheduleFloor.isNegative()) {
            throw new IllegalArgumentException("worker.reschedule-floor must not be negative, was " + rescheduleFloor);
        }
        if (slowRescheduleFloor.compareTo(DEFAULT_SLOW_RESCHEDULE_FLOOR) < 0) {
            slowRescheduleFloor = DEFAULT_SLOW_RESCHEDULE_FLOOR;
        }
    }

    /** Every limit at its default. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(DEFAULT_MAX_ATTEMPTS, DEFAULT_RESCHEDULE_FLOOR, DEFAULT_SLOW_RESCHEDULE_FLOOR,
                Backoff.defaults());
    }

    /** A copy with another max attempts. */
    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(maxAttempts, rescheduleFloor, slowRescheduleFloor, backoff);
    }

    /** A copy with another backoff. */
    public RetryPolicy withBackoff(Backoff backoff) {
        return new RetryPolicy(maxAttempts, rescheduleFloor, slowRescheduleFloor, backoff);
    }
}
