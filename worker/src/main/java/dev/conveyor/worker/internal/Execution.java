package dev.conveyor.worker.internal;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Task;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.TaskState;
import java.time.Instant;
import org.apache.kafka.common.TopicPartition;

/**
 * One delivery of a task on its way through the worker: dispatched by the poll loop, executed on
 * a virtual thread, recorded by the status writer. Fields set by the executing thread are read by
 * the writer only after the execution was handed over through the writer's queue.
 */
final class Execution {

    final TopicPartition partition;
    /** The partition's offsets of the assignment the record was polled in. */
    final PartitionOffsets offsets;
    final long offset;
    final Task task;
    final Route route;
    /** The stored state when the record was polled, or null when the task had no row. */
    final TaskState previous;
    /** The Kafka record's timestamp (when it was produced), for the pickup-latency metric; -1 if none. */
    final long recordTimestamp;

    volatile Instant startedAt;
    /** Set by the status writer once a {@code running} row was written for this execution. */
    boolean runningWritten;

    Invoker.Invocation invocation;
    NextStatus next;
    Instant finishedAt;

    Execution(TopicPartition partition, PartitionOffsets offsets, long offset, long recordTimestamp, Task task,
            Route route, TaskState previous) {
        this.partition = partition;
        this.offsets = offsets;
        this.recordTimestamp = recordTimestamp;
        this.offset = offset;
        this.task = task;
        this.route = route;
        this.previous = previous;
    }

    /** Reschedules asked for before this execution. */
    int reschedulesBefore() {
        return previous == null ? 0 : Math.min(previous.reschedules(), task.attempt() - 1);
    }

    StatusChange runningChange() {
        return StatusChange.running(task, route.extension().name(), previous, startedAt);
    }

    StatusChange finishedChange() {
        Task redelivery = next.countdown() == null ? null
                : task.toBuilder().attempt(task.attempt() + 1).config(null).build();
        return StatusChange.finished(task, route.extension().name(), previous, runningWritten, startedAt, finishedAt,
                next, invocation.resultJson(), redelivery);
    }
}
