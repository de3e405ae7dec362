package dev.conveyor.worker.internal;

import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.execution.ExecutionPlan;
import dev.conveyor.worker.execution.Invoker;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The guard step: what an execution must pass before its extension is called. Slots: the topic's
 * rate limiter (waited for before taking a slot), the worker's {@code concurrency} permits and the
 * topic's bulkhead. Calls: an interactive caller's deadline and the topic's circuit breaker, which
 * also learns how each call went. A task refused by a call guard is not run; the refusal is its outcome.
 */
final class Guard {

    /** The partition of the execution is being handed over: it must not start here. */
    static final class Revoked extends InterruptedException {
        private static final long serialVersionUID = 1L;

        Revoked() {
            super("partition revoked while waiting for a concurrency slot");
        }
    }

    private final Semaphore permits;

    /** @param concurrency executions of this worker running at once, over all topics */
    Guard(int concurrency) {
        this.permits = new Semaphore(concurrency);
    }

    /**
     * Waits for the execution's slots; {@link #exit} gives them back.
     *
     * @throws InterruptedException when the worker is stopping, or {@link Revoked} when the
     *     execution's partition was revoked meanwhile (no slot is held then)
     */
    void enter(Execution e) throws InterruptedException {
        Route route = e.route();
        if (route.rateLimiter() != null && !route.rateLimiter().acquirePermission()) {
            throw new InterruptedException("stopped while waiting for the rate limiter");
        }
        permits.acquire();
        try {
            if (!route.bulkhead().tryAcquirePermission()) {
                throw new InterruptedException("stopped while waiting for a concurrency slot");
            }
        } catch (InterruptedException | RuntimeException ex) {
            permits.release();
            throw ex;
        }
        if (e.offsets().revoked()) {
            exit(route);
            throw new Revoked();
        }
    }

    /** Gives back the slots {@link #enter} took. */
    void exit(Route route) {
        route.bulkhead().onComplete();
        permits.release();
    }

    /**
     * The outcome of a call the guards refuse, or null when the extension may be called (a breaker
     * permission is then held: {@link #called} or {@link #abandoned} must follow).
     */
    Invoker.Invocation refusal(Route route, Task task, Instant startedAt) {
        if (route.kind() == ExecutionPlan.Kind.INTERACTIVE && task.deadline() != null && task.deadline().isBefore(startedAt)) {
            return new Invoker.Invocation(new Outcome.Threw("DeadlineExceeded",
                    "the caller's deadline " + task.deadline() + " passed before the task started"), null);
        }
        if (route.breaker() != null && !route.breaker().tryAcquirePermission()) {
            return circuitOpen(route);
        }
        return null;
    }

    /** Exceptions and timeouts count as failures for the breaker; answers (fail and skip too) as successes. */
    void called(Route route, Outcome outcome, long nanos) {
        if (route.breaker() == null) {
            return;
        }
        switch (outcome) {
            case Outcome.Threw t -> route.breaker().onError(nanos, TimeUnit.NANOSECONDS,
                    new ExtensionFailure(t.exceptionType() + ": " + t.message()));
            case Outcome.TimedOut t -> route.breaker().onError(nanos, TimeUnit.NANOSECONDS,
                    new ExtensionFailure("timed out after " + t.timeout()));
            default -> route.breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The call was abandoned (worker stopping): its breaker permission is given back unjudged. */
    void abandoned(Route route) {
        if (route.breaker() != null) {
            route.breaker().releasePermission();
        }
    }

    /** The task is not run: background tasks are rescheduled for the breaker's wait, interactive ones answered at once. */
    private static Invoker.Invocation circuitOpen(Route route) {
        if (route.kind() == ExecutionPlan.Kind.INTERACTIVE) {
            return new Invoker.Invocation(new Outcome.Threw("CircuitBreakerOpen", "circuit open for topic "
                    + route.topic() + "; the extension was not called"), null);
        }
        Duration wait = Duration.ofMillis(route.breaker().getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState()
                .apply(1));
        return new Invoker.Invocation(new Outcome.CircuitOpen(wait), null);
    }

    /** What the circuit breaker is told when an execution failed (it needs a Throwable). */
    private static final class ExtensionFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ExtensionFailure(String message) {
            super(message, null, false, false);
        }
    }
}
