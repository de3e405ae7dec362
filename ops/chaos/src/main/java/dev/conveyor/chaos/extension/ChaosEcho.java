package dev.conveyor.chaos.extension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.util.Map;
import java.util.Set;

/**
 * The suite's interactive extension (topic {@value #TOPIC}): answers 200 with
 * {@code {"ref": <ref>, "sum": a + b}}, so the client can check the body belongs to its request.
 */
public final class ChaosEcho implements InteractiveExtension {

    /** The topic of the suite's interactive tasks. */
    public static final String TOPIC = "chaos-rpc";

    @Override
    public Set<String> topics() {
        return Set.of(TOPIC);
    }

    @Override
    public InteractiveResult handle(Task task) {
        JsonNode p = task.json();
        String ref = p.path("ref").asText("-");
        ExecutionLog.start(task.id(), task.attempt(), "interactive", ref);
        InteractiveResult result = InteractiveResult.done(200, Map.of(),
                Map.of("ref", ref, "sum", p.path("a").asLong() + p.path("b").asLong()));
        ExecutionLog.end(task.id(), task.attempt(), "interactive", ref);
        return result;
    }
}
