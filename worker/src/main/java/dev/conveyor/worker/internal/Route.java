package dev.conveyor.worker.internal;

import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.RateLimit;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.execution.ExecutionPlan;
import dev.conveyor.worker.spi.Extension;
import dev.conveyor.worker.spi.Ordering;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import java.time.Duration;

/**
 * Where the tasks of one topic go and under which guards: the topic's {@link ExecutionPlan} (the
 * owning extension and its settings, resolved as the test kit resolves them) and the guards the
 * worker puts around it.
 *
 * @param plan the extension, its kind and its resolved timeout, ordering, retry policy and concurrency
 * @param bulkhead the topic's Resilience4j bulkhead: at most {@code concurrency} executions at once
 * @param rateLimiter the topic's Resilience4j rate limiter, or null when it has no {@code rate}
 * @param breaker the topic's Resilience4j circuit breaker, or null when it has no {@code circuit-breaker}
 */
public record Route(ExecutionPlan plan, Bulkhead bulkhead, RateLimiter rateLimiter, CircuitBreaker breaker) {

    /** Resolves the settings of {@code topic}, owned by {@code extension}, with guards of their own. */
    public static Route resolve(String topic, Extension extension, WorkerConfig config) {
        return resolve(topic, extension, config, BulkheadRegistry.ofDefaults(), RateLimiterRegistry.ofDefaults(),
                CircuitBreakerRegistry.ofDefaults());
    }

    /**
     * Resolves the settings of {@code topic}, owned by {@code extension}; its bulkhead, rate limiter
     * and circuit breaker (if configured) are created in the given registries, named after the topic.
     */
    public static Route resolve(String topic, Extension extension, WorkerConfig config, BulkheadRegistry bulkheads,
            RateLimiterRegistry limiters, CircuitBreakerRegistry breakers) {
        ExecutionPlan plan = ExecutionPlan.resolve(topic, extension, config.executionSettings());
        TopicSettings override = config.topics().getOrDefault(topic, TopicSettings.none());
        RateLimit rate = override.rate() != null ? override.rate() : config.rate();
        RateLimiter limiter = rate == null ? null : limiters.rateLimiter(topic, RateLimiterConfig.custom()
                .limitForPeriod(rate.permits())
                .limitRefreshPeriod(rate.period())
                // A task over the limit waits for its turn on its virtual thread; only stopping ends the wait.
                .timeoutDuration(Duration.ofDays(1))
                .build());
        CircuitBreakerSettings cb = override.circuitBreaker() != null ? override.circuitBreaker() : config.circuitBreaker();
        CircuitBreaker breaker = cb == null ? null : breakers.circuitBreaker(topic, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(cb.window())
                .minimumNumberOfCalls(cb.window())
                .failureRateThreshold(cb.failureRate())
                .waitDurationInOpenState(cb.openFor())
                .permittedNumberOfCallsInHalfOpenState(Math.min(cb.window(), 3))
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build());
        Bulkhead bulkhead = bulkheads.bulkhead(topic, BulkheadConfig.custom()
                .maxConcurrentCalls(plan.concurrency())
                // A task over the limit waits for a slot on its virtual thread; only stopping ends the wait.
                .maxWaitDuration(Duration.ofDays(1))
                .build());
        return new Route(plan, bulkhead, limiter, breaker);
    }

    // The plan's parts, so the worker's steps read a route as they did before the plan was cut out.

    public String topic() {
        return plan.topic();
    }

    public Extension extension() {
        return plan.extension();
    }

    public ExecutionPlan.Kind kind() {
        return plan.kind();
    }

    public Duration timeout() {
        return plan.timeout();
    }

    public Ordering ordering() {
        return plan.ordering();
    }

    public RetryPolicy retry() {
        return plan.retry();
    }

    public int concurrency() {
        return plan.concurrency();
    }

    /** The settings on one line, for the start-up log. */
    public String describe() {
        return topic() + "→" + extension().name() + "(" + kind().name().toLowerCase() + ", timeout " + timeout()
                + ", ordering " + ordering().name().toLowerCase() + ", concurrency " + concurrency() + ", max-attempts "
                + retry().maxAttempts()
                + (rateLimiter == null ? "" : ", rate " + rateLimiter.getRateLimiterConfig().getLimitForPeriod() + "/"
                        + rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod())
                + (breaker == null ? "" : ", circuit-breaker " + breaker.getCircuitBreakerConfig().getFailureRateThreshold()
                        + "% of " + breaker.getCircuitBreakerConfig().getSlidingWindowSize() + ", wait "
                        + breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1) + " ms")
                + ")";
    }
}
