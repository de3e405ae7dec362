package dev.conveyor.worker.internal;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * How records come back to the poll thread once settled: made durable by a completer (their offset
 * may be committed) or abandoned by an execution (never committed past; redelivered). Any thread
 * offers; only the poll thread takes.
 */
final class Settlements {

    /** What the poll thread does with each settled record. */
    interface Sink {
        void durable(WriterEvent event);

        void abandoned(Execution execution);
    }

    private final BlockingQueue<WriterEvent> durable = new LinkedBlockingQueue<>();
    private final Queue<Execution> abandoned = new ConcurrentLinkedQueue<>();

    /** A completer made {@code event} durable. */
    void durable(WriterEvent event) {
        durable.add(event);
    }

    /** An execution ended without an outcome. */
    void abandoned(Execution execution) {
        abandoned.add(execution);
    }

    /** Hands everything settled so far to {@code sink}. */
    void drainTo(Sink sink) {
        WriterEvent event;
        while ((event = durable.poll()) != null) {
            sink.durable(event);
        }
        Execution e;
        while ((e = abandoned.poll()) != null) {
            sink.abandoned(e);
        }
    }

    /** Waits up to {@code timeout} for one record to become durable and hands it to {@code sink}. */
    void awaitDurable(Duration timeout, Sink sink) {
        try {
            WriterEvent event = durable.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event != null) {
                sink.durable(event);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
