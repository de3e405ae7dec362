package dev.conveyor.producer.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.StatusModes;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * {@code GET /v1/tasks/{id}} for a task of a lean topic that has no row ({@link StatusModes}):
 * {@code done} while its {@code lean_done} row is kept (an hour), otherwise, when the
 * {@code statusUrl} names a lean topic ({@code ?topic=}), a 200 that says the task keeps no status
 * instead of a 404 that would look like a lost task.
 */
final class LeanTaskView {

    private LeanTaskView() {}

    /** The task as far as the lean mode knows it, or null when there is nothing to say (a 404). */
    static ObjectNode find(DSLContext dsl, UUID id, String topic, StatusModes modes) {
        var done = dsl.fetchOptional("select topic, finished_at from lean_done where id = ?", id);
        if (done.isPresent()) {
            String doneTopic = done.get().get(0, String.class);
            return Json.emptyObject().put("id", id.toString()).put("topic", doneTopic).put("status", "done")
                    .put("lean", true).put("finishedAt", done.get().get(1, OffsetDateTime.class).toInstant().toString())
                    .put("detail", "done on its first run; topic " + doneTopic + " is lean (worker.status), so it keeps "
                            + "no row or history for such tasks");
        }
        if (topic == null || !modes.isLean(topic)) {
            return null;
        }
        ObjectNode json = Json.emptyObject().put("id", id.toString()).put("topic", topic);
        json.putNull("status");
        return json.put("lean", true).put("detail", "topic " + topic + " is lean (worker.status): a task that "
                + "succeeds on its first run keeps no row. This one is waiting in Kafka, running, or was done more "
                + "than an hour ago; had it failed, been rescheduled or run longer than worker.running-mark-after, "
                + "it would be shown here");
    }
}
