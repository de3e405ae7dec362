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
import java.util.concurrent.Semaphore;

/**
 * Where the tasks of one topic go and under which guards: the owning extension and its settings
 * resolved in order worker default → extension {@code settings()} → {@code worker.topics.<topic>}.
 *
 * @param permits executions of this topic allowed at once
 */
public record Route(String topic, Extension extension, Kind kind, Duration timeout, Ordering ordering,
        RetryPolicy retry, int concurrency, Semaphore permits) {

    /** Which SPI interface the extension implements. */
    public enum Kind { BACKGROUND, INTERACTIVE, SCHEDULED }

    /** Resolves the settings of {@code topic}, owned by {@code extension}. */
    public static Route resolve(String topic, Extension extension, WorkerConfig config) {
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
        return new Route(topic, extension, kind, timeout, ordering, retry, concurrency, new Semaphore(concurrency));
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
                + retry.maxAttempts() + ")";
    }
}
