package dev.conveyor.worker.outbound.internal;

import static dev.conveyor.store.db.jooq.Tables.TASKS;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.store.TaskDocument;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The task record a callback carries: the fields of {@code GET /v1/tasks/{id}} (the row, a
 * preview of the payload, the transitions), read when the delivery is attempted.
 */
final class TaskRecords {

    private TaskRecords() {}

    static TasksRecord row(DSLContext dsl, UUID id) {
        return dsl.selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
    }

    /** The callback body of a task row: the same document as {@code GET /v1/tasks/{id}} without deliveries. */
    static ObjectNode json(DSLContext dsl, TasksRecord t) {
        return TaskDocument.of(dsl, t);
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
