package dev.conveyor.worker.internal;

import dev.conveyor.schema.Task;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.TaskState;
import dev.conveyor.worker.execution.Invoker;
import dev.conveyor.worker.execution.Normalizer;
import java.time.Instant;
import org.apache.kafka.common.TopicPartition;

/**
 * One delivery of a task on its way through the worker, as dispatch decided it: immutable, so the
 * poll thread, the execution's virtual thread and a completer may all read it. What happens to it
 * later is a new value ({@link Ended}) or is kept by the part that owns it (the completer's
 * {@link RunningMarks}). Compared by identity: two copies of one task are two executions.
 *
 * @param offsets the partition's offsets of the assignment the record was polled in
 * @param recordTimestamp when the record could first run (its timestamp or its not-before time),
 *     for the pickup-latency metric; -1 if unknown
 * @param previous the stored state when the record was polled, or null when the task had no row
 */
record Execution(TopicPartition partition, PartitionOffsets offsets, long offset, long recordTimestamp, Task task,
        Route route, TaskState previous) {

    /** Reschedules asked for before this execution. */
    int reschedulesBefore() {
        return previous == null ? 0 : Math.min(previous.reschedules(), task.attempt() - 1);
    }

    /** The {@code running} change of this execution, started at {@code startedAt}. */
    StatusChange runningChange(Instant startedAt) {
        return StatusChange.running(task, route.extension().name(), previous, startedAt);
    }

    // Identity, not the components': hashing a task's payload per lookup would cost, and copies differ.
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    /**
     * How an execution ended, made once by its virtual thread and handed to a completer.
     *
     * @param next the status to record, as {@link Normalizer} computed it
     */
    record Ended(Execution execution, Instant startedAt, Instant finishedAt, Invoker.Invocation invocation,
            dev.conveyor.schema.NextStatus next) {

        /** The change to write; {@code runningWritten}: whether the completer already wrote {@code running}. */
        StatusChange finishedChange(boolean runningWritten) {
            Task task = execution.task();
            Task redelivery = next.countdown() == null ? null
                    : task.toBuilder().attempt(task.attempt() + 1).config(null).build();
            return StatusChange.finished(task, execution.route().extension().name(), execution.previous(),
                    runningWritten, startedAt, finishedAt, next, invocation.resultJson(), redelivery);
        }
    }
}
