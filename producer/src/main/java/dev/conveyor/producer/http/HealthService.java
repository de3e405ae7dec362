package dev.conveyor.producer.http;

import dev.conveyor.schema.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.jooq.DSLContext;

/**
 * The ingress's operational endpoints: {@code GET /health/live}, {@code GET /health/ready} (the
 * database answers a query and Kafka the replies topic's metadata) and {@code GET /metrics}
 * (Prometheus text; 404 when the process keeps no Prometheus registry).
 */
final class HealthService implements HttpService {

    private final DSLContext dsl;
    private final Producer<byte[], byte[]> producer;
    private final String repliesTopic;
    private final Supplier<String> prometheus;

    /**
     * @param dsl the process's database
     * @param producer the ingress's Kafka producer, asked for metadata
     * @param repliesTopic the topic whose metadata proves Kafka answers
     * @param prometheus the process's metrics in Prometheus text format, or null
     */
    HealthService(DSLContext dsl, Producer<byte[], byte[]> producer, String repliesTopic, Supplier<String> prometheus) {
        this.dsl = dsl;
        this.producer = producer;
        this.repliesTopic = repliesTopic;
        this.prometheus = prometheus;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health/live", (req, res) -> JsonResponses.sendJson(res, 200, Json.emptyObject().put("status", "up")))
                .get("/health/ready", this::ready)
                .get("/metrics", this::metrics);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        var json = Json.emptyObject();
        boolean ok = true;
        try {
            dsl.selectOne().fetch();
            json.put("database", "up");
        } catch (RuntimeException e) {
            ok = false;
            json.put("database", "down: " + e.getMessage());
        }
        try {
            producer.partitionsFor(repliesTopic);
            json.put("kafka", "up");
        } catch (RuntimeException e) {
            ok = false;
            json.put("kafka", "down: " + e.getMessage());
        }
        json.put("status", ok ? "ready" : "not ready");
        JsonResponses.sendJson(res, ok ? 200 : 503, json);
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        if (prometheus == null) {
            throw new HttpError(404, "not found", "this node keeps no Prometheus registry");
        }
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(prometheus.get().getBytes(StandardCharsets.UTF_8));
    }
}
