package dev.conveyor.producer.http;

import static dev.conveyor.schema.db.jooq.Tables.OUTBOX;
import static dev.conveyor.schema.db.jooq.Tables.TASKS;
import static dev.conveyor.schema.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A task row and its history as JSON ({@code GET /v1/tasks/{id}}). The payload is previewed, at
 * most {@value #PREVIEW_BYTES} bytes, as text for textual types and by size otherwise. Outbound
 * deliveries of its terminal statuses (callback, notifications) are listed under {@code deliveries}
 * with their attempts and last outcome.
 */
final class TaskView {

    static final int PREVIEW_BYTES = 4096;

    private TaskView() {}

    /** The task as JSON, or null when there is no such task. */
    static ObjectNode find(DSLContext dsl, UUID id) {
        TasksRecord t = dsl.selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
        if (t == null) {
            return null;
        }
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
        dsl.selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ).fetch()
                .forEach(r -> transitions.addObject()
                        .put("seq", r.getSeq())
                        .put("from", r.getFromStatus() == null ? null : r.getFromStatus().wireName())
                        .put("to", r.getToStatus().wireName())
                        .put("at", text(r.getAt()))
                        .put("attempt", r.getAttempt())
                        .put("reason", r.getReason())
                        .put("node", r.getNode()));
        ArrayNode deliveries = json.putArray("deliveries");
        dsl.selectFrom(OUTBOX).where(OUTBOX.TASK_ID.eq(id)).orderBy(OUTBOX.ID).fetch()
                .forEach(d -> deliveries.addObject()
                        .put("target", d.getTarget())
                        .put("kind", d.getKind())
                        .put("status", d.getStatus().wireName())
                        .put("url", d.getUrl())
                        .put("state", d.getState())
                        .put("attempts", d.getAttempts())
                        .put("lastStatus", d.getLastStatus())
                        .put("lastError", d.getLastError())
                        .put("nextAttemptAt", d.getState().equals("pending") ? text(d.getNextAttemptAt()) : null)
                        .put("createdAt", text(d.getCreatedAt()))
                        .put("deliveredAt", text(d.getDeliveredAt())));
        return json;
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
