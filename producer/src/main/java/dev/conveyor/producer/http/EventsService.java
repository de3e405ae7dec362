package dev.conveyor.producer.http;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * {@code POST /v1/events/{topic}} (SPEC §4): a background event, enqueued now or, with
 * {@code X-Schedule-At}/{@code X-Schedule-In}, through the delayed topic. Answered 202 once Kafka
 * acknowledged it.
 */
final class EventsService implements HttpService {

    private final EventIntake intake;

    EventsService(EventIntake intake) {
        this.intake = intake;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/events/{topic}", this::post)
                .any("/v1/events/{topic}", JsonResponses.methodNotAllowed("POST"));
    }

    private void post(ServerRequest req, ServerResponse res) {
        intake.limits().guarded(() -> {
            String topic = intake.knownTopic(req);
            EventHeaders h = EventHeaders.parse(req.headers(), intake.clock());
            EventBody body = EventBody.parse(req.headers(), intake.limits().readBody(req));
            Task task = intake.publisher().toTask(topic, body.payload(),
                    EventOptions.event(topic, TaskKind.BACKGROUND, body, h));
            TaskEnqueuer.Accepted accepted = intake.enqueuer().enqueue(task,
                    h.idempotencyKey() == null ? null : "topic:" + topic, h.idempotencyKey(), h.deliverAt());
            if (accepted.replayed()) {
                res.header("Idempotent-Replayed", "true");
            }
            boolean lean = h.deliverAt() == null && intake.config().statusModes().mayKeepNoRow(task);
            JsonResponses.sendJson(res, 202, queued(accepted.id(), accepted.replayed() ? null : h.deliverAt(),
                    lean ? topic : null));
        });
    }

    /**
     * The 202 body, {@code {"id","status":"queued","statusUrl"}} (and {@code deliverAt} when
     * scheduled), written directly: a UUID, an instant and a topic name need no escaping, and this
     * answer is sent for every event. A task of a lean topic that may keep no row gets a
     * {@code statusUrl} naming its topic, so that it answers "lean" instead of 404.
     *
     * @param leanTopic the task's topic when it may keep no row, else null
     */
    static byte[] queued(UUID id, Instant deliverAt, String leanTopic) {
        String text = id.toString();
        StringBuilder b = new StringBuilder(128).append("{\"id\":\"").append(text)
                .append("\",\"status\":\"queued\",\"statusUrl\":\"/v1/tasks/").append(text);
        if (leanTopic != null) {
            b.append("?topic=").append(leanTopic);
        }
        b.append('"');
        if (deliverAt != null) {
            b.append(",\"deliverAt\":\"").append(deliverAt).append('"');
        }
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }
}
