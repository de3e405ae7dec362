package dev.conveyor.worker.internal;

import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;

/**
 * How a worker takes task records from Kafka and settles them: the consumer thread's loop, behind
 * the few calls the runtime needs. Today's one is {@link GroupConsumption} (a consumer group:
 * partitions, offsets committed up to the first outcome not yet durable). A share-group consumption
 * ({@code ordering: shared}, acknowledging each record) would sit beside it, feeding the same
 * dispatch, executor and completers.
 */
interface TaskConsumption extends Runnable {

    /** The strongest ordering this consumption can keep ({@link Ordering#KEY} for a consumer group). */
    Ordering ordering();

    /** Waits until the consumption got its first work to do (partitions); false on timeout. */
    boolean awaitAssignment(Duration timeout) throws InterruptedException;

    /** Intake stops; running executions may finish and be settled, then {@link #run} returns. */
    void stop();

    /** Stops at once without settling anything more (a crash, for tests and fatal errors). */
    void abort();
}
