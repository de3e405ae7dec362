package dev.conveyor.worker.spi;

import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;

/**
 * Runs the tasks that recurring schedules fire ({@code schedules:} in the configuration, one
 * task per fire on the schedule's topic).
 *
 * {@snippet class="dev.conveyor.examples.NightlyReport" region="run"}
 *
 *
 * Throwing is retried with backoff like a background task; the schedule keeps firing either way.
 */
public interface ScheduledExtension extends Extension {

    /** Runs one fire of the schedule. Runs on a virtual thread. */
    ScheduledResult run(Task task) throws Exception;
}
