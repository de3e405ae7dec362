package dev.conveyor.worker.internal;

import dev.conveyor.schema.Backoff;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * How a background loop waits between tries at a dependency that is down (PostgreSQL, Kafka):
 * 100 ms doubling to 5 s, no jitter, until it works or the loop is stopped. One instance per loop;
 * {@link #succeeded()} starts the pauses over.
 *
 * <pre>{@code
 * Retry retry = Retry.untilStopped();
 * List<Row> rows = retry.call(() -> stopping, DataAccessException.class, log, "Reading due rows", store::due);
 * }</pre>
 */
public final class Retry {

    /** The pauses: 100 ms, 200 ms, 400 ms … at most 5 s. */
    public static final Backoff PAUSES = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.0);

    private int failures;

    private Retry() {
    }

    /** A fresh sequence of pauses, starting at 100 ms. */
    public static Retry untilStopped() {
        return new Retry();
    }

    /** The pause before the next try; each call doubles the next one, up to 5 s. */
    public Duration nextPause() {
        failures = Math.min(failures + 1, 64);
        return PAUSES.delay(failures, 0.5);
    }

    /** The last try worked: the next failure pauses 100 ms again. */
    public void succeeded() {
        failures = 0;
    }

    /**
     * Sleeps the next pause.
     *
     * @return false when the thread was interrupted (its interrupt flag is set again): stop the loop
     */
    public boolean pause() {
        return sleep(nextPause());
    }

    /**
     * Logs the failure with the pause that follows, then sleeps it.
     *
     * @return false when the thread was interrupted (its interrupt flag is set again): stop the loop
     */
    public boolean pauseAfter(Logger log, String what, Throwable failure) {
        Duration pause = nextPause();
        log.warn("{} failed ({}); retrying in {} ms", what, failure.getMessage(), pause.toMillis());
        return sleep(pause);
    }

    /**
     * Calls {@code attempt} until it returns, pausing after each {@code retryOn} failure.
     *
     * @throws E the last failure, when {@code stopped} says so or the thread is interrupted
     */
    public <T, E extends RuntimeException> T call(BooleanSupplier stopped, Class<E> retryOn, Logger log, String what,
                                                  Supplier<T> attempt) {
        while (true) {
            try {
                T result = attempt.get();
                succeeded();
                return result;
            } catch (RuntimeException e) {
                if (!retryOn.isInstance(e) || stopped.getAsBoolean() || !pauseAfter(log, what, e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
