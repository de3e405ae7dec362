package {{package}};

import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.spi.ScheduledExtension;
import java.util.Set;

/**
 * A scheduled extension: runs each time a schedule of conveyor.yaml fires on its topic, e.g.
 * <pre>
 * schedules:
 *   {{artifact}}-digest: { cron: "0 7 * * *", zone: UTC, topic: {{artifact}}-digests, data: { kind: daily } }
 * </pre>
 */
public final class Digest implements ScheduledExtension {

    @Override
    public Set<String> topics() {
        return Set.of("{{artifact}}-digests");
    }

    @Override
    public ScheduledResult run(Task task) {
        String kind = task.json().path("kind").asText("daily");
        System.out.println("building the " + kind + " digest");       // your work goes here
        return ScheduledResult.done();
    }
}
