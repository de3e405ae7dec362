package dev.conveyor.worker.internal;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.execution.Normalizer;
import dev.conveyor.worker.execution.TaskLogContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one execution on its virtual thread as a pipeline of named steps: {@link Guard guard} →
 * {@link Invoker invoke} → {@link Normalizer normalize} → {@link Handoff hand off}. Whatever goes
 * wrong inside the worker ends as an abandoned execution (its offset stays uncommitted and the task
 * runs again later), never as a lost one.
 */
final class TaskExecutor {

    private static final Logger log = LoggerFactory.getLogger(TaskExecutor.class);

    /**
     * @param settled where abandoned executions go back to the poll thread
     * @param gate counts the running executions for the write-ahead bound
     */
    record Parts(Guard guard, Handoff handoff, Settlements settled, WriteAheadGate gate, WorkerMetrics metrics,
            Clock clock, RunState state) {}

    private final Parts parts;

    TaskExecutor(Parts parts) {
        this.parts = parts;
    }

    /** Runs {@code e} in the calling (virtual) thread. Never throws. */
    void execute(Execution e) {
        if (e.offsets().revoked()) {
            parts.settled().abandoned(e); // handed over before it started: the next owner runs it
            return;
        }
        TaskLogContext.set(e.task());
        try {
            parts.guard().enter(e);
            parts.gate().runningStarted();
            try {
                run(e);
            } finally {
                parts.gate().runningEnded();
                parts.guard().exit(e.route());
            }
        } catch (InterruptedException | Invoker.Abandoned ex) {
            // Worker stopping or partition revoked: the outcome is unknown, the offset stays uncommitted,
            // the task runs again later.
            abandon(e);
        } catch (Throwable t) {
            // Nothing above should throw; if it does, leave the record uncommitted rather than lose it.
            abandon(e);
            log.error("Execution of task {} failed inside the worker; it will be redelivered", e.task().id(), t);
        } finally {
            TaskLogContext.clear();
        }
    }

    private void run(Execution e) throws Invoker.Abandoned {
        Instant startedAt = parts.clock().instant();
        if (e.recordTimestamp() >= 0) {
            parts.metrics().pickup().record(Math.max(0, startedAt.toEpochMilli() - e.recordTimestamp()),
                    TimeUnit.MILLISECONDS);
        }
        parts.handoff().started(e, startedAt);
        Invoker.Invocation invocation = guardedInvoke(e, startedAt);
        RunState state = parts.state();
        if (state.aborted() || (state.stopping() && invocation.outcome() instanceof Outcome.Threw t
                && t.exceptionType().equals(InterruptedException.class.getName()))) {
            // Interrupted because this worker is going away, not because the task failed: leave it
            // undecided so the next owner runs it.
            throw new Invoker.Abandoned(null);
        }
        Instant finishedAt = parts.clock().instant();
        NextStatus next = Normalizer.next(e.route().plan(), e.task(), e.reschedulesBefore(), invocation,
                ThreadLocalRandom.current().nextDouble());
        parts.metrics().execution().record(Duration.between(startedAt, finishedAt));
        parts.handoff().finished(new Execution.Ended(e, startedAt, finishedAt, invocation, next));
    }

    /** The call guards, then the extension itself (the log context names the task already). */
    private Invoker.Invocation guardedInvoke(Execution e, Instant startedAt) throws Invoker.Abandoned {
        Invoker.Invocation refused = parts.guard().refusal(e.route(), e.task(), startedAt);
        if (refused != null) {
            return refused;
        }
        long t0 = System.nanoTime();
        Invoker.Invocation invocation;
        try {
            invocation = Invoker.invokeInContext(e.route().plan(), e.task());
        } catch (Invoker.Abandoned abandoned) {
            parts.guard().abandoned(e.route());
            throw abandoned;
        }
        parts.guard().called(e.route(), invocation.outcome(), System.nanoTime() - t0);
        return invocation;
    }

    private void abandon(Execution e) {
        parts.handoff().abandoned(e);
        parts.settled().abandoned(e);
    }
}
