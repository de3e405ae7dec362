package dev.conveyor.ops.config;

import dev.conveyor.schema.Backoff;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.RateLimit;
import dev.conveyor.worker.spi.Ordering;
import java.util.Locale;
import java.util.Optional;

/**
 * The guards shared by {@code worker.*} (every topic's default) and {@code worker.topics.<topic>.*}:
 * ordering, rate limit, backoff and circuit breaker. Empty when the key is absent.
 */
final class Guards {

    private Guards() {}

    /** {@code key} (same-key tasks one at a time, in order) or {@code none}. */
    static Ordering ordering(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "key" -> Ordering.KEY;
            case "none" -> Ordering.NONE;
            default -> throw new IllegalArgumentException("must be key or none, was '" + text + "'");
        };
    }

    /** {@code rate: 100/s} (also {@code /m}, {@code /h}). */
    static Optional<RateLimit> rate(ConfigSection section) {
        return section.parsed("rate", RateLimit::parse);
    }

    /** {@code backoff: { initial: 1s, max: 5m, multiplier: 2, jitter: 0.2 }}; a missing field keeps {@link Backoff}'s default. */
    static Optional<Backoff> backoff(ConfigSection b) {
        if (!b.present()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Backoff.exponential(b.duration("initial").orElse(Backoff.DEFAULT_INITIAL),
                    b.duration("max").orElse(Backoff.DEFAULT_MAX),
                    b.decimal("multiplier").orElse(Backoff.DEFAULT_MULTIPLIER),
                    b.decimal("jitter").orElse(Backoff.DEFAULT_JITTER)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(b.path(), e.getMessage());
        }
    }

    /**
     * {@code circuit-breaker: { failure-rate: 50, window: 20, wait: 30s }}; a missing field keeps
     * {@link CircuitBreakerSettings#defaults()}.
     */
    static Optional<CircuitBreakerSettings> circuitBreaker(ConfigSection cb) {
        if (!cb.present()) {
            return Optional.empty();
        }
        CircuitBreakerSettings d = CircuitBreakerSettings.defaults();
        try {
            return Optional.of(new CircuitBreakerSettings(cb.integer("failure-rate").orElse(d.failureRate()),
                    cb.integer("window").orElse(d.window()), cb.duration("wait").orElse(d.openFor())));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(cb.path(), e.getMessage());
        }
    }
}
