package dev.conveyor.worker.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Several {@link StatusWriter}s in parallel, each with its own thread and database connection.
 * Events of one task always go to the same writer (by task id), so a task's changes stay in
 * order; offsets may become durable out of order across writers, which the poll loop's
 * per-partition tracking absorbs (it commits only up to the first gap).
 */
final class StatusWriters {

    private final StatusWriter[] writers;
    private final List<Thread> threads = new ArrayList<>();

    StatusWriters(int count, IntFunction<StatusWriter> factory) {
        writers = new StatusWriter[count];
        for (int i = 0; i < count; i++) {
            writers[i] = factory.apply(i);
        }
    }

    void start() {
        for (int i = 0; i < writers.length; i++) {
            threads.add(Thread.ofPlatform().name("conveyor-status-writer-" + i).start(writers[i]));
        }
    }

    private StatusWriter of(Execution e) {
        return writers[Math.floorMod(e.task.id().hashCode(), writers.length)];
    }

    void submit(WriterEvent event) {
        StatusWriter w = switch (event) {
            case WriterEvent.Finished f -> of(f.execution());
            // All dead letters of a partition go through one writer: the DLQ keeps their order.
            case WriterEvent.DeadLetter d -> writers[Math.floorMod(d.partition().hashCode(), writers.length)];
        };
        w.submit(event);
    }

    /** Outcomes waiting for a writer or being written, over all writers. */
    int backlog() {
        int n = 0;
        for (StatusWriter w : writers) {
            n += w.backlog();
        }
        return n;
    }

    /** Sends an interactive answer at once (see {@link StatusWriter#reply}). */
    void reply(Execution e) {
        of(e).reply(e);
    }

    void started(Execution e) {
        of(e).started(e);
    }

    void stoppedRunning(Execution e) {
        of(e).stoppedRunning(e);
    }

    void stop(Duration wait) {
        for (StatusWriter w : writers) {
            w.stop();
        }
        join(wait);
    }

    void abort() {
        for (StatusWriter w : writers) {
            w.abort();
        }
        threads.forEach(Thread::interrupt);
        join(Duration.ofSeconds(10));
    }

    private void join(Duration wait) {
        for (Thread t : threads) {
            try {
                t.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
