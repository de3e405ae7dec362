package dev.conveyor.ops.cli;

import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import dev.conveyor.schema.TaskStatus;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The status-table side of a replay. A task the worker dead-lettered has a {@code dead} row, and
 * a worker never runs a record whose task is terminal; so before its record is produced again the
 * row becomes {@code queued} at the next attempt (the record then carries that attempt), the way
 * {@code conveyor tasks retry} enqueues a dead task.
 *
 * <p>The row is committed before the record is produced: a worker decides from the committed row,
 * and a record that arrived while the row was still {@code dead} would be dropped as a duplicate.
 * If the produce then fails, {@link #putBack} makes the row {@code dead} again (guarded, so a
 * worker that did get the record meanwhile keeps its newer state).
 */
final class DeadTasks {

    /** What the stored row allows. */
    sealed interface Revival {
        /** No row: the record is produced unchanged and the worker creates the task. */
        record NoRow() implements Revival {}

        /** The row was {@code dead} and is {@code queued} at {@code attempt} now. */
        record Queued(int attempt) implements Revival {}

        /** The row is {@code status}: the task was retried or replayed already, or is not dead. */
        record Refused(TaskStatus status, int attempt) implements Revival {}
    }

    private final DSLContext dsl;
    private final String node;

    DeadTasks(DSLContext dsl, String node) {
        this.dsl = dsl;
        this.node = node;
    }

    /** Moves task {@code id} from {@code dead} to {@code queued} at its next attempt, if it is dead. */
    Revival revive(UUID id, String reason, Instant at) {
        return dsl.transactionResult(tx -> {
            DSLContext t = tx.dsl();
            var row = t.select(TASKS.STATUS, TASKS.ATTEMPT).from(TASKS).where(TASKS.ID.eq(id)).forUpdate().fetchOne();
            if (row == null) {
                return new Revival.NoRow();
            }
            if (row.value1() != TaskStatus.DEAD) {
                return new Revival.Refused(row.value1(), row.value2());
            }
            int next = row.value2() + 1;
            t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.QUEUED)
                    .set(TASKS.ATTEMPT, next)
                    .set(TASKS.UPDATED_AT, at)
                    .setNull(TASKS.FINISHED_AT)
                    .setNull(TASKS.NEXT_RUN_AT)
                    .where(TASKS.ID.eq(id))
                    .execute();
            transition(t, id, TaskStatus.DEAD, TaskStatus.QUEUED, at, next, reason);
            return new Revival.Queued(next);
        });
    }

    /** Undoes {@link #revive} after the record could not be produced, unless a worker moved the row on. */
    void putBack(UUID id, int attempt, String reason, Instant at) {
        dsl.transaction(tx -> {
            DSLContext t = tx.dsl();
            int updated = t.update(TASKS)
                    .set(TASKS.STATUS, TaskStatus.DEAD)
                    .set(TASKS.UPDATED_AT, at)
                    .set(TASKS.FINISHED_AT, at)
                    .where(TASKS.ID.eq(id).and(TASKS.STATUS.eq(TaskStatus.QUEUED)).and(TASKS.ATTEMPT.eq(attempt)))
                    .execute();
            if (updated == 1) {
                transition(t, id, TaskStatus.QUEUED, TaskStatus.DEAD, at, attempt, reason);
            }
        });
    }

    private void transition(DSLContext t, UUID id, TaskStatus from, TaskStatus to, Instant at, int attempt,
            String reason) {
        t.insertInto(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID, TASK_TRANSITIONS.FROM_STATUS,
                        TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT, TASK_TRANSITIONS.ATTEMPT,
                        TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                .values(id, from, to, at, attempt, reason, node)
                .execute();
    }
}
