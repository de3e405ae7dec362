package dev.conveyor.worker.spi;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;

/**
 * Answers interactive tasks: an HTTP caller waits on {@code POST /v1/interactive/{topic}} and
 * receives the returned status, headers and body.
 *
 * <pre>{@code
 * public final class QuotePrice implements InteractiveExtension {
 *     public Set<String> topics() { return Set.of("quotes"); }
 *
 *     public InteractiveResult handle(Task task) {
 *         JsonNode request = task.json();
 *         if (!request.hasNonNull("sku")) {
 *             return InteractiveResult.fail(422, Map.of(), Map.of("error", "sku is required"), "missing sku");
 *         }
 *         return InteractiveResult.done(200, Map.of(), Map.of("price", prices.of(request.get("sku").asText())));
 *     }
 * }
 * }</pre>
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
