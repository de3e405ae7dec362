package dev.conveyor.producer.http;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.json.JsonCodec;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/interactive/{topic}} (SPEC §4): enqueues the request as an interactive task and
 * answers with the extension's answer, read from the replies topic by the {@link ReplyListener};
 * 504 when none comes within the topic's timeout.
 */
final class InteractiveService implements HttpService {

    private final EventIntake intake;
    private final ReplyListener replies;
    private final TopicKinds kinds;

    InteractiveService(EventIntake intake, ReplyListener replies, TopicKinds kinds) {
        this.intake = intake;
        this.replies = replies;
        this.kinds = kinds;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/interactive/{topic}", this::post)
                .any("/v1/interactive/{topic}", JsonResponses.methodNotAllowed("POST"));
    }

    private void post(ServerRequest req, ServerResponse res) {
        intake.limits().guarded(() -> {
            String topic = intake.knownTopic(req);
            String kind = kinds.of(topic);
            if (kind != null && !kind.equals("interactive")) {
                // Nothing would answer: the caller would wait out the timeout for a 504.
                throw new HttpError(409, "not an interactive topic", "topic '" + topic + "' is served by a " + kind
                        + " extension, which gives no HTTP answer; POST /v1/events/" + topic + " enqueues it instead");
            }
            EventHeaders h = EventHeaders.parse(req.headers(), intake.clock());
            if (h.deliverAt() != null) {
                throw HttpError.badHeader(h.scheduleHeader(), "interactive requests cannot be scheduled");
            }
            EventBody body = EventBody.parse(req.headers(), intake.limits().readBody(req));
            Duration timeout = intake.config().interactiveTimeout(topic);
            Instant deadline = intake.clock().instant().plus(timeout);
            Task task = intake.publisher()
                    .draft(topic, body.payload(), EventOptions.event(topic, TaskKind.INTERACTIVE, body, h))
                    .replyTo(intake.config().repliesTopic())
                    .deadline(deadline)
                    .build();
            awaitRepliesReady();
            CompletableFuture<InteractiveResult> answer = replies.register(task.id());
            if (answer == null) {
                throw new HttpError(429, "too many requests", "too many interactive requests are waiting; retry shortly",
                        Map.of("Retry-After", "1"));
            }
            try {
                intake.enqueuer().produce(task, null, TaskEnqueuer.MAY_BE_ENQUEUED_INTERACTIVE);
                send(res, task, await(answer, task, deadline, timeout));
            } finally {
                replies.forget(task.id());
            }
        });
    }

    private InteractiveResult await(CompletableFuture<InteractiveResult> answer, Task task, Instant deadline,
            Duration timeout) {
        try {
            long remaining = Math.max(1, Duration.between(intake.clock().instant(), deadline).toMillis());
            return answer.get(remaining, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new HttpError(504, "timeout", "no answer from the extension for topic " + task.topic() + " within "
                    + timeout.toMillis() + " ms; task " + task.id());
        } catch (ExecutionException e) {
            throw new HttpError(502, "bad answer", "the extension's answer could not be read: "
                    + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "unavailable", "the ingress is stopping", Map.of("Retry-After", "1"));
        }
    }

    /** The extension's answer as it rendered it, with the task id. */
    private static void send(ServerResponse res, Task task, InteractiveResult result) {
        JsonCodec.RenderedBody rendered = JsonCodec.render(result);
        res.status(result.httpStatus());
        result.headers().forEach((name, value) -> {
            if (!name.equalsIgnoreCase("Content-Length")) {
                res.header(name, value);
            }
        });
        if (rendered.contentType() != null) {
            res.header(HeaderNames.CONTENT_TYPE, rendered.contentType());
        }
        res.header("X-Conveyor-Task-Id", task.id().toString());
        res.send(rendered.bytes());
    }

    private void awaitRepliesReady() {
        try {
            if (!replies.awaitReady(Duration.ofSeconds(5))) {
                throw new HttpError(503, "unavailable", "the replies topic is not reachable yet",
                        Map.of("Retry-After", "5"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "unavailable", "interrupted", Map.of("Retry-After", "1"));
        }
    }
}
