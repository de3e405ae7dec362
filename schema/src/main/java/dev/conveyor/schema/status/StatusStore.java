package dev.conveyor.schema.status;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The status tables as the runtime sees them: read the current state of many tasks at once, and
 * apply many status changes at once. Both calls take whole batches so the hot path never makes a
 * round trip per task.
 */
public interface StatusStore {

    /** Current state of each of {@code ids} that has a row; ids without a row are absent from the map. */
    Map<UUID, TaskState> load(Collection<UUID> ids);

    /**
     * Applies the changes in one transaction: upserts the {@code tasks} rows, appends their
     * transitions and queues their scheduled deliveries. A change that would not move its row
     * forward is skipped together with its transitions and delivery.
     *
     * @return the ids of the changes that were applied
     * @throws org.jooq.exception.DataAccessException when the transaction failed; nothing was written
     */
    Set<UUID> apply(List<StatusChange> changes);

    /**
     * Cancels a task that has not finished: marks it {@code cancelled} and removes any delivery
     * it waits for in {@code scheduled_deliveries}, in one transaction. Racing with the scheduler
     * delivering it, or a worker finishing it, leaves exactly one outcome: the row locks order the
     * two, and whichever comes second sees the other's result.
     */
    Cancellation cancel(UUID id, String reason, java.time.Instant at);

    /** What {@link #cancel} did. */
    enum Cancellation {
        /** The task was cancelled now. */
        CANCELLED,
        /** The task had already reached a terminal status; nothing changed. */
        ALREADY_FINISHED,
        /** No task with that id. */
        NOT_FOUND
    }
}
