package dev.conveyor.worker.spi;

import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;

/**
 * Runs the tasks that recurring schedules fire ({@code schedules:} in the configuration, one
 * task per fire on the schedule's topic).
 *
 * <pre>{@code
 * public final class NightlyReport implements ScheduledExtension {
 *     public Set<String> topics() { return Set.of("reports"); }
 *
 *     public ScheduledResult run(Task task) {
 *         int rows = reports.build(task.createdAt());
 *         return rows == 0 ? ScheduledResult.fail("no data for " + task.createdAt()) : ScheduledResult.done();
 *     }
 * }
 * }</pre>
 *
 * Throwing is retried with backoff like a background task; the schedule keeps firing either way.
 */
public interface ScheduledExtension extends Extension {

    /** Runs one fire of the schedule. Runs on a virtual thread. */
    ScheduledResult run(Task task) throws Exception;
}
