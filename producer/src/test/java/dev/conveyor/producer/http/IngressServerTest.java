package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IngressServerTest {

    /** The hand-written 202 body is byte for byte what Jackson writes for the same fields. */
    @Test
    void queuedBodyIsTheJsonOfItsFields() {
        UUID id = TaskIds.newId();
        Instant at = Instant.parse("2026-11-22T10:00:00.123Z");
        var plain = Json.emptyObject().put("id", id.toString()).put("status", "queued")
                .put("statusUrl", "/v1/tasks/" + id);
        assertThat(new String(EventsService.queued(id, null, null), StandardCharsets.UTF_8))
                .isEqualTo(new String(Json.toBytes(plain), StandardCharsets.UTF_8));
        assertThat(new String(EventsService.queued(id, at, null), StandardCharsets.UTF_8))
                .isEqualTo(new String(Json.toBytes(plain.put("deliverAt", at.toString())), StandardCharsets.UTF_8));
        var lean = Json.emptyObject().put("id", id.toString()).put("status", "queued")
                .put("statusUrl", "/v1/tasks/" + id + "?topic=clicks");
        assertThat(new String(EventsService.queued(id, null, "clicks"), StandardCharsets.UTF_8))
                .as("a lean task's statusUrl names its topic").isEqualTo(new String(Json.toBytes(lean), StandardCharsets.UTF_8));
    }
}
