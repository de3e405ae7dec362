package dev.conveyor.worker.execution;

import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.Extension;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;

/**
 * How the tasks of one topic are run: the owning extension, which SPI interface it implements,
 * and its settings resolved in order worker default → extension {@code settings()} →
 * {@code worker.topics.<topic>}. The worker adds its guards (bulkhead, rate limiter, circuit
 * breaker) around a plan; the test kit runs the plan alone.
 */
public record ExecutionPlan(String topic, Extension extension, Kind kind, Duration timeout, Ordering ordering,
        RetryPolicy retry, int concurrency) {

    /** Which SPI interface the extension implements. */
    public enum Kind { BACKGROUND, INTERACTIVE, SCHEDULED }

    /** Resolves the settings of {@code topic}, owned by {@code extension}, under {@code settings}. */
    public static ExecutionPlan resolve(String topic, Extension extension, ExecutionSettings settings) {
        ExtensionSettings own = extension.settings() == null ? ExtensionSettings.none() : extension.settings();
        ExecutionSettings.TopicOverride override =
                settings.topics().getOrDefault(topic, ExecutionSettings.TopicOverride.none());
        Kind kind = extension instanceof BackgroundExtension ? Kind.BACKGROUND
                : extension instanceof InteractiveExtension ? Kind.INTERACTIVE : Kind.SCHEDULED;

        Duration timeout = first(override.timeout(), own.timeout().orElse(null), settings.timeout());
        Ordering ordering = first(override.ordering(), own.ordering().orElse(null), settings.ordering());
        int concurrency = first(override.concurrency(), own.concurrency().orElse(null), settings.concurrency());
        RetryPolicy retry = settings.retry();
        Integer maxAttempts = first(override.maxAttempts(), own.maxAttempts().orElse(null), retry.maxAttempts());
        retry = retry.withMaxAttempts(maxAttempts);
        var backoff = first(override.backoff(), own.backoff().orElse(null), retry.backoff());
        retry = retry.withBackoff(backoff);
        if (kind == Kind.INTERACTIVE) {
            // The caller is waiting: an interactive execution that throws is answered 500 at once, not retried.
            retry = retry.withMaxAttempts(1);
        }
        return new ExecutionPlan(topic, extension, kind, timeout, ordering, retry, concurrency);
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
}
