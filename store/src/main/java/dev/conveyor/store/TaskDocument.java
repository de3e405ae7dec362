package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.jooq.DSLContext;

/**
 * A task as JSON, the one form both {@code GET /v1/tasks/{id}} and callback bodies use: every
 * {@code tasks} column in camelCase, the payload previewed (at most {@value #PREVIEW_BYTES} bytes,
 * as text for textual types and by size otherwise) and the transitions, oldest first.
 */
public final class TaskDocument {

    /** Most payload bytes shown in {@code payloadPreview}. */
    public static final int PREVIEW_BYTES = 4096;

    private TaskDocument() {}

    /** The document of row {@code t}, with its transitions read through {@code dsl}. */
    public static ObjectNode of(DSLContext dsl, TasksRecord t) {
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

    /** An instant as RFC 3339 text, or null. */
    public static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
