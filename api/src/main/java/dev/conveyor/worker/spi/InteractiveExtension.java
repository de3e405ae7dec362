package dev.conveyor.worker.spi;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;

/**
 * Answers interactive tasks: an HTTP caller waits on {@code POST /v1/interactive/{topic}} and
 * receives the returned status, headers and body.
 *
 * {@snippet class="dev.conveyor.examples.PriceQuote" region="handle"}
 *
 *
 * An interactive execution is not retried: the caller is waiting. If {@code handle} throws or
 * runs past its timeout the caller receives {@code 500} with the message and the task is
 * {@code failed}.
 */
public interface InteractiveExtension extends Extension {

    /** Produces the response for one request. Runs on a virtual thread. */
    InteractiveResult handle(Task task) throws Exception;

    /** Called after the response was sent and the outcome recorded; cannot change either. */
    default void onFinish(Task task, InteractiveResult result) {}
}
