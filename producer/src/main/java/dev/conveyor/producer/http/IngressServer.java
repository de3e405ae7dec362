package dev.conveyor.producer.http;

import dev.conveyor.producer.PublishException;
import dev.conveyor.producer.Publisher;
import dev.conveyor.producer.webhooks.WebhookSetup;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.producer.webhooks.WebhookVerifier;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.store.db.Database;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.JooqStatusStore;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP ingress (SPEC §4): {@code POST /v1/events/{topic}}, {@code /v1/interactive/{topic}},
 * {@code /v1/webhooks/{source}}, health. Helidon SE 4 serves every request on its own virtual
 * thread, so handlers are plain blocking code. Every failure is an {@link HttpError} turned into
 * {@code {"error","detail"}} in one place; an event is acknowledged only after Kafka acknowledged it.
 */
public final class IngressServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngressServer.class);
    private static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    private static final HeaderName CALLBACK_URL = HeaderNames.create("X-Callback-Url");
    private static final HeaderName TRACE_ID = HeaderNames.create("X-Trace-Id");
    private static final HeaderName SCHEDULE_AT = HeaderNames.create("X-Schedule-At");
    private static final HeaderName SCHEDULE_IN = HeaderNames.create("X-Schedule-In");
    private static final HeaderName EVENT_TYPE = HeaderNames.create("X-Event-Type");
    private static final HeaderName EVENT_KEY = HeaderNames.create("X-Event-Key");
    private static final long MAX_SCHEDULE_SECONDS = Duration.ofDays(366).toSeconds();

    /**
     * What the ingress needs from its process.
     *
     * @param database the process pool (idempotency keys, readiness)
     * @param clock time source
     * @param meters where {@code conveyor.ingress.*} and {@code conveyor.http.*} meters go
     * @param prometheus the process's metrics in Prometheus text format, served at {@code GET /metrics};
     *     null when the process has no Prometheus registry
     */
    public record Collaborators(Database database, Clock clock, MeterRegistry meters, Supplier<String> prometheus) {
        public Collaborators {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(meters, "meters");
        }

        /** Without metrics: meters go to a registry nobody reads and {@code GET /metrics} answers 404. */
        public Collaborators(Database database, Clock clock) {
            this(database, clock, new SimpleMeterRegistry(), null);
        }
    }

    private final IngressConfig config;
    private final Clock clock;
    private final Database database;
    private final Publisher publisher;
    private final TaskRecordCodec codec;
    private final IdempotencyKeys idempotency;
    private final ReplyListener replies;
    private final TasksApi tasks;
    private final StatsApi stats;
    private final Semaphore inFlight;
    private final WebServer server;
    private final MeterRegistry meters;
    private final Supplier<String> prometheus;
    /*
     * Meters by tags, looked up once: building and registering a meter per request (tags sorted,
     * ids compared) cost more than the rest of the bookkeeping of a request.
     */
    private final Map<RequestKey, io.micrometer.core.instrument.Timer> requestTimers = new ConcurrentHashMap<>();
    private final Map<AcceptedKey, io.micrometer.core.instrument.Counter> acceptedCounters = new ConcurrentHashMap<>();

    private IngressServer(IngressConfig config, Collaborators c) {
        this.config = config;
        this.clock = c.clock();
        this.database = c.database();
        this.meters = c.meters();
        this.prometheus = c.prometheus();
        Map<String, Object> kafka = new java.util.HashMap<>();
        // Fail fast when Kafka is down: the client gets 503 within seconds, nothing is accepted.
        kafka.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        kafka.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        kafka.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        // Natural batching: one produce request in flight to a broker at a time, sent at once (no
        // linger); whatever arrives while it is out goes into the next one. Every request waits for
        // its acknowledgement, so a quiet ingress answers after one round trip, and a busy one sends
        // fewer, fuller requests (the broker's and the producer's work is per request, not per
        // record) instead of up to five requests of a few records each, every 1 ms of linger.
        kafka.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        kafka.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        kafka.putAll(config.kafkaClient());
        this.publisher = new Publisher(new KafkaProducer<>(Publisher.producerProperties(config.bootstrap(), kafka)),
                config.topicPrefix(), clock);
        this.codec = new TaskRecordCodec(clock);
        this.idempotency = new IdempotencyKeys(database.dsl());
        this.replies = new ReplyListener(config.bootstrap(), config.kafkaClient(), config.repliesTopic(), config.node(),
                config.maxPendingInteractive());
        this.inFlight = new Semaphore(config.maxInFlight());
        this.tasks = new TasksApi(database.dsl(), new JooqStatusStore(database.dsl(), config.node()),
                task -> produce(task.id(), codec.encode(task), MAY_BE_ENQUEUED_RETRY), clock);
        this.stats = new StatsApi(database.dsl(), config, clock);
        this.server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                // http.max-body is enforced by readBody, which answers 413 with a JSON body.
                .routing(this::routes)
                .build()
                .start();
    }

    /**
     * Starts the ingress: runs the webhook sources' set-up steps, then listens.
     *
     * @throws IllegalStateException naming the webhook source whose set-up failed
     */
    public static IngressServer start(IngressConfig config, Collaborators collaborators) {
        IngressServer s = new IngressServer(config, collaborators);
        try {
            s.runWebhookSetups();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        log.info("Ingress listening on http://{}:{} topics={} webhooks={} max-body={} auth={}", config.host(), s.port(),
                config.topics(), config.webhooks().keySet(), config.maxBody(), !config.tokens().isEmpty());
        return s;
    }

    public int port() {
        return server.port();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8080}. */
    public URI baseUri() {
        return URI.create("http://" + config.host() + ":" + port());
    }

    // ---- routing ---------------------------------------------------------------------------

    private void routes(HttpRouting.Builder r) {
        r.addFilter(this::timeRequest);
        if (!config.tokens().isEmpty()) {
            r.any("/v1/*", this::authenticate);
        }
        r.post("/v1/events/{topic}", this::postEvent)
                .any("/v1/events/{topic}", methodNotAllowed("POST"))
                .post("/v1/interactive/{topic}", this::postInteractive)
                .any("/v1/interactive/{topic}", methodNotAllowed("POST"))
                .post("/v1/webhooks/{source}", this::postWebhook)
                .any("/v1/webhooks/{source}", methodNotAllowed("POST"))
                .get("/v1/tasks/{id}", this::getTask)
                .register(tasks)
                .get("/v1/stats", (req, res) -> sendJson(res, 200, stats.stats()))
                .get("/health/live", (req, res) -> sendJson(res, 200, Json.emptyObject().put("status", "up")))
                .get("/health/ready", this::ready)
                .get("/metrics", this::metrics)
                .register(new Dashboard())
                .error(HttpError.class, (req, res, e) -> sendError(res, e))
                // Helidon's own (no route matched, bad request line): its status, our JSON shape.
                .error(io.helidon.http.HttpException.class, (req, res, e) -> sendError(res, new HttpError(
                        e.status().code(), e.status().reasonPhrase().toLowerCase(java.util.Locale.ROOT),
                        e.status().code() == 404 ? "no such endpoint: " + req.prologue().method().text() + " "
                                + req.path().path() : e.getMessage())))
                .error(Exception.class, (req, res, e) -> {
                    log.error("Unexpected failure serving {} {}", req.prologue().method().text(), req.path().path(), e);
                    sendError(res, new HttpError(500, "internal error", "the ingress failed; see its log"));
                });
    }

    /** {@code conveyor.http.server.requests}: every request, by method, endpoint group and status. */
    private void timeRequest(io.helidon.webserver.http.FilterChain chain, io.helidon.webserver.http.RoutingRequest req,
            io.helidon.webserver.http.RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            requestTimers.computeIfAbsent(new RequestKey(req.prologue().method().text(), endpoint(req.path().path()),
                            res.status().code()), this::requestTimer)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** The tags of one {@code conveyor.http.server.requests} timer; a handful of values each. */
    private record RequestKey(String method, String endpoint, int status) {}

    private io.micrometer.core.instrument.Timer requestTimer(RequestKey key) {
        return io.micrometer.core.instrument.Timer.builder("conveyor.http.server.requests")
                .description("HTTP requests served by the ingress")
                .tag("method", key.method())
                .tag("endpoint", key.endpoint())
                .tag("status", Integer.toString(key.status()))
                .register(meters);
    }

    /** The tags of one {@code conveyor.ingress.accepted} counter. */
    private record AcceptedKey(String topic, TaskKind kind, boolean delayed) {}

    private io.micrometer.core.instrument.Counter acceptedCounter(AcceptedKey key) {
        return io.micrometer.core.instrument.Counter.builder("conveyor.ingress.accepted")
                .description("Events accepted (acknowledged by Kafka), by topic and kind")
                .tag("topic", key.topic()).tag("kind", key.kind().wireName())
                .tag("delayed", Boolean.toString(key.delayed()))
                .register(meters);
    }

    /** The endpoint group of a path: a handful of values, so the metric's cardinality stays bounded. */
    static String endpoint(String path) {
        for (String prefix : new String[] {"/v1/events", "/v1/interactive", "/v1/webhooks", "/v1/tasks", "/v1/stats",
                "/metrics", "/health", "/ui"}) {
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                return prefix;
            }
        }
        return "other";
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        if (prometheus == null) {
            throw new HttpError(404, "not found", "this node keeps no Prometheus registry");
        }
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        res.send(prometheus.get().getBytes(StandardCharsets.UTF_8));
    }

    /** Registered only when {@code http.tokens} is not empty: without tokens there is nothing to check. */
    private void authenticate(ServerRequest req, ServerResponse res) {
        if (!req.path().path().startsWith("/v1/webhooks/")) {
            String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
            if (!auth.regionMatches(true, 0, "Bearer ", 0, 7) || !knownToken(auth.substring(7).trim())) {
                throw new HttpError(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)",
                        Map.of("WWW-Authenticate", "Bearer"));
            }
        }
        res.next();
    }

    private boolean knownToken(String token) {
        boolean found = false;
        for (String t : config.tokens()) {
            found |= MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
        }
        return found;
    }

    static io.helidon.webserver.http.Handler methodNotAllowed(String allowed) {
        return (req, res) -> {
            throw new HttpError(405, "method not allowed", req.prologue().method().text() + " is not supported here; use "
                    + allowed, Map.of("Allow", allowed));
        };
    }

    // ---- POST /v1/events/{topic} -------------------------------------------------------------

    private void postEvent(ServerRequest req, ServerResponse res) {
        guarded(() -> {
            String topic = knownTopic(req);
            EventHeaders h = EventHeaders.of(req);
            EventBody body = EventBody.parse(req.headers(), readBody(req));
            Task task = task(topic, TaskKind.BACKGROUND, body, h, req).build();
            Accepted accepted = enqueue(task, h.idempotencyKey() == null ? null : "topic:" + topic, h.idempotencyKey(),
                    h.deliverAt());
            if (accepted.replayed()) {
                res.header("Idempotent-Replayed", "true");
            }
            sendJson(res, 202, queued(accepted.id(), accepted.replayed() ? null : h.deliverAt()));
        });
    }

    /**
     * The 202 body, {@code {"id","status":"queued","statusUrl"}} (and {@code deliverAt} when
     * scheduled), written directly: a UUID and an instant need no escaping, and this answer is
     * sent for every event.
     */
    static byte[] queued(UUID id, Instant deliverAt) {
        String text = id.toString();
        StringBuilder b = new StringBuilder(128).append("{\"id\":\"").append(text)
                .append("\",\"status\":\"queued\",\"statusUrl\":\"/v1/tasks/").append(text).append('"');
        if (deliverAt != null) {
            b.append(",\"deliverAt\":\"").append(deliverAt).append('"');
        }
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- POST /v1/interactive/{topic} --------------------------------------------------------

    private void postInteractive(ServerRequest req, ServerResponse res) {
        guarded(() -> {
            String topic = knownTopic(req);
            EventHeaders h = EventHeaders.of(req);
            if (h.deliverAt() != null) {
                throw HttpError.badHeader(h.scheduleHeader(), "interactive requests cannot be scheduled");
            }
            EventBody body = EventBody.parse(req.headers(), readBody(req));
            Duration timeout = config.interactiveTimeout(topic);
            Instant deadline = clock.instant().plus(timeout);
            Task task = task(topic, TaskKind.INTERACTIVE, body, h, req)
                    .replyTo(config.repliesTopic())
                    .deadline(deadline)
                    .build();
            awaitRepliesReady();
            CompletableFuture<InteractiveResult> answer = replies.register(task.id());
            if (answer == null) {
                throw new HttpError(429, "too many requests", "too many interactive requests are waiting; retry shortly",
                        Map.of("Retry-After", "1"));
            }
            try {
                produce(task.id(), codec.encode(task), MAY_BE_ENQUEUED_INTERACTIVE);
                InteractiveResult result;
                try {
                    long remaining = Math.max(1, Duration.between(clock.instant(), deadline).toMillis());
                    result = answer.get(remaining, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new HttpError(504, "timeout", "no answer from the extension for topic " + topic + " within "
                            + timeout.toMillis() + " ms; task " + task.id());
                } catch (ExecutionException e) {
                    throw new HttpError(502, "bad answer", "the extension's answer could not be read: "
                            + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HttpError(503, "unavailable", "the ingress is stopping", Map.of("Retry-After", "1"));
                }
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
            } finally {
                replies.forget(task.id());
            }
        });
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

    // ---- POST /v1/webhooks/{source} ----------------------------------------------------------

    private void postWebhook(ServerRequest req, ServerResponse res) {
        guarded(() -> {
            String name = req.path().pathParameters().get("source");
            WebhookSource source = config.webhooks().get(name);
            if (source == null) {
                throw new HttpError(404, "unknown webhook source", "no webhook source named '" + name + "'");
            }
            byte[] raw = readBody(req);
            String messageId;
            try {
                messageId = WebhookVerifier.verify(source, n -> req.headers().first(HeaderNames.create(n)).orElse(null),
                        raw, clock.instant());
            } catch (WebhookVerifier.VerificationFailed e) {
                log.warn("Webhook from '{}' refused: {}", name, e.getMessage());
                throw new HttpError(403, "Request verification failed.", "the request's signature could not be verified");
            }
            String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("application/json");
            Task.Builder b = Task.builder()
                    .topic(source.topic())
                    .type("webhook." + name)
                    .source("/v1/webhooks/" + name)
                    .kind(TaskKind.WEBHOOK)
                    .payload(raw)
                    .contentType(contentType)
                    .createdAt(clock.instant())
                    .header("conveyor_webhook_source", name);
            if (messageId != null) {
                b.id(TaskIds.forEvent("/v1/webhooks/" + name, messageId)).eventId(messageId).idempotencyKey(messageId);
            }
            Task task = b.build();
            Accepted accepted = enqueue(task, messageId == null ? null : "webhook:" + name, messageId, null);
            sendJson(res, 200, Json.emptyObject().put("id", accepted.id().toString()).put("status", "queued"));
        });
    }

    // ---- GET /v1/tasks/{id} ------------------------------------------------------------------

    private void getTask(ServerRequest req, ServerResponse res) {
        String raw = req.path().pathParameters().get("id");
        UUID id = TaskIds.parseCanonical(raw);
        if (id == null) {
            throw HttpError.badRequest("invalid task id", "'" + raw + "' is not a UUID");
        }
        var json = TaskView.find(database.dsl(), id);
        if (json == null) {
            throw new HttpError(404, "unknown task", "no task with id " + id);
        }
        sendJson(res, 200, json);
    }

    // ---- shared steps ------------------------------------------------------------------------

    private record Accepted(UUID id, boolean replayed) {}

    /**
     * Claims the idempotency key (if any), produces, and records the key once Kafka acknowledged.
     * When Kafka does not confirm the event the key is freed only if nothing was enqueued; if the
     * event may have been written it stays with this task id ({@code unconfirmed}), and a retry with
     * the same key is enqueued again under that id (see {@link IdempotencyKeys}).
     */
    private Accepted enqueue(Task task, String scope, String key, Instant deliverAt) {
        if (key != null) {
            IdempotencyKeys.Claim claim;
            try {
                claim = idempotency.claim(scope, key, task.id(), clock.instant());
            } catch (org.jooq.exception.DataAccessException e) {
                // The key cannot be checked, so nothing is produced: a definite refusal the client may retry.
                log.warn("Idempotency key {} could not be claimed: {}", key, e.getMessage());
                throw new HttpError(503, "unavailable", "the database is not reachable to check the Idempotency-Key; "
                        + "nothing was enqueued", Map.of("Retry-After", "5"));
            }
            switch (claim) {
                case IdempotencyKeys.Claim.Existing e -> {
                    return new Accepted(e.taskId(), true);
                }
                case IdempotencyKeys.Claim.InProgress p -> throw new HttpError(409, "conflict",
                        "a request with this Idempotency-Key is still being processed; retry shortly",
                        Map.of("Retry-After", "1"));
                case IdempotencyKeys.Claim.Claimed c -> {
                    if (!c.taskId().equals(task.id())) {
                        // An earlier request with this key may have been enqueued: this is its retry,
                        // and must decode to the same task (the CloudEvents id is what the worker reads).
                        task = task.toBuilder().id(c.taskId()).eventId(c.taskId().toString()).build();
                    }
                }
            }
        }
        try {
            produce(task.id(), deliverAt == null ? codec.encode(task)
                    : DelayedRecords.encode(task, deliverAt, config.delayedTopic()), MAY_BE_ENQUEUED_EVENT);
        } catch (RuntimeException e) {
            if (key != null) {
                if (e instanceof HttpError h && h.taskId() != null) {
                    idempotency.unconfirmed(scope, key, task.id());
                } else {
                    idempotency.release(scope, key, task.id());
                }
            }
            throw e;
        }
        if (key != null) {
            try {
                idempotency.accept(scope, key, task.id());
            } catch (org.jooq.exception.DataAccessException e) {
                // Kafka has the event: it is accepted. The key stays pending under this task id, so a
                // retry with it gets 409 until the claim is abandoned, then takes it over with this id.
                log.warn("Task {} was enqueued but its Idempotency-Key {} could not be recorded: {}", task.id(), key,
                        e.getMessage());
            }
        }
        acceptedCounters.computeIfAbsent(new AcceptedKey(task.topic(), task.kind(), deliverAt != null),
                this::acceptedCounter).increment();
        return new Accepted(task.id(), false);
    }

    /** The 503 detail of an interactive request whose record may have been enqueued. */
    static final String MAY_BE_ENQUEUED_INTERACTIVE = "Kafka did not confirm the request in time; it may have been "
            + "enqueued, and the extension may still run it";
    /**
     * The 503 detail of an operator retry whose record Kafka did not confirm: the task was put back
     * as it was (see {@code StatusStore.retry}), so a record that did land is not run.
     */
    static final String MAY_BE_ENQUEUED_RETRY = "Kafka did not confirm the retried task in time; the task was put "
            + "back as it was: retry again";
    /** The 503 detail when an event may have been enqueued despite the failure. */
    static final String MAY_BE_ENQUEUED_EVENT = "Kafka did not confirm the event in time; it may have been enqueued: "
            + "retry with the same Idempotency-Key";
    static final String NOT_ENQUEUED = "Kafka did not accept the event; nothing was enqueued";

    /**
     * Produces and waits for Kafka's acknowledgement; 503 when Kafka does not take it. The wait has
     * no timer of its own: the producer bounds every send ({@code max.block.ms} to enqueue,
     * {@code delivery.timeout.ms} to be acknowledged, 5 s and 8 s unless {@code kafka.client.*}
     * says otherwise) and fails the send when a bound passes. A timed wait armed a timer per
     * request on the virtual-thread scheduler for nothing.
     *
     * <p>Two 503s: {@value #NOT_ENQUEUED} when the record certainly was not written (it never left
     * the producer, or the broker refused it); otherwise, when the record may have been written (a
     * delivery or request timeout, a broken connection, or this wait interrupted), {@code
     * maybeEnqueuedDetail} with the task id in the body as {@code "id"} (an {@link HttpError} with a
     * task id).
     */
    private void produce(UUID taskId, ProducerRecord<byte[], byte[]> record, String maybeEnqueuedDetail) {
        try {
            publisher.send(taskId, record).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            boolean maybe = !(cause instanceof PublishException pe) || pe.maybeEnqueued();
            log.warn("Kafka did not {} a record of task {} for {}: {}", maybe ? "confirm" : "accept", taskId,
                    record.topic(), cause.getCause() != null ? cause.getCause().toString() : cause.toString());
            throw maybe ? maybeEnqueued(taskId, maybeEnqueuedDetail)
                    : new HttpError(503, "unavailable", NOT_ENQUEUED, Map.of("Retry-After", "5"));
        } catch (InterruptedException e) {
            // The record is in the producer's hands and may still be written.
            Thread.currentThread().interrupt();
            throw maybeEnqueued(taskId, maybeEnqueuedDetail);
        }
    }

    private static HttpError maybeEnqueued(UUID taskId, String detail) {
        return new HttpError(503, "unavailable", detail, Map.of("Retry-After", "5"), taskId);
    }

    private Task.Builder task(String topic, TaskKind kind, EventBody body, EventHeaders h, ServerRequest req) {
        Task.Builder b = Task.builder()
                .topic(topic)
                .kind(kind)
                .payload(body.payload())
                .contentType(body.contentType())
                .createdAt(body.ceTime() != null ? body.ceTime() : clock.instant())
                .traceId(h.traceId())
                .callbackUrl(h.callbackUrl())
                .idempotencyKey(h.idempotencyKey())
                .key(req.headers().first(EVENT_KEY).orElse(null));
        if (body.isCloudEvent()) {
            b.id(TaskIds.forEvent(body.ceSource(), body.ceId())).eventId(body.ceId()).source(body.ceSource())
                    .type(body.ceType());
        } else {
            b.source("/v1/events/" + topic).type(req.headers().first(EVENT_TYPE).orElse(topic));
        }
        body.extensions().forEach(b::header);
        return b;
    }

    private String knownTopic(ServerRequest req) {
        String topic = req.path().pathParameters().get("topic");
        if (!config.topics().contains(topic)) {
            throw new HttpError(404, "unknown topic", "topic '" + topic + "' is not accepted here; accepted topics: "
                    + config.topics().stream().sorted().toList());
        }
        return topic;
    }

    /** Reads the body, refusing more than {@code http.max-body} without reading the rest. */
    private byte[] readBody(ServerRequest req) {
        long max = config.maxBody();
        var length = req.headers().contentLength();
        if (length.isPresent() && length.getAsLong() > max) {
            throw new HttpError(413, "payload too large", "the body has " + length.getAsLong() + " bytes; the limit is "
                    + max + " (http.max-body)", Map.of("Connection", "close"));
        }
        try (InputStream in = req.content().inputStream()) {
            // With a Content-Length (the usual case) read exactly that: readNBytes(n) allocates
            // min(n, 16 KB) up front, so asking for max + 1 cost a 16 KB buffer per request.
            int want = length.isPresent() ? (int) length.getAsLong() : (int) Math.min(Integer.MAX_VALUE - 8, max + 1);
            byte[] body = in.readNBytes(want);
            if (body.length > max) {
                throw new HttpError(413, "payload too large", "the body is over the limit of " + max
                        + " bytes (http.max-body)", Map.of("Connection", "close"));
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void guarded(Runnable handler) {
        if (!inFlight.tryAcquire()) {
            throw new HttpError(429, "too many requests", "the ingress is at its limit of " + config.maxInFlight()
                    + " requests in flight (http.max-in-flight); retry shortly", Map.of("Retry-After", "1"));
        }
        try {
            handler.run();
        } finally {
            inFlight.release();
        }
    }

    private void ready(ServerRequest req, ServerResponse res) {
        var json = Json.emptyObject();
        boolean ok = true;
        try {
            database.dsl().selectOne().fetch();
            json.put("database", "up");
        } catch (RuntimeException e) {
            ok = false;
            json.put("database", "down: " + e.getMessage());
        }
        try {
            publisher.producer().partitionsFor(config.repliesTopic());
            json.put("kafka", "up");
        } catch (RuntimeException e) {
            ok = false;
            json.put("kafka", "down: " + e.getMessage());
        }
        json.put("status", ok ? "ready" : "not ready");
        sendJson(res, ok ? 200 : 503, json);
    }

    private void runWebhookSetups() {
        for (WebhookSetup setup : ServiceLoader.load(WebhookSetup.class)) {
            WebhookSource source = config.webhooks().get(setup.source());
            if (source == null) {
                continue;
            }
            try {
                setup.setUp(source, baseUri().resolve("/v1/webhooks/" + source.name()));
                log.info("Webhook source '{}' set up", source.name());
            } catch (Exception e) {
                throw new IllegalStateException("webhook source '" + source.name() + "' set-up failed: " + e.getMessage(), e);
            }
        }
    }

    private static void sendError(ServerResponse res, HttpError e) {
        e.headers().forEach(res::header);
        var json = Json.emptyObject().put("error", e.error()).put("detail", e.detail());
        if (e.taskId() != null) {
            json.put("id", e.taskId().toString());
        }
        sendJson(res, e.status(), json);
    }

    static void sendJson(ServerResponse res, int status, com.fasterxml.jackson.databind.node.ObjectNode json) {
        sendJson(res, status, Json.toBytes(json));
    }

    private static void sendJson(ServerResponse res, int status, byte[] json) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json);
    }

    @Override
    public void close() {
        server.stop();
        replies.close();
        stats.close();
        publisher.producer().close(Duration.ofSeconds(5));
    }

    /** The event headers of SPEC §4, validated. */
    record EventHeaders(String idempotencyKey, String callbackUrl, String traceId, Instant deliverAt,
            String scheduleHeader) {

        static EventHeaders of(ServerRequest req) {
            String key = req.headers().first(IDEMPOTENCY_KEY).orElse(null);
            if (key != null && (key.isBlank() || key.length() > 255)) {
                throw HttpError.badHeader("Idempotency-Key", "must be 1 to 255 characters");
            }
            String callback = req.headers().first(CALLBACK_URL).orElse(null);
            if (callback != null) {
                try {
                    URI uri = URI.create(callback.trim());
                    if (!uri.isAbsolute() || uri.getHost() == null
                            || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                        throw new IllegalArgumentException("not absolute");
                    }
                } catch (IllegalArgumentException e) {
                    throw HttpError.badHeader("X-Callback-Url", "must be an absolute http(s) URL, was '" + callback + "'");
                }
            }
            String trace = req.headers().first(TRACE_ID).orElse(null);
            if (trace != null && (trace.isBlank() || trace.length() > 128 || !trace.chars().allMatch(c -> c > 32 && c < 127))) {
                throw HttpError.badHeader("X-Trace-Id", "must be 1 to 128 visible ASCII characters");
            }
            String at = req.headers().first(SCHEDULE_AT).orElse(null);
            String in = req.headers().first(SCHEDULE_IN).orElse(null);
            if (at != null && in != null) {
                throw HttpError.badHeader("X-Schedule-At", "give X-Schedule-At or X-Schedule-In, not both");
            }
            Instant deliverAt = null;
            String scheduleHeader = null;
            if (at != null) {
                scheduleHeader = "X-Schedule-At";
                try {
                    deliverAt = OffsetDateTime.parse(at.trim()).toInstant();
                } catch (DateTimeParseException e) {
                    throw HttpError.badHeader("X-Schedule-At", "'" + at + "' is not an RFC 3339 timestamp "
                            + "(e.g. 2026-11-22T10:00:00Z)");
                }
            } else if (in != null) {
                scheduleHeader = "X-Schedule-In";
                double seconds;
                try {
                    seconds = Double.parseDouble(in.trim());
                } catch (NumberFormatException e) {
                    seconds = -1;
                }
                if (!(seconds >= 0) || seconds > MAX_SCHEDULE_SECONDS) {
                    throw HttpError.badHeader("X-Schedule-In", "must be a number of seconds between 0 and "
                            + MAX_SCHEDULE_SECONDS + ", was '" + in + "'");
                }
                deliverAt = Instant.now().plusMillis(Math.round(seconds * 1000));
            }
            return new EventHeaders(key, callback == null ? null : callback.trim(), trace, deliverAt, scheduleHeader);
        }
    }
}
