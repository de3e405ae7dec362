package dev.conveyor.store;

import dev.conveyor.schema.TaskStatus;
import java.time.Instant;
import java.util.Objects;

/**
 * One row of {@code task_transitions}: a status change with its time and reason.
 *
 * @param from status before, or null for the first record of a task
 * @param to status after
 * @param at when it happened
 * @param reason why (exception message, output, countdown), or null
 */
public record Transition(TaskStatus from, TaskStatus to, Instant at, String reason) {

    public Transition {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
    }
}
