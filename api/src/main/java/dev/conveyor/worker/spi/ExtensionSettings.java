package dev.conveyor.worker.spi;

import dev.conveyor.schema.Backoff;
import java.time.Duration;
import java.util.Optional;

/**
 * Defaults an extension declares for its own guards; every value is optional and an absent one
 * falls back to the worker-wide setting.
 *
 * {@snippet class="dev.conveyor.examples.ShipOrder" region="declare"}
 */
public final class ExtensionSettings {

    private static final ExtensionSettings NONE = new Builder().build();

    private final Duration timeout;
    private final Integer maxAttempts;
    private final Ordering ordering;
    private final Integer concurrency;
    private final Backoff backoff;

    private ExtensionSettings(Builder b) {
        this.timeout = b.timeout;
        this.maxAttempts = b.maxAttempts;
        this.ordering = b.ordering;
        this.concurrency = b.concurrency;
        this.backoff = b.backoff;
    }

    /** No defaults of its own: the worker settings apply. */
    public static ExtensionSettings none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Longest an execution may run before it counts as failed (and is interrupted). */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** Executions that may throw or time out before the task fails for good. */
    public Optional<Integer> maxAttempts() {
        return Optional.ofNullable(maxAttempts);
    }

    /** Which tasks may run at the same time. */
    public Optional<Ordering> ordering() {
        return Optional.ofNullable(ordering);
    }

    /** Most executions of this extension running at once in one worker. */
    public Optional<Integer> concurrency() {
        return Optional.ofNullable(concurrency);
    }

    /** Delay before re-running an execution that threw or timed out. */
    public Optional<Backoff> backoff() {
        return Optional.ofNullable(backoff);
    }

    /** Builds {@link ExtensionSettings}; each setter validates its value. */
    public static final class Builder {
        private Duration timeout;
        private Integer maxAttempts;
        private Ordering ordering;
        private Integer concurrency;
        private Backoff backoff;

        private Builder() {}

        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder ordering(Ordering ordering) {
            this.ordering = java.util.Objects.requireNonNull(ordering, "ordering");
            return this;
        }

        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = java.util.Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        public ExtensionSettings build() {
            return new ExtensionSettings(this);
        }
    }
}
