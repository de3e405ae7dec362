package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.TASKS;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.StatusStore.Cancellation;
import dev.conveyor.store.StatusStore.Retry;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record14;
import org.jooq.ResultQuery;
import org.jooq.impl.DSL;

/**
 * The operator side of the status API (docs/status-api.md): {@code GET /v1/tasks} (a page of task
 * summaries, newest first, keyset pagination), {@code POST /v1/tasks/{id}/retry} and
 * {@code POST /v1/tasks/{id}/cancel}. {@code GET /v1/tasks/{id}} stays with {@link TaskView}.
 *
 * <p>The list query is written so that each filter combination has an index to walk in the
 * listing's order and stop after one page: {@code tasks_created_idx (created_at desc, id desc)}
 * without filters, {@code tasks_topic_created_idx} for a topic, the partial
 * {@code tasks_status_topic_created_idx} for statuses other than done. Statuses are rendered as
 * literals, not bind values: only a literal lets PostgreSQL prove that {@code status = 'failed'}
 * falls inside that index's {@code where status <> 'done'}, in every plan it caches.
 */
final class TasksApi implements HttpService {

    static final String RETRY_REASON = "retried by operator";
    static final String CANCEL_REASON = "cancelled by operator";
    static final int OUTPUT_CHARS = 200;

    private final DSLContext dsl;
    private final StatusStore store;
    private final Consumer<Task> enqueue;
    private final Clock clock;

    /**
     * @param dsl the process's jOOQ context (list query)
     * @param store the status store (retry, cancel)
     * @param enqueue produces a task's record and returns once Kafka acknowledged it; throws
     *     {@link HttpError} 503 otherwise
     * @param clock time of operator actions
     */
    TasksApi(DSLContext dsl, StatusStore store, Consumer<Task> enqueue, Clock clock) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.store = Objects.requireNonNull(store, "store");
        this.enqueue = Objects.requireNonNull(enqueue, "enqueue");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Registered after {@code GET /v1/tasks/{id}}, whose other methods it answers with 405. */
    @Override
    public void routing(HttpRules rules) {
        rules.get("/v1/tasks", this::list)
                .any("/v1/tasks", JsonResponses.methodNotAllowed("GET"))
                .any("/v1/tasks/{id}", JsonResponses.methodNotAllowed("GET"))
                .post("/v1/tasks/{id}/retry", this::retry)
                .any("/v1/tasks/{id}/retry", JsonResponses.methodNotAllowed("POST"))
                .post("/v1/tasks/{id}/cancel", this::cancel)
                .any("/v1/tasks/{id}/cancel", JsonResponses.methodNotAllowed("POST"));
    }

    // ---- GET /v1/tasks -----------------------------------------------------------------------

    private void list(ServerRequest req, ServerResponse res) {
        TaskQuery query = TaskQuery.parse(req.query());
        var rows = select(dsl, query).fetch();
        ObjectNode json = Json.emptyObject();
        ArrayNode tasks = json.putArray("tasks");
        int shown = Math.min(rows.size(), query.limit());
        for (int i = 0; i < shown; i++) {
            tasks.add(summary(rows.get(i)));
        }
        if (rows.size() > query.limit()) {
            var last = rows.get(shown - 1);
            json.put("nextCursor", new TaskQuery.Cursor(last.value10(), last.value1()).encode());
        } else {
            json.putNull("nextCursor");
        }
        JsonResponses.sendJson(res, 200, json);
    }

    /** The page query: {@code limit + 1} rows, so that a next page is known to exist. */
    static ResultQuery<Record14<UUID, String, String, TaskKind, String, TaskStatus, Integer, Integer, String, Instant,
            Instant, Instant, Instant, Instant>> select(DSLContext dsl, TaskQuery query) {
        return dsl.select(TASKS.ID, TASKS.TOPIC, TASKS.EXTENSION, TASKS.KIND, TASKS.TYPE, TASKS.STATUS,
                        TASKS.ATTEMPT, TASKS.RESCHEDULES, DSL.left(TASKS.OUTPUT, OUTPUT_CHARS), TASKS.CREATED_AT,
                        TASKS.UPDATED_AT, TASKS.STARTED_AT, TASKS.FINISHED_AT, TASKS.NEXT_RUN_AT)
                .from(TASKS)
                .where(conditions(query))
                .orderBy(TASKS.CREATED_AT.desc(), TASKS.ID.desc())
                .limit(query.limit() + 1);
    }

