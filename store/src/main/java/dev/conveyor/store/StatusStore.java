package dev.conveyor.store;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The status tables as the runtime sees them, one method per transition (Oban's engine): every
 * write of a task's status goes through here. The batched ones ({@link #markRunning},
 * {@link #recordOutcomes}, {@link #schedule}, {@link #requeueDue}) take whole batches in one
 * transaction so the hot path never makes a round trip per task; {@link #cancel} and
 * {@link #retry} are an operator's, one task at a time.
 */
public interface StatusStore {

    /** Current state of each of {@code ids} that has a row; ids without a row are absent from the map. */
    Map<UUID, TaskState> load(Collection<UUID> ids);

    /**
     * Records accepted tasks ({@link StatusChange#accepted} changes): each task without a row gets
     * one, {@code queued}, created at its acceptance time, with its first transition
     * {@code → queued}. A task that has a row is left as it is (a worker may have finished it
     * already), so this never moves a task backwards and never makes a second row; applying a
     * batch again writes nothing. One statement in one transaction, whatever the batch size.
     *
     * @return the ids whose row this call created
     * @throws IllegalArgumentException when a change is not an accepted one
     */
    Set<UUID> recordQueued(List<StatusChange> accepted);

    /**
     * Records that executions started ({@link StatusChange#running} changes only): the worker
     * writes these for executions that have been running a while. One transaction, like {@link #apply}.
     *
     * @return the ids of the changes that were applied
     * @throws IllegalArgumentException when a change is not a {@code running} one
     */
    Set<UUID> markRunning(List<StatusChange> running);

    /**
     * Records how executions ended and which tasks cannot run at all ({@link StatusChange#finished}
     * and {@link StatusChange#dead} changes): the worker's batch, one transaction (the statements
     * of {@link #apply}), with the rescheduled tasks' deliveries and the terminal ones' outbox rows.
     *
     * @return the ids of the changes that were applied
     * @throws IllegalArgumentException when a change is {@code running} or {@code queued}
     */
    Set<UUID> recordOutcomes(List<StatusChange> outcomes);

    /**
     * Accepts future-dated tasks ({@link StatusChange#scheduled} changes): their rows are created
     * {@code queued} with their due time, and their deliveries queued; one transaction. Applying a
     * batch again (the same events consumed twice) changes nothing.
     *
     * @return the ids of the changes that were applied
     * @throws IllegalArgumentException when a change is not a scheduled one
     */
    Set<UUID> schedule(List<StatusChange> scheduled);

    /**
     * The scheduler claimed the deliveries {@code due}: each task still {@code rescheduled} at the
     * attempt before becomes {@code queued} at the delivered attempt, with a
     * {@code rescheduled → queued} transition ({@code next_run_at}, the due time, is kept). One
     * statement in one transaction. A task that is no longer {@code rescheduled} at the previous
     * attempt (cancelled, or already requeued by an earlier claim) is left alone, and so is one
     * another transaction holds right now (an operator cancelling it): not waited for.
     */
    void requeueDue(List<Redelivery> due, Instant at);

    /**
     * Applies the changes in one transaction, whatever their kind (the transition methods above
     * check theirs, then call this; tools and tests that build histories call it directly): upserts the {@code tasks} rows, appends their
     * transitions and queues their scheduled deliveries. A change that would not move its row
     * forward is skipped together with its transitions and delivery.
     *
     * @return the ids of the changes that were applied
     * @throws org.jooq.exception.DataAccessException when the transaction failed; nothing was written
     */
    Set<UUID> apply(List<StatusChange> changes);

    /**
     * Cancels a task that waits to run ({@code queued} or {@code rescheduled}): marks it
     * {@code cancelled} and removes any delivery it waits for in {@code scheduled_deliveries}, in
     * one transaction. A worker that later receives its record does not run it (the row is
     * terminal). Racing with the scheduler delivering it, or a worker starting it, leaves exactly
     * one outcome: the row locks order the two, and whichever comes second sees the other's result.
     * The row is cancelled at the attempt of the delivery it waited for (a {@code rescheduled}
     * task's next attempt), whose record a scheduler may already have sent: a later
     * {@link #retry} then delivers a newer attempt, which supersedes that record.
     */
    Cancellation cancel(UUID id, String reason, Instant at);

    /**
     * Enqueues a finished task ({@code failed}, {@code dead}, {@code skipped} or
     * {@code cancelled}) again as its next attempt.
     *
     * <p>First, in one transaction, the row is locked and checked, then becomes {@code queued} at
     * {@code attempt + 1} ({@code finished_at} and {@code next_run_at} cleared; output and result
     * kept) with a transition carrying {@code reason}; the transaction commits. Then
     * {@code deliver} is called with the task to produce (same id, topic, kind, type, payload,
     * content type, trace id, callback URL; the new attempt) and must return only once Kafka
     * acknowledged it.
     *
     * <p>Why the commit comes before the produce: a worker decides whether to run a record from the
     * committed row. Were the row still {@code failed} when the record arrived (produce first,
     * commit after the ack), the worker would take the record for a stale duplicate and drop it,
     * leaving the task queued forever.
     *
     * <p>When {@code deliver} throws, the row and its history are put back as they were (guarded
     * by status and attempt) and the exception propagates. If, by then, the row has moved on (the
     * record did reach Kafka despite the error and a worker picked it up), the retry stands and
     * {@link Retry.Retried} is returned.
     */
    Retry retry(UUID id, String reason, Instant at, Consumer<Task> deliver);

    /**
     * A claimed scheduled delivery of a task: the record of {@code attempt} will be produced.
     *
     * @param taskId the task
     * @param attempt the delivery number the record carries
     */
    record Redelivery(UUID taskId, int attempt) {
        public Redelivery {
            java.util.Objects.requireNonNull(taskId, "taskId");
        }
    }

    /** What {@link #cancel} did. */
    sealed interface Cancellation {
        /** The task was cancelled now. */
        record Cancelled() implements Cancellation {}

        /** The task is {@code status}, which cannot be cancelled; nothing changed. */
        record Refused(TaskStatus status) implements Cancellation {}

        /** No task with that id. */
        record NotFound() implements Cancellation {}
    }

    /** What {@link #retry} did. */
    sealed interface Retry {
        /** The task is queued again; {@code task} is what was delivered (its attempt is the new one). */
        record Retried(Task task) implements Retry {}

        /** The task is {@code status}, which cannot be retried; nothing changed. */
        record Refused(TaskStatus status) implements Retry {}

        /** No task with that id. */
        record NotFound() implements Retry {}
    }
}
