package dev.conveyor.worker;

import java.time.Duration;
import java.util.Objects;

/**
 * A topic's circuit breaker ({@code worker.circuit-breaker} or
 * {@code worker.topics.<topic>.circuit-breaker}), run by Resilience4j: when at least
 * {@code failureRate} percent of the last {@code window} executions failed (threw or timed out;
 * {@code fail(...)} and {@code skip(...)} answers are not failures), the breaker opens for
 * {@code openFor} ({@code wait} in the configuration). While it is open the topic's tasks are not run but <em>rescheduled</em> for the
 * rest of the wait (status {@code rescheduled}, reason {@code circuit open}), which does not use
 * up their attempts; then a few trial executions decide whether it closes again.
 *
 * @param failureRate percent of failed executions that opens the breaker (1–100; {@code failure-rate}, default 50)
 * @param window executions the rate is computed over (≥ 1; {@code window}, default 20)
 * @param openFor how long the breaker stays open ({@code wait}, default 30 s)
 */
public record CircuitBreakerSettings(int failureRate, int window, Duration openFor) {

    public CircuitBreakerSettings {
        Objects.requireNonNull(openFor, "circuit-breaker.wait");
        if (failureRate < 1 || failureRate > 100) {
            throw new IllegalArgumentException("circuit-breaker.failure-rate must be between 1 and 100, was " + failureRate);
        }
        if (window < 1 || window > 10_000) {
            throw new IllegalArgumentException("circuit-breaker.window must be between 1 and 10000, was " + window);
        }
        if (openFor.isNegative() || openFor.isZero()) {
            throw new IllegalArgumentException("circuit-breaker.wait must be a positive duration, was " + openFor);
        }
    }

    /** 50 % of the last 20 executions, open for 30 s. */
    public static CircuitBreakerSettings defaults() {
        return new CircuitBreakerSettings(50, 20, Duration.ofSeconds(30));
    }
}
