package dev.conveyor.producer.http;

import dev.conveyor.schema.TaskIds;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import dev.conveyor.store.StatusModes;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * The task status API (docs/status-api.md) and its dashboard: {@code GET /v1/tasks/{id}}
 * ({@link TaskView}), the operator endpoints of {@link TasksApi}, {@code GET /v1/stats}
 * ({@link StatsApi}) and the files under {@code /ui/} ({@link Dashboard}). Closing it closes the
 * stats' Kafka admin client.
 */
final class StatusService implements HttpService, AutoCloseable {

    private final DSLContext dsl;
    private final TasksApi tasks;
    private final StatsApi stats;
    private final StatusModes modes;

    StatusService(DSLContext dsl, TasksApi tasks, StatsApi stats, StatusModes modes) {
        this.dsl = dsl;
        this.tasks = tasks;
        this.stats = stats;
        this.modes = modes;
    }

    @Override
    public void routing(HttpRules rules) {
        // GET /v1/tasks/{id} first: TasksApi answers its other methods with 405.
        rules.get("/v1/tasks/{id}", this::getTask)
                .register(tasks)
                .get("/v1/stats", (req, res) -> JsonResponses.sendJson(res, 200, stats.stats()))
                .register(new Dashboard());
    }

    private void getTask(ServerRequest req, ServerResponse res) {
        String raw = req.path().pathParameters().get("id");
        UUID id = TaskIds.parseCanonical(raw);
        if (id == null) {
            throw HttpError.badRequest("invalid task id", "'" + raw + "' is not a UUID");
        }
        var json = TaskView.find(dsl, id);
        if (json == null) {
            json = LeanTaskView.find(dsl, id, req.query().first("topic").orElse(null), modes);
        }
        if (json == null) {
            throw new HttpError(404, "unknown task", "no task with id " + id);
        }
        JsonResponses.sendJson(res, 200, json);
    }

    @Override
    public void close() {
        stats.close();
    }
}
