package dev.conveyor.chaos.extension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Duration;
import java.util.Set;

/**
 * The suite's background extension (topic {@value #TOPIC}). The payload says what to do:
 * {@code {"mode": "...", "ref": "...", "ms": 3000}}:
 * <ul>
 * <li>{@code done}: done at once;
 * <li>{@code reschedule_once}: attempt 1 asks for a reschedule in 1 s, the next run is done;
 * <li>{@code throw_once}: attempt 1 throws (retried after the backoff), the next run is done;
 * <li>{@code fail}: {@code fail(output)}, the task ends {@code failed};
 * <li>{@code slow}: sleeps {@code ms} (default 3 s), then done, so kills hit executions in flight.
 * </ul>
 * Every execution is logged by {@link ExecutionLog} before it does anything.
 */
public final class ChaosTasks implements BackgroundExtension {

    /** The topic of the suite's background tasks. */
    public static final String TOPIC = "chaos";

    @Override
    public Set<String> topics() {
        return Set.of(TOPIC);
    }

    @Override
    public TaskResult handle(Task task) throws Exception {
        JsonNode p = task.json();
        String mode = p.path("mode").asText("done");
        String ref = p.path("ref").asText("-");
        ExecutionLog.start(task.id(), task.attempt(), mode, ref);
        TaskResult result = switch (mode) {
            case "done" -> TaskResult.done();
            case "reschedule_once" -> task.attempt() == 1 ? TaskResult.reschedule(Duration.ofSeconds(1)) : TaskResult.done();
            case "throw_once" -> {
                if (task.attempt() == 1) {
                    ExecutionLog.end(task.id(), task.attempt(), mode, ref);
                    throw new IllegalStateException("chaos: first attempt throws on purpose");
                }
                yield TaskResult.done();
            }
            case "fail" -> TaskResult.fail("chaos: failed on purpose (" + ref + ")");
            case "slow" -> {
                Thread.sleep(p.path("ms").asLong(3000));
                yield TaskResult.done();
            }
            default -> TaskResult.fail("chaos: unknown mode " + mode);
        };
        ExecutionLog.end(task.id(), task.attempt(), mode, ref);
        return result;
    }
}
