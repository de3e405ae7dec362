package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.ExtensionSettings;
import dev.conveyor.worker.spi.InteractiveExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP ingress over real HTTP, a real broker and a real PostgreSQL. */
@ConveyorIntegrationTest
class IngressIT {

    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("ingress-test-secret".getBytes());
    private static TestKafka kafka;
    private static Database database;
    private static IngressServer ingress;
    private static String orders;
    private static String quotes;
    private static String slow;
    private static String prefix;
    private static Worker worker;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final TaskRecordCodec codec = new TaskRecordCodec();

    @BeforeAll
    static void start(TestKafka k, TestDatabase db) throws Exception {
        kafka = k;
        orders = kafka.createTopic("orders", 1);
        quotes = kafka.createTopic("quotes", 1);
        slow = kafka.createTopic("slow", 1);
        prefix = TestKafka.uniqueName("ing") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 8, db.schema()), "ingress");
        ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap())
                        .port(0)
                        .topicPrefix(prefix)
                        .topics(Set.of(orders, quotes, slow))
                        .maxBody(64 * 1024)
                        .interactiveTimeouts(Map.of(slow, Duration.ofMillis(700)))
                        .webhooks(Map.of("billing", WebhookSource.of("billing", WebhookSource.Scheme.STANDARD_WEBHOOKS,
                                SECRET, orders)))
                        .build(),
                new IngressServer.Collaborators(database, Clock.systemUTC()));
        InteractiveExtension quoteExt = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(quotes, slow);
            }

            @Override
            public ExtensionSettings settings() {
                return ExtensionSettings.builder().timeout(Duration.ofSeconds(5)).build();
            }

            @Override
            public InteractiveResult handle(Task task) throws Exception {
                if (task.topic().equals(slow)) {
                    Thread.sleep(2_000);
                }
                JsonNode req = task.json();
                if (!req.hasNonNull("sku")) {
                    return InteractiveResult.fail(422, Map.of(), Map.of("error", "sku is required"), "missing sku");
                }
                return InteractiveResult.done(200, Map.of("X-Quote", "q-" + req.get("sku").asText()),
                        Map.of("sku", req.get("sku").asText(), "price", 9.9));
            }
        };
        worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix).group(TestKafka.uniqueName("iw"))
                .node("ingress-test-worker").build(), new Worker.Collaborators(database.dsl(), Extensions.of(quoteExt)));
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
    }

    @AfterAll
    static void stop() {
        worker.close();
        ingress.close();
        database.close();
    }

    private static HttpResponse<String> post(String path, String contentType, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(ingress.baseUri().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }

    /** Records on the topic after the given offsets, read until quiet. */
    private static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("r")))) {
            c.subscribe(List.of(topic));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofMillis(1500).toNanos()) {
                var polled = c.poll(Duration.ofMillis(100));
                if (!polled.isEmpty()) {
                    polled.forEach(out::add);
                    quietSince = System.nanoTime();
                }
            }
        }
        return out;
    }

    private static Task task(ConsumerRecord<byte[], byte[]> r) {
        return ((Decoded.Ok) codec.decode(r)).task();
    }

    private static Task find(String topic, String id) {
        return records(topic).stream().map(IngressIT::task).filter(t -> t.id().toString().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no record for task " + id + " on " + topic));
    }

    @Test
    void acceptedEventIsOnKafkaWithItsHeaders() throws Exception {
        HttpResponse<String> r = post("/v1/events/" + orders, "application/json", "{\"orderId\":\"o-1\"}",
                "X-Trace-Id", "trace-9", "X-Callback-Url", "https://hooks.example/done", "X-Event-Key", "c-7");
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode body = json(r);
        assertThat(body.path("status").asText()).isEqualTo("queued");
        String id = body.path("id").asText();
        assertThat(body.path("statusUrl").asText()).isEqualTo("/v1/tasks/" + id);
        Task task = find(orders, id);
        assertThat(task.kind()).isEqualTo(TaskKind.BACKGROUND);
        assertThat(task.traceId()).isEqualTo("trace-9");
        assertThat(task.callbackUrl()).isEqualTo("https://hooks.example/done");
        assertThat(task.key()).isEqualTo("c-7");
        assertThat(task.json().path("orderId").asText()).isEqualTo("o-1");
        assertThat(task.id().version()).isEqualTo(7);
    }

    @Test
    void formXmlAndSoapBodiesBecomeJsonTrees() throws Exception {
        String form = json(post("/v1/events/" + orders, "application/x-www-form-urlencoded", "sku=A-1&qty=2"))
                .path("id").asText();
        String soap = json(post("/v1/events/" + orders, "application/soap+xml; charset=utf-8", """
                <?xml version="1.0"?>
                <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
                  <soap:Body><PlaceOrder><sku>B-2</sku><qty>3</qty></PlaceOrder></soap:Body>
                </soap:Envelope>""")).path("id").asText();
        List<Task> all = records(orders).stream().map(IngressIT::task).toList();
        Task formTask = all.stream().filter(t -> t.id().toString().equals(form)).findFirst().orElseThrow();
        assertThat(formTask.json().path("sku").asText()).isEqualTo("A-1");
        Task soapTask = all.stream().filter(t -> t.id().toString().equals(soap)).findFirst().orElseThrow();
        assertThat(soapTask.json().path("PlaceOrder").path("sku").asText()).isEqualTo("B-2");
    }

    @Test
    void cloudEventsHttpBindingBothModes() throws Exception {
        HttpResponse<String> binary = post("/v1/events/" + orders, "application/json", "{\"n\":1}",
                "ce-specversion", "1.0", "ce-id", "evt-1", "ce-source", "urn:shop", "ce-type", "order.created",
                "ce-time", "2026-11-22T10:00:00Z", "ce-tenant", "acme");
        assertThat(binary.statusCode()).isEqualTo(202);
        assertThat(json(binary).path("id").asText()).isEqualTo(TaskIds.forEvent("urn:shop", "evt-1").toString());
        HttpResponse<String> structured = post("/v1/events/" + orders, "application/cloudevents+json", """
                {"specversion":"1.0","id":"evt-2","source":"urn:shop","type":"order.paid","data":{"n":2}}""");
        assertThat(structured.statusCode()).isEqualTo(202);
        Task t1 = find(orders, json(binary).path("id").asText());
        assertThat(t1.type()).isEqualTo("order.created");
        assertThat(t1.eventId()).isEqualTo("evt-1");
        assertThat(t1.header("ce_tenant")).isEqualTo("acme");
        assertThat(t1.createdAt()).isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
        Task t2 = find(orders, json(structured).path("id").asText());
        assertThat(t2.type()).isEqualTo("order.paid");
        assertThat(t2.json().path("n").asInt()).isEqualTo(2);
    }

    @Test
    void idempotencyKeyRepeatReturnsTheFirstTaskAndEnqueuesNothing() throws Exception {
        String key = "idem-" + System.nanoTime();
        HttpResponse<String> first = post("/v1/events/" + orders, "application/json", "{\"k\":1}", "Idempotency-Key", key);
        HttpResponse<String> again = post("/v1/events/" + orders, "application/json", "{\"k\":1}", "Idempotency-Key", key);
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(json(again).path("id").asText()).isEqualTo(json(first).path("id").asText());
        long copies = records(orders).stream().map(IngressIT::task)
                .filter(t -> key.equals(t.idempotencyKey())).count();
        assertThat(copies).isEqualTo(1);
    }

    @Test
    void scheduledEventGoesThroughTheDelayedTopic() throws Exception {
        Instant before = Instant.now();
        HttpResponse<String> r = post("/v1/events/" + orders, "application/json", "{}", "X-Schedule-In", "90");
        assertThat(r.statusCode()).isEqualTo(202);
        String id = json(r).path("id").asText();
        DelayedRecords.Delayed delayed = records(prefix + "delayed").stream().map(DelayedRecords::decode)
                .filter(d -> d.task().id().toString().equals(id)).findFirst().orElseThrow();
        assertThat(delayed.task().topic()).isEqualTo(orders);
        assertThat(delayed.dueAt()).isBetween(before.plusSeconds(89), Instant.now().plusSeconds(91));
        HttpResponse<String> at = post("/v1/events/" + orders, "application/json", "{}", "X-Schedule-At",
                "2030-01-01T00:00:00+01:00");
        assertThat(json(at).path("deliverAt").asText()).isEqualTo("2029-12-31T23:00:00Z");
    }

    @Test
    void badInputGetsAClearErrorAndNothingIsEnqueued() throws Exception {
        String marker = "bad-" + System.nanoTime();
        assertError(post("/v1/events/" + orders, "application/json", "{\"m\":\"" + marker + "\",", "X-Trace-Id", marker),
                400, "malformed body", "invalid JSON");
        assertError(post("/v1/events/" + orders, "application/xml", "<a><b></a>", "X-Trace-Id", marker),
                400, "malformed body", "invalid XML");
        assertError(post("/v1/events/" + orders, "application/json", "{\"big\":\"" + "x".repeat(70_000) + "\"}",
                "X-Trace-Id", marker), 413, "payload too large", "the limit is 65536");
        assertError(post("/v1/events/nope", "application/json", "{}"), 404, "unknown topic", "topic 'nope'");
        assertError(post("/v1/events/" + orders, "application/json", "{}", "X-Schedule-At", "tomorrow",
                "X-Trace-Id", marker), 400, "invalid header", "X-Schedule-At: 'tomorrow' is not an RFC 3339 timestamp");
        assertError(post("/v1/events/" + orders, "application/json", "{}", "X-Schedule-In", "-5", "X-Trace-Id", marker),
                400, "invalid header", "X-Schedule-In");
        assertError(post("/v1/events/" + orders, "application/json", "{}", "X-Callback-Url", "ftp://x",
                "X-Trace-Id", marker), 400, "invalid header", "X-Callback-Url");
        assertError(post("/v1/events/" + orders, "application/cloudevents+json", "{\"specversion\":\"1.0\"}",
                "X-Trace-Id", marker), 400, "malformed body", "id is missing");
        assertError(post("/v1/events/" + orders, "application/json", "{}", "ce-specversion", "1.0", "ce-source", "s",
                "ce-type", "t", "X-Trace-Id", marker), 400, "invalid header", "ce-id");
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/events/" + orders))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertError(get, 405, "method not allowed", "use POST");
        assertThat(get.headers().firstValue("Allow")).contains("POST");
        // None of the refused requests reached Kafka.
        assertThat(records(orders).stream().map(IngressIT::task).filter(t -> marker.equals(t.traceId()))).isEmpty();
    }

    @Test
    void bodyWithoutContentLengthIsReadWholeAndStillLimited() throws Exception {
        // BodyPublishers.ofInputStream sends chunked, without Content-Length: read to the end, up to the limit.
        String payload = "{\"orderId\":\"chunked\",\"pad\":\"" + "p".repeat(20_000) + "\"}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/events/" + orders))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(payload.getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(new String(find(orders, json(r).path("id").asText()).payload(), StandardCharsets.UTF_8))
                .isEqualTo(payload);
        String tooBig = "{\"big\":\"" + "x".repeat(70_000) + "\"}";
        HttpResponse<String> big = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/events/" + orders))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(tooBig.getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertError(big, 413, "payload too large", "over the limit of 65536");
    }

    @Test
    void interactiveRoundTripAndTimeout() throws Exception {
        HttpResponse<String> ok = post("/v1/interactive/" + quotes, "application/json", "{\"sku\":\"A-1\"}");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("X-Quote")).contains("q-A-1");
        assertThat(ok.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(json(ok).path("price").asDouble()).isEqualTo(9.9);

        HttpResponse<String> failed = post("/v1/interactive/" + quotes, "application/json", "{}");
        assertThat(failed.statusCode()).isEqualTo(422);
        assertThat(json(failed).path("error").asText()).isEqualTo("sku is required");

        long t0 = System.nanoTime();
        HttpResponse<String> timedOut = post("/v1/interactive/" + slow, "application/json", "{\"sku\":\"A-1\"}");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertError(timedOut, 504, "timeout", "within 700 ms");
    }

    @Test
    void verifiedWebhooksAreEnqueuedOnceAndForgeriesRefused() throws Exception {
        String msgId = "msg_" + System.nanoTime();
        String body = "{\"invoice\":42}";
        long now = Instant.now().getEpochSecond();
        String signature = sign(msgId, now, body);
        HttpResponse<String> r = post("/v1/webhooks/billing", "application/json", body, "webhook-id", msgId,
                "webhook-timestamp", Long.toString(now), "webhook-signature", signature);
        assertThat(r.statusCode()).isEqualTo(200);
        String id = json(r).path("id").asText();
        HttpResponse<String> replay = post("/v1/webhooks/billing", "application/json", body, "webhook-id", msgId,
                "webhook-timestamp", Long.toString(now), "webhook-signature", signature);
        assertThat(json(replay).path("id").asText()).isEqualTo(id);

        assertError(post("/v1/webhooks/billing", "application/json", "{\"invoice\":43}", "webhook-id", msgId + "x",
                "webhook-timestamp", Long.toString(now), "webhook-signature", signature), 403,
                "Request verification failed.", "could not be verified");
        long stale = now - 600;
        assertError(post("/v1/webhooks/billing", "application/json", body, "webhook-id", msgId + "y",
                "webhook-timestamp", Long.toString(stale), "webhook-signature", sign(msgId + "y", stale, body)), 403,
                "Request verification failed.", "could not be verified");
        assertError(post("/v1/webhooks/nobody", "application/json", body), 404, "unknown webhook source", "nobody");

        List<Task> queued = records(orders).stream().map(IngressIT::task).filter(t -> t.kind() == TaskKind.WEBHOOK
                && t.eventId().startsWith(msgId)).toList();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).id().toString()).isEqualTo(id);
        assertThat(queued.get(0).json().path("invoice").asInt()).isEqualTo(42);
    }

    @Test
    void healthEndpoints() throws Exception {
        var live = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/health/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        var ready = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).path("database").asText()).isEqualTo("up");
        assertThat(json(ready).path("kafka").asText()).isEqualTo("up");
    }

    @Test
    void unknownEndpointsAnswer404InTheErrorShape() throws Exception {
        var r = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/v1/nothing-here")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 404, "not found", "no such endpoint: GET /v1/nothing-here");
        var other = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/elsewhere")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    @Test
    void metricsAre404WithoutARegistryAndCountRequests() throws Exception {
        // This ingress was started without a Prometheus registry (the 2-argument Collaborators).
        var r = http.send(HttpRequest.newBuilder(ingress.baseUri().resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 404, "not found", "no Prometheus registry");
        assertThat(IngressMetrics.endpoint("/v1/events/orders")).isEqualTo("/v1/events");
        assertThat(IngressMetrics.endpoint("/v1/tasks")).isEqualTo("/v1/tasks");
        assertThat(IngressMetrics.endpoint("/v1/eventsx")).isEqualTo("other");
    }

    private static String sign(String id, long timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        return "v1," + Base64.getEncoder().encodeToString(
                mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertError(HttpResponse<String> r, int status, String error, String detailContains) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode body = json(r);
        assertThat(body.path("error").asText()).isEqualTo(error);
        assertThat(body.path("detail").asText()).contains(detailContains);
    }
}
