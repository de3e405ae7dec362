package dev.conveyor.producer.http;

import dev.conveyor.producer.webhooks.WebhookSetup;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.producer.webhooks.WebhookVerifier;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/webhooks/{source}} (SPEC §4): verifies the sender's signature, then enqueues the
 * body as is; a sender's redelivery (same message id) is the same task. Also runs the sources'
 * {@link WebhookSetup} steps once the ingress listens.
 */
final class WebhooksService implements HttpService {

    private static final Logger log = LoggerFactory.getLogger(WebhooksService.class);

    private final EventIntake intake;

    WebhooksService(EventIntake intake) {
        this.intake = intake;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/webhooks/{source}", this::post)
                .any("/v1/webhooks/{source}", JsonResponses.methodNotAllowed("POST"));
    }

    private void post(ServerRequest req, ServerResponse res) {
        intake.limits().guarded(() -> {
            String name = req.path().pathParameters().get("source");
            WebhookSource source = intake.config().webhooks().get(name);
            if (source == null) {
                throw new HttpError(404, "unknown webhook source", "no webhook source named '" + name + "'");
            }
            byte[] raw = intake.limits().readBody(req);
            String messageId;
            try {
                messageId = WebhookVerifier.verify(source, n -> req.headers().first(HeaderNames.create(n)).orElse(null),
                        raw, intake.clock().instant());
            } catch (WebhookVerifier.VerificationFailed e) {
                log.warn("Webhook from '{}' refused: {}", name, e.getMessage());
                throw new HttpError(403, "Request verification failed.", "the request's signature could not be verified");
            }
            String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("application/json");
            Task task = intake.publisher().toTask(source.topic(), raw, EventOptions.webhook(name, contentType, messageId));
            TaskEnqueuer.Accepted accepted = intake.enqueuer().enqueue(task,
                    messageId == null ? null : "webhook:" + name, messageId, null);
            JsonResponses.sendJson(res, 200, Json.emptyObject().put("id", accepted.id().toString()).put("status", "queued"));
        });
    }

    /**
     * Runs the set-up step of every configured source that has one.
     *
     * @param baseUri where the ingress listens
     * @throws IllegalStateException naming the webhook source whose set-up failed
     */
    void runSetups(URI baseUri) {
        for (WebhookSetup setup : ServiceLoader.load(WebhookSetup.class)) {
            WebhookSource source = intake.config().webhooks().get(setup.source());
            if (source == null) {
                continue;
            }
            try {
                setup.setUp(source, baseUri.resolve("/v1/webhooks/" + source.name()));
                log.info("Webhook source '{}' set up", source.name());
            } catch (Exception e) {
                throw new IllegalStateException("webhook source '" + source.name() + "' set-up failed: " + e.getMessage(), e);
            }
        }
    }
}
