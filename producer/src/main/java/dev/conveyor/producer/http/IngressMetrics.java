package dev.conveyor.producer.http;

import dev.conveyor.schema.TaskKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The ingress's meters: {@code conveyor.http.server.requests} (every request, by method, endpoint
 * group and status) and {@code conveyor.ingress.accepted} (events Kafka acknowledged, by topic, kind
 * and whether delayed) and {@code conveyor.ingress.queued.write.failures} (accepted tasks whose
 * {@code queued} row was not written before the answer; the recorder writes it later).
 */
final class IngressMetrics {

    private static final String[] ENDPOINTS = {"/v1/events", "/v1/interactive", "/v1/webhooks", "/v1/tasks",
            "/v1/stats", "/metrics", "/health", "/ui"};

    private final MeterRegistry meters;
    /*
     * Meters by tags, looked up once: building and registering a meter per request (tags sorted,
     * ids compared) cost more than the rest of the bookkeeping of a request.
     */
    private final Map<RequestKey, Timer> requestTimers = new ConcurrentHashMap<>();
    private final Map<AcceptedKey, Counter> acceptedCounters = new ConcurrentHashMap<>();

    IngressMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** The tags of one {@code conveyor.http.server.requests} timer; a handful of values each. */
    private record RequestKey(String method, String endpoint, int status) {}

    /** The tags of one {@code conveyor.ingress.accepted} counter. */
    private record AcceptedKey(String topic, TaskKind kind, boolean delayed) {}

    /** A routing filter timing every request. */
    void timeRequest(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            requestTimers.computeIfAbsent(new RequestKey(req.prologue().method().text(), endpoint(req.path().path()),
                            res.status().code()), this::requestTimer)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** Counts an event Kafka acknowledged. */
    void accepted(String topic, TaskKind kind, boolean delayed) {
        acceptedCounters.computeIfAbsent(new AcceptedKey(topic, kind, delayed), this::acceptedCounter).increment();
    }

    /** The counter of accepted tasks whose row was not written before the answer (one meter, no tags). */
    Counter queuedWriteFailures() {
        return Counter.builder("conveyor.ingress.queued.write.failures")
                .description("Accepted tasks whose queued row was not written before the answer (written later)")
                .register(meters);
    }

    /** The endpoint group of a path: a handful of values, so the metric's cardinality stays bounded. */
    static String endpoint(String path) {
        for (String prefix : ENDPOINTS) {
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                return prefix;
            }
        }
        return "other";
    }

    private Timer requestTimer(RequestKey key) {
        return Timer.builder("conveyor.http.server.requests")
                .description("HTTP requests served by the ingress")
                .tag("method", key.method())
                .tag("endpoint", key.endpoint())
                .tag("status", Integer.toString(key.status()))
                .register(meters);
    }

    private Counter acceptedCounter(AcceptedKey key) {
        return Counter.builder("conveyor.ingress.accepted")
                .description("Events accepted (acknowledged by Kafka), by topic and kind")
                .tag("topic", key.topic()).tag("kind", key.kind().wireName())
                .tag("delayed", Boolean.toString(key.delayed()))
                .register(meters);
    }
}
