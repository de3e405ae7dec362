package dev.conveyor.worker.spi;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;

/**
 * Runs background and webhook tasks: the sender got {@code 202 Accepted} and the outcome is
 * recorded in the status tables.
 *
 * {@snippet class="dev.conveyor.examples.ShipOrder" region="declare"}
 * {@snippet class="dev.conveyor.examples.ShipOrder" region="handle"}
 *
 *
 * Register it in {@code META-INF/services/dev.conveyor.worker.spi.BackgroundExtension}. A task
 * may be delivered more than once (at-least-once delivery), so make {@code handle} idempotent;
 * a task whose status is already terminal is never run again.
 */
public interface BackgroundExtension extends Extension {

    /**
     * Processes one task and says how it went. Runs on a virtual thread; blocking is fine.
     * Throwing counts as a failed execution: the task is retried with exponential backoff until
     * its max attempts are used up, then it is {@code failed} with the exception's message.
     */
    TaskResult handle(Task task) throws Exception;

    /**
     * Called after the result is durably recorded. It cannot change or delay the result;
     * exceptions are logged and ignored. Default: nothing.
     */
    default void onFinish(Task task, TaskResult result) {}
}
