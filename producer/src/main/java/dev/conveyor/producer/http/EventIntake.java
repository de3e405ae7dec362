package dev.conveyor.producer.http;

import dev.conveyor.producer.Publisher;
import io.helidon.webserver.http.ServerRequest;
import java.time.Clock;
import java.util.Objects;

/**
 * What the services taking events in (events, interactive, webhooks) share.
 *
 * @param config the ingress settings
 * @param limits in-flight and body-size limits
 * @param publisher builds each task (the Java API's {@code draft}) and sends it
 * @param enqueuer publishes and waits for Kafka, with the idempotency key
 * @param clock time source
 */
record EventIntake(IngressConfig config, RequestLimits limits, Publisher publisher, TaskEnqueuer enqueuer,
        Clock clock) {

    EventIntake {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(enqueuer, "enqueuer");
        Objects.requireNonNull(clock, "clock");
    }

    /** The request's {@code {topic}}; 404 when it is not one of the accepted topics. */
    String knownTopic(ServerRequest req) {
        String topic = req.path().pathParameters().get("topic");
        if (!config.topics().contains(topic)) {
            throw new HttpError(404, "unknown topic", "topic '" + topic + "' is not accepted here; accepted topics: "
                    + config.topics().stream().sorted().toList());
        }
        return topic;
    }
}
