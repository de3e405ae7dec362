package dev.conveyor.worker.retention;

import dev.conveyor.schema.TaskStatus;
import java.util.Map;

/**
 * What one pruning pass deleted, or would delete ({@code conveyor prune --dry-run}).
 *
 * @param ran false when another pruner was running its pass (nothing was done)
 * @param tasks finished tasks per topic and status
 * @param outboxRows delivered or finally failed outbox rows
 * @param idempotencyKeys Idempotency-Keys past their window
 * @param scanned task rows read to find them (those old enough for the shortest age)
 */
public record PruneReport(boolean ran, Map<String, Map<TaskStatus, Long>> tasks, long outboxRows, long idempotencyKeys, long scanned) {

    /** Finished tasks over every topic and status. */
    public long tasksTotal() {
        return tasks.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
    }
}
