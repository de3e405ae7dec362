package dev.conveyor.store;

import dev.conveyor.schema.TaskStatus;
import java.util.Objects;
import java.util.UUID;

/**
 * What the {@code tasks} table says about a task right now: enough to decide whether a delivered
 * record still needs running and how many failed executions it already had.
 *
 * @param id the task id
 * @param status its stored status
 * @param attempt the delivery number that status belongs to
 * @param reschedules reschedules the extension asked for so far
 */
public record TaskState(UUID id, TaskStatus status, int attempt, int reschedules) {

    public TaskState {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
    }

    /**
     * Whether delivery number {@code attempt} of this task must not run: the task is already
     * terminal, or the row belongs to a later delivery (this record is a stale duplicate).
     */
    public boolean supersedes(int attempt) {
        return status.isTerminal() || this.attempt > attempt
                || (this.attempt == attempt && status == TaskStatus.RESCHEDULED);
    }
}
