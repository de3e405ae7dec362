package dev.conveyor.worker.internal;

import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one completer's status changes to the store: one transaction per call, retried with
 * {@link Retry} pauses while the database is unavailable (offsets stay uncommitted meanwhile, so a
 * crash in that window redelivers the records and nothing is lost). A change the database refuses
 * as data (SQL state class 22 or 23) is found and skipped, so one bad row cannot stop the others.
 */
final class StatusWriter {

    private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);

    private final StatusStore store;
    private final WorkerMetrics metrics;
    private final BooleanSupplier aborted;

    StatusWriter(StatusStore store, WorkerMetrics metrics, BooleanSupplier aborted) {
        this.store = store;
        this.metrics = metrics;
        this.aborted = aborted;
    }

    /** Writes {@code running} marks; the ids applied, or null if aborted meanwhile. */
    Set<UUID> markRunning(List<StatusChange> changes) {
        return apply(changes, store::markRunning);
    }

    /** Records outcomes (done, failed, rescheduled, dead, …); the ids applied, or null if aborted meanwhile. */
    Set<UUID> recordOutcomes(List<StatusChange> changes) {
        return apply(changes, store::recordOutcomes);
    }

    /** Applies {@code changes} by {@code transition}, waiting out database outages. */
    private Set<UUID> apply(List<StatusChange> changes, Function<List<StatusChange>, Set<UUID>> transition) {
        Retry retry = null;
        while (true) {
            try {
                return transition.apply(changes);
            } catch (DataAccessException e) {
                metrics.statusWriteFailed();
                if (isDataError(e)) {
                    return applyOneByOne(changes, transition);
                }
                if (aborted.getAsBoolean()) {
                    return null;
                }
                retry = retry == null ? Retry.untilStopped() : retry;
                if (!retry.pauseAfter(log, "Writing " + changes.size() + " status change(s)", e)) {
                    return null; // interrupted: only an abort does that
                }
            }
        }
    }

    /**
     * A constraint or data error is not going away by retrying: find the change that causes it,
     * record the others, and log the culprit loudly (its record is still committed so the
     * partition keeps flowing).
     */
    private Set<UUID> applyOneByOne(List<StatusChange> changes,
                                    Function<List<StatusChange>, Set<UUID>> transition) {
        Set<UUID> applied = new HashSet<>();
        for (StatusChange change : changes) {
            try {
                applied.addAll(transition.apply(List.of(change)));
            } catch (DataAccessException e) {
                if (!isDataError(e)) {
                    throw e;
                }
                log.error("Status of task {} could not be recorded and is skipped: {}", change.id(), e.getMessage());
            }
        }
        return applied;
    }

    private static boolean isDataError(DataAccessException e) {
        String state = e.sqlState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }
}
