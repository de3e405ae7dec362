package {{package}};

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * A background extension: runs every task published to {@code {{topic}}}, for example
 * {@code curl -XPOST localhost:8080/v1/events/{{topic}} -H 'Content-Type: application/json' -d '{"email":"ada@example.com"}'}.
 */
public final class Welcome implements BackgroundExtension {

    @Override
    public Set<String> topics() {
        return Set.of("{{topic}}");
    }

    /** Seeded into the extension_configs table the first time the extension loads; read with task.config(). */
    @Override
    public Map<String, Object> defaultConfig() {
        return Map.of("greeting", "Welcome");
    }

    @Override
    public TaskResult handle(Task task) {
        JsonNode event = task.json();
        String email = event.path("email").asText("");
        if (email.isBlank()) {
            return TaskResult.skip("no email in the event");         // a permanent "nothing to do"
        }
        if (event.path("mailServerBusy").asBoolean() && task.attempt() < 3) {
            // task.attempt() counts every delivery of this task: the first is 1, each reschedule or retry adds one.
            return TaskResult.reschedule(Duration.ofMinutes(1));
        }
        if (email.indexOf('@') < 0) {
            return TaskResult.fail("not an email address: " + email); // recorded as failed, not retried
        }
        String greeting = task.config().path("greeting").asText("Welcome");
        System.out.println(greeting + ", " + email);                  // your work goes here
        return TaskResult.done();
    }
}
