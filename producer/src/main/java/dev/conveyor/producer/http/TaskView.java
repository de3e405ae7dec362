package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;
import static dev.conveyor.store.db.jooq.Tables.TASKS;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.store.TaskDocument;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A task row and its history as JSON ({@code GET /v1/tasks/{id}}): the {@link TaskDocument}
 * (fields, payload preview, transitions) that callbacks carry too. Outbound
 * deliveries of its terminal statuses (callback, notifications) are listed under {@code deliveries}
 * with their attempts and last outcome.
 */
final class TaskView {

    private TaskView() {}

    /** The task as JSON, or null when there is no such task. */
    static ObjectNode find(DSLContext dsl, UUID id) {
        TasksRecord t = dsl.selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
        if (t == null) {
            return null;
        }
        ObjectNode json = TaskDocument.of(dsl, t);
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
