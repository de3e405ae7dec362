package dev.conveyor.examples;

import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.worker.spi.ScheduledExtension;
import java.util.Set;

/** Scheduled example: runs on every fire of a schedule publishing to {@code reports}. */
public final class NightlyReport implements ScheduledExtension {

    @Override
    public Set<String> topics() {
        return Set.of("reports");
    }

    // @start region="run"
    @Override
    public ScheduledResult run(Task task) {
        String kind = task.json().path("kind").asText("daily");
        if (kind.isBlank()) {
            return ScheduledResult.fail("report kind is empty");
        }
        return ScheduledResult.done();
    }
    // @end
}
