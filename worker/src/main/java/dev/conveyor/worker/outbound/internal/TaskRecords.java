package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The task record a callback carries: the fields of {@code GET /v1/tasks/{id}} (the row, a
 * preview of the payload, the transitions), read when the delivery is attempted.
 */
final class TaskRecords {

    static final int PREVIEW_BYTES = 4096;

    private TaskRecords() {}

    static TasksRecord row(DSLContext dsl, UUID id) {
        return dsl.selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
    }

    /** The callback body of a task row. */
    static ObjectNode json(DSLContext dsl, TasksRecord t) {
        ObjectNode json = Json.emptyObject()
                .put("id", t.getId().toString())
                .put("topic", t.getTopic())
                .put("extension", t.getExtension())
                .put("kind", t.getKind().wireName())
                .put("type", t.getType())
                .put("status", t.getStatus().wireName())
                .put("attempt", t.getAttempt())
                .put("reschedules", t.getReschedules())
                .put("output", t.getOutput())
                .put("contentType", t.getContentType())
                .put("callbackUrl", t.getCallbackUrl())
                .put("traceId", t.getTraceId())
                .put("idempotencyKey", t.getIdempotencyKey())
                .put("createdAt", text(t.getCreatedAt()))
                .put("updatedAt", text(t.getUpdatedAt()))
                .put("startedAt", text(t.getStartedAt()))
                .put("finishedAt", text(t.getFinishedAt()))
                .put("nextRunAt", text(t.getNextRunAt()));
        if (t.getResult() != null) {
            json.set("result", Json.parse(t.getResult().data().getBytes(StandardCharsets.UTF_8)));
        }
        byte[] payload = t.getPayload();
        if (payload != null) {
            json.put("payloadBytes", payload.length);
            String mediaType = Json.mediaType(t.getContentType());
            boolean textual = mediaType != null && (Json.isJson(mediaType) || Json.isXml(mediaType)
                    || mediaType.startsWith("text/") || mediaType.equals("application/x-www-form-urlencoded"));
            if (textual) {
                json.put("payloadPreview", new String(Arrays.copyOf(payload, Math.min(payload.length, PREVIEW_BYTES)),
                        StandardCharsets.UTF_8));
                json.put("payloadTruncated", payload.length > PREVIEW_BYTES);
            }
        }
        ArrayNode transitions = json.putArray("transitions");
        dsl.selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(t.getId())).orderBy(TASK_TRANSITIONS.SEQ)
                .fetch()
                .forEach(r -> transitions.addObject()
                        .put("seq", r.getSeq())
                        .put("from", r.getFromStatus() == null ? null : r.getFromStatus().wireName())
                        .put("to", r.getToStatus().wireName())
                        .put("at", text(r.getAt()))
                        .put("attempt", r.getAttempt())
                        .put("reason", r.getReason())
                        .put("node", r.getNode()));
        return json;
    }

    /** The values of the notification template parameters. */
    static Map<String, String> parameters(TasksRecord t) {
        Map<String, String> v = new HashMap<>();
        v.put("task.id", t.getId().toString());
        v.put("task.topic", t.getTopic());
        v.put("task.status", t.getStatus().wireName());
        v.put("task.output", t.getOutput());
        v.put("task.attempt", Integer.toString(t.getAttempt()));
        v.put("task.type", t.getType());
        v.put("task.trace_id", t.getTraceId());
        v.put("task.finished_at", text(t.getFinishedAt()));
        return v;
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
