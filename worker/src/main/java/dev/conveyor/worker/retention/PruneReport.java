package dev.conveyor.worker.retention;

import dev.conveyor.schema.TaskStatus;
import java.util.List;
import java.util.Map;

/**
 * What one pruning pass deleted, or would delete ({@code conveyor prune --dry-run}).
 *
 * @param ran false when another pruner was running its pass (nothing was done)
 * @param tasks finished tasks per topic and status
 * @param outboxRows delivered or finally failed outbox rows
 * @param idempotencyKeys Idempotency-Keys past their window
 * @param scanned task rows read to find them (those old enough for the shortest age)
 * @param history what happened to the dated partitions of {@code task_transitions}
 * @param leanDone {@code lean_done} rows of lean topics past their hour
 */
public record PruneReport(boolean ran, Map<String, Map<TaskStatus, Long>> tasks, long outboxRows, long idempotencyKeys,
        long scanned, History history, long leanDone) {

    /**
     * The history partitions a pass created and dropped.
     *
     * @param created partitions created ahead (named after their UTC start)
     * @param dropped partitions dropped whole, each with the planner's estimate of its rows
     * @param keptTransitionsMoved transitions of still-kept tasks copied out of the dropped partitions
     * @param problem why the partitions could not be maintained this pass (a lock not granted in time), or null
     */
    public record History(List<String> created, Map<String, Long> dropped, long keptTransitionsMoved, String problem) {
        static final History NONE = new History(List.of(), Map.of(), 0, null);
    }

    /** Finished tasks over every topic and status. */
    public long tasksTotal() {
        return tasks.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
    }
}