    private static List<Condition> conditions(TaskQuery query) {
        List<Condition> where = new ArrayList<>();
        if (query.statuses().size() == 1) {
            where.add(TASKS.STATUS.eq(DSL.inline(query.statuses().iterator().next(), TASKS.STATUS)));
        } else if (!query.statuses().isEmpty() && query.statuses().size() < TaskStatus.values().length) {
            where.add(TASKS.STATUS.in(query.statuses().stream().map(s -> DSL.inline(s, TASKS.STATUS)).toList()));
        }
        if (query.topic() != null) {
            where.add(TASKS.TOPIC.eq(query.topic()));
        }
        if (query.kind() != null) {
            where.add(TASKS.KIND.eq(query.kind()));
        }
        if (query.since() != null) {
            where.add(TASKS.CREATED_AT.ge(query.since()));
        }
        if (query.until() != null) {
            where.add(TASKS.CREATED_AT.lt(query.until()));
        }
        switch (query.q()) {
            case null -> { }
            case TaskQuery.Search.IdempotencyKey k -> where.add(TASKS.IDEMPOTENCY_KEY.eq(k.key()));
            case TaskQuery.Search.IdRange r -> where.add((r.lowest().equals(r.highest()) ? TASKS.ID.eq(r.lowest())
                    : TASKS.ID.between(r.lowest(), r.highest())).or(TASKS.IDEMPOTENCY_KEY.eq(r.text())));
        }
        TaskQuery.Cursor after = query.after();
        if (after != null) {
            // The row comparison is the exact keyset condition; the plain bound on created_at is
            // implied by it and lets indexes that end in created_at (without id) start the scan there.
            where.add(TASKS.CREATED_AT.le(after.createdAt()));
            where.add(DSL.row(TASKS.CREATED_AT, TASKS.ID).lt(after.createdAt(), after.id()));
        }
        return where;
    }

    private static ObjectNode summary(Record14<UUID, String, String, TaskKind, String, TaskStatus,
            Integer, Integer, String, Instant, Instant, Instant, Instant, Instant> r) {
        return Json.emptyObject()
                .put("id", r.value1().toString())
                .put("topic", r.value2())
                .put("extension", r.value3())
                .put("kind", r.value4().wireName())
                .put("type", r.value5())
                .put("status", r.value6().wireName())
                .put("attempt", r.value7())
                .put("reschedules", r.value8())
                .put("output", r.value9())
                .put("createdAt", text(r.value10()))
                .put("updatedAt", text(r.value11()))
                .put("startedAt", text(r.value12()))
                .put("finishedAt", text(r.value13()))
                .put("nextRunAt", text(r.value14()));
    }

    // ---- POST /v1/tasks/{id}/retry -----------------------------------------------------------

    private void retry(ServerRequest req, ServerResponse res) {
        UUID id = taskId(req);
        switch (store.retry(id, RETRY_REASON, clock.instant(), enqueue)) {
            case Retry.Retried r -> JsonResponses.sendJson(res, 202, Json.emptyObject()
                    .put("id", id.toString())
                    .put("status", TaskStatus.QUEUED.wireName())
                    .put("attempt", r.task().attempt())
                    .put("statusUrl", "/v1/tasks/" + id));
            case Retry.Refused r -> throw new HttpError(409, "conflict", "task is " + r.status().wireName()
                    + "; only failed, dead, skipped or cancelled tasks can be retried");
            case Retry.NotFound n -> throw unknown(id);
        }
    }

    // ---- POST /v1/tasks/{id}/cancel ----------------------------------------------------------

    private void cancel(ServerRequest req, ServerResponse res) {
        UUID id = taskId(req);
        switch (store.cancel(id, CANCEL_REASON, clock.instant())) {
            case Cancellation.Cancelled c -> JsonResponses.sendJson(res, 200, Json.emptyObject()
                    .put("id", id.toString())
                    .put("status", TaskStatus.CANCELLED.wireName()));
            case Cancellation.Refused r -> throw new HttpError(409, "conflict", "task is " + r.status().wireName()
                    + "; only queued or rescheduled tasks can be cancelled");
            case Cancellation.NotFound n -> throw unknown(id);
        }
    }

    // ---- shared ------------------------------------------------------------------------------

    private static UUID taskId(ServerRequest req) {
        String raw = req.path().pathParameters().get("id");
        UUID id = TaskIds.parseCanonical(raw);
        if (id == null) {
            throw HttpError.badRequest("invalid task id", "'" + raw + "' is not a UUID");
        }
        return id;
    }

    private static HttpError unknown(UUID id) {
        return new HttpError(404, "unknown task", "no task with id " + id);
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
