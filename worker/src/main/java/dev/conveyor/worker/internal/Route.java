package dev.conveyor.worker.internal;

import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Extension;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.RateLimit;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;

/**
 * Where the tasks of one topic go and under which guards: the owning extension and its settings
 * resolved in order worker default → extension {@code settings()} → {@code worker.topics.<topic>}.
 *
 * @param bulkhead the topic's Resilience4j bulkhead: at most {@code concurrency} executions at once
 * @param rateLimiter the topic's Resilience4j rate limiter, or null when it has no {@code rate}
 * @param breaker the topic's Resilience4j circuit breaker, or null when it has no {@code circuit-breaker}
 */
public record Route(String topic, Extension extension, Kind kind, Duration timeout, Ordering ordering,
        RetryPolicy retry, int concurrency, Bulkhead bulkhead, RateLimiter rateLimiter, CircuitBreaker breaker) {

    /** Which SPI interface the extension implements. */
    public enum Kind { BACKGROUND, INTERACTIVE, SCHEDULED }

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
        ExtensionSettings own = extension.settings() == null ? ExtensionSettings.none() : extension.settings();
        TopicSettings override = config.topics().getOrDefault(topic, TopicSettings.none());
        Kind kind = extension instanceof BackgroundExtension ? Kind.BACKGROUND
                : extension instanceof InteractiveExtension ? Kind.INTERACTIVE : Kind.SCHEDULED;

        Duration timeout = first(override.timeout(), own.timeout().orElse(null), config.timeout());
        Ordering ordering = first(override.ordering(), own.ordering().orElse(null), config.ordering());
        int concurrency = first(override.concurrency(), own.concurrency().orElse(null), config.concurrency());
        RetryPolicy retry = config.retry();
        Integer maxAttempts = first(override.maxAttempts(), own.maxAttempts().orElse(null), retry.maxAttempts());
        retry = retry.withMaxAttempts(maxAttempts);
        var backoff = first(override.backoff(), own.backoff().orElse(null), retry.backoff());
        retry = retry.withBackoff(backoff);
        if (kind == Kind.INTERACTIVE) {
            // The caller is waiting: an interactive execution that throws is answered 500 at once, not retried.
            retry = retry.withMaxAttempts(1);
        }
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
                .maxConcurrentCalls(concurrency)
                // A task over the limit waits for a slot on its virtual thread; only stopping ends the wait.
                .maxWaitDuration(Duration.ofDays(1))
                .build());
        return new Route(topic, extension, kind, timeout, ordering, retry, concurrency, bulkhead, limiter, breaker);
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        throw new IllegalStateException("no value");
    }

    /** The settings on one line, for the start-up log. */
    public String describe() {
        return topic + "→" + extension.name() + "(" + kind.name().toLowerCase() + ", timeout " + timeout
                + ", ordering " + ordering.name().toLowerCase() + ", concurrency " + concurrency + ", max-attempts "
                + retry.maxAttempts()
                + (rateLimiter == null ? "" : ", rate " + rateLimiter.getRateLimiterConfig().getLimitForPeriod() + "/"
                        + rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod())
                + (breaker == null ? "" : ", circuit-breaker " + breaker.getCircuitBreakerConfig().getFailureRateThreshold()
                        + "% of " + breaker.getCircuitBreakerConfig().getSlidingWindowSize() + ", wait "
                        + breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1) + " ms")
                + ")";
    }
}
