package dev.conveyor.worker;

import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.worker.internal.WorkerMetrics;
import dev.conveyor.worker.internal.WorkerRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.clients.producer.Producer;
import org.jooq.DSLContext;

/**
 * A worker pool: consumes the extensions' topics in one consumer group, runs each task on a
 * virtual thread, records every outcome in the status tables in batches, and commits offsets
 * only once outcomes are durable (at-least-once; a task whose status is already terminal is not
 * run again).
 *
 * <pre>{@code
 * try (Worker worker = Worker.start(WorkerConfig.defaults("127.0.0.1:9092"),
 *         new Worker.Collaborators(database.dsl(), Extensions.load(classLoader)))) {
 *     ...
 * }
 * }</pre>
 */
public final class Worker implements AutoCloseable {

    /**
     * What a worker needs from its process.
     *
     * @param dsl jOOQ over the process's one connection pool
     * @param extensions the extensions to run
     * @param meters where the worker's metrics go
     * @param clock time source for statuses and countdowns
     * @param store the process's status store; null: the worker makes one over {@code dsl}
     * @param producer the process's Kafka producer for side records (dead letters, traces, replies),
     *                 which the worker does not close; null: the worker makes its own, creates the
     *                 internal topics when missing, and closes the producer when it stops
     */
    public record Collaborators(DSLContext dsl, Extensions extensions, MeterRegistry meters, Clock clock,
                                StatusStore store, Producer<byte[], byte[]> producer) {
        public Collaborators {
            Objects.requireNonNull(dsl, "dsl");
            Objects.requireNonNull(extensions, "extensions");
            Objects.requireNonNull(meters, "meters");
            Objects.requireNonNull(clock, "clock");
        }

        /** A worker that makes its own store and Kafka producer. */
        public Collaborators(DSLContext dsl, Extensions extensions, MeterRegistry meters, Clock clock) {
            this(dsl, extensions, meters, clock, null, null);
        }

        /** With a private meter registry and the system clock. */
        public Collaborators(DSLContext dsl, Extensions extensions) {
            this(dsl, extensions, new SimpleMeterRegistry(), Clock.systemUTC());
        }

        /**
         * The same, sharing the process's status store and Kafka producer (a composition root that
         * made them has also created the internal topics).
         */
        public Collaborators sharing(StatusStore sharedStore, Producer<byte[], byte[]> sharedProducer) {
            return new Collaborators(dsl, extensions, meters, clock, Objects.requireNonNull(sharedStore, "store"),
                    Objects.requireNonNull(sharedProducer, "producer"));
        }
    }

    private final WorkerRuntime runtime;

    private Worker(WorkerRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Starts the worker: seeds extension configs, creates the internal topics if missing and
     * begins consuming.
     *
     * @throws IllegalStateException when the extensions or topics are invalid or Kafka is unreachable
     */
    public static Worker start(WorkerConfig config, Collaborators collaborators) {
        Collaborators c = collaborators.store() != null ? collaborators : new Collaborators(collaborators.dsl(),
                collaborators.extensions(), collaborators.meters(), collaborators.clock(),
                new JooqStatusStore(collaborators.dsl(), config.node(), config.outbound(),
                        config.statusModes()), collaborators.producer());
        return new Worker(new WorkerRuntime(config, c));
    }

    /** Waits until the worker has partitions assigned; false on timeout. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return runtime.awaitAssignment(timeout);
    }

    /** Records between poll and commit right now. */
    public int inFlight() {
        return runtime.inFlight();
    }

    public WorkerMetrics metrics() {
        return runtime.metrics();
    }

    /**
     * Stops as if the process died: nothing more is recorded or committed and running executions
     * are interrupted. Uncommitted records go to the next worker of the group. For tests.
     */
    public void abort() {
        runtime.abort();
    }

    /** Stops gracefully, letting running executions finish within {@code worker.shutdown-grace}. */
    @Override
    public void close() {
        runtime.close();
    }
}
