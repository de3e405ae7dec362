package dev.conveyor.worker.outbound.internal;

import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.Locale;

/**
 * One circuit breaker per destination host, so a receiver that is down does not use up the attempts
 * of its rows: while its breaker refuses, rows are postponed instead of sent.
 */
final class HostBreakers {

    private final CircuitBreakerRegistry breakers;
    private final OutboundSettings.Tuning tuning;

    HostBreakers(OutboundSettings.Tuning tuning) {
        this.tuning = tuning;
        CircuitBreakerSettings b = tuning.breaker();
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.window())
                .minimumNumberOfCalls(b.window())
                .failureRateThreshold(b.failureRate())
                .waitDurationInOpenState(b.openFor())
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    /** The breaker of a host, whatever its case. */
    CircuitBreaker of(String host) {
        return breakers.circuitBreaker(host.toLowerCase(Locale.ROOT));
    }

    /**
     * How long to postpone a row the breaker refused: until the breaker may half-open when it is
     * open, else (half-open, its one trial call taken) the next poll.
     */
    Duration postponeFor(CircuitBreaker refusing) {
        return refusing.getState() == CircuitBreaker.State.OPEN ? tuning.breaker().openFor() : tuning.poll();
    }

    /** Whether an answer counts against the receiver: no answer, a 5xx, or 429 Too Many Requests. */
    static boolean receiverUnwell(Integer status) {
        return status == null || status >= 500 || status == 429;
    }
}
