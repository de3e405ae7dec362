package dev.conveyor.schema;

import java.time.Duration;
import java.util.Objects;

/**
 * How long to wait before running a task again after an execution threw or timed out.
 *
 * <pre>{@code
 * Backoff backoff = Backoff.exponential(Duration.ofSeconds(1), Duration.ofMinutes(5), 2.0, 0.2);
 * backoff.delay(1, random.nextDouble());   // about 1 s, ±20 %
 * backoff.delay(3, random.nextDouble());   // about 4 s, ±20 %
 * }</pre>
 */
@FunctionalInterface
public interface Backoff {

    /** Default first delay. */
    Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
    /** Default longest delay. */
    Duration DEFAULT_MAX = Duration.ofMinutes(5);
    /** Default growth per failure. */
    double DEFAULT_MULTIPLIER = 2.0;
    /** Default jitter: ±20 %. */
    double DEFAULT_JITTER = 0.2;

    /**
     * The delay before the next execution.
     *
     * @param failures executions that threw or timed out so far, including the one just finished (≥ 1)
     * @param random a uniformly distributed value in [0, 1) used for jitter; pass a fixed value in tests
     * @return a non-negative delay
     */
    Duration delay(int failures, double random);

    /** Conveyor's default: 1 s, doubling, at most 5 min, ±20 % jitter. */
    static Backoff defaults() {
        return exponential(DEFAULT_INITIAL, DEFAULT_MAX, DEFAULT_MULTIPLIER, DEFAULT_JITTER);
    }

    /**
     * {@code initial × multiplier^(failures-1)}, capped at {@code max}, then spread by
     * ±{@code jitter} (a fraction) so many tasks failing together do not retry together.
     *
     * @throws IllegalArgumentException naming the parameter when one is out of range
     */
    static Backoff exponential(Duration initial, Duration max, double multiplier, double jitter) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("backoff initial must be positive, was " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff max (" + max + ") must not be less than initial (" + initial + ")");
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("backoff multiplier must be at least 1, was " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter < 1.0)) {
            throw new IllegalArgumentException("backoff jitter must be in [0, 1), was " + jitter);
        }
        return new Exponential(initial, max, multiplier, jitter);
    }

    /** The backoff of {@link #exponential}: a value, so it prints and compares by its settings. */
    record Exponential(Duration initial, Duration max, double multiplier, double jitter) implements Backoff {
        @Override
        public Duration delay(int failures, double random) {
            int exponent = Math.max(0, failures - 1);
            double base = Math.min(max.toMillis(), initial.toMillis() * Math.pow(multiplier, exponent));
            double spread = base * jitter * (2 * random - 1);
            return Duration.ofMillis(Math.max(0L, Math.round(base + spread)));
        }
    }

    /** The backoff of {@link #fixed}. */
    record Fixed(Duration delay) implements Backoff {
        @Override
        public Duration delay(int failures, double random) {
            return delay;
        }
    }

    /** The same delay every time. */
    static Backoff fixed(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("backoff delay must not be negative, was " + delay);
        }
        return new Fixed(delay);
    }
}
