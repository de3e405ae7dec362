package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.db.jooq.tables.records.TaskTransitionsRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.awaitility.Awaitility;
import org.jooq.JSONB;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/tasks}, retry and cancel over real HTTP, a real broker and a real PostgreSQL. */
@ConveyorIntegrationTest
class TasksApiIT {

    private static final String TOKEN = "operator-token";
    private static final String NODE = "ingress-tasks-it";
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final TaskRecordCodec codec = new TaskRecordCodec();

    private static TestKafka kafka;
    private static TestDatabase db;
    private static Database database;
    private static IngressServer ingress;
    private static Worker worker;
    private static String retries;
    private static String runs;
    private static final List<Task> ran = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start(TestKafka k, TestDatabase d) throws Exception {
        kafka = k;
        db = d;
        retries = kafka.createTopic("retries", 1);
        runs = kafka.createTopic("runs", 1);
        String prefix = TestKafka.uniqueName("tapi") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 8, db.schema()), "ingress");
        ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap())
                        .port(0)
                        .topicPrefix(prefix)
                        .topics(Set.of(retries, runs))
                        .tokens(Set.of(TOKEN))
                        .node(NODE)
                        .kafkaClient(Map.of("max.block.ms", 2_000))
                        .build(),
                new IngressServer.Collaborators(database, Clock.systemUTC()));
        BackgroundExtension recorder = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(runs);
            }

            @Override
            public TaskResult handle(Task task) {
                ran.add(task);
                return TaskResult.done();
            }
        };
        worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix).group(TestKafka.uniqueName("tw"))
                .node("tasks-it-worker").build(), new Worker.Collaborators(database.dsl(), Extensions.of(recorder)));
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
    }

    @AfterAll
    static void stop() {
        worker.close();
        ingress.close();
        database.close();
    }

    // ---- listing -----------------------------------------------------------------------------

    @Test
    void pagesCoverEveryTaskOnceNewestFirstEvenWithEqualTimes() throws Exception {
        String topic = TestKafka.uniqueName("pages");
        List<TasksRecord> rows = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            // Groups of five share a created_at, so only the id orders them.
            Instant createdAt = T0.plusSeconds((i / 5) * 60L);
            rows.add(insert(topic, TaskStatus.DONE, r -> r.setCreatedAt(createdAt)));
        }
        List<String> expected = rows.stream()
                .sorted(Comparator.comparing(TasksRecord::getCreatedAt).thenComparing(TasksRecord::getId,
                        dev.conveyor.store.JooqStatusStore.LOCK_ORDER).reversed())
                .map(r -> r.getId().toString()).toList();

        List<String> seen = new ArrayList<>();
        String cursor = null;
        List<Integer> sizes = new ArrayList<>();
        do {
            JsonNode page = json(ok(get("/v1/tasks?topic=" + topic + "&limit=10"
                    + (cursor == null ? "" : "&cursor=" + cursor))));
            page.path("tasks").forEach(t -> seen.add(t.path("id").asText()));
            sizes.add(page.path("tasks").size());
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
        } while (cursor != null);
        assertThat(sizes).containsExactly(10, 10, 5);
        assertThat(seen).containsExactlyElementsOf(expected);

        // A page that ends exactly at the last row has no next cursor.
        JsonNode all = json(ok(get("/v1/tasks?topic=" + topic + "&limit=25")));
        assertThat(all.path("tasks").size()).isEqualTo(25);
        assertThat(all.path("nextCursor").isNull()).isTrue();
        // Default limit is 50.
        assertThat(json(ok(get("/v1/tasks?topic=" + topic))).path("tasks").size()).isEqualTo(25);
    }

    @Test
    void filtersAloneAndCombined() throws Exception {
        String a = TestKafka.uniqueName("fa");
        String b = TestKafka.uniqueName("fb");
        TasksRecord aFailed = insert(a, TaskStatus.FAILED, r -> r.setCreatedAt(T0));
        TasksRecord aDone = insert(a, TaskStatus.DONE, r -> r.setCreatedAt(T0.plusSeconds(10)));
        TasksRecord aDeadWebhook = insert(a, TaskStatus.DEAD, r -> r.setCreatedAt(T0.plusSeconds(20))
                .setKind(TaskKind.WEBHOOK));
        TasksRecord bFailed = insert(b, TaskStatus.FAILED, r -> r.setCreatedAt(T0.plusSeconds(30))
                .setIdempotencyKey("order-" + a));
        TasksRecord bQueued = insert(b, TaskStatus.QUEUED, r -> r.setCreatedAt(T0.plusSeconds(40)));
        String both = "&topic=";

        assertThat(ids("/v1/tasks?topic=" + a)).containsExactly(id(aDeadWebhook), id(aDone), id(aFailed));
        assertThat(ids("/v1/tasks?status=failed&topic=" + a)).containsExactly(id(aFailed));
        assertThat(ids("/v1/tasks?status=failed,dead&topic=" + a)).containsExactly(id(aDeadWebhook), id(aFailed));
        assertThat(ids("/v1/tasks?status=failed&status=done&topic=" + a)).containsExactly(id(aDone), id(aFailed));
        assertThat(ids("/v1/tasks?status=done&topic=" + a)).containsExactly(id(aDone));
        assertThat(ids("/v1/tasks?kind=webhook&topic=" + a)).containsExactly(id(aDeadWebhook));
        assertThat(ids("/v1/tasks?since=2026-11-22T10:00:10Z&topic=" + a)).containsExactly(id(aDeadWebhook), id(aDone));
        assertThat(ids("/v1/tasks?until=2026-11-22T10:00:10Z&topic=" + a)).containsExactly(id(aFailed));
        assertThat(ids("/v1/tasks?since=2026-11-22T11:00:05%2B01:00&until=2026-11-22T10:00:20Z&topic=" + a))
                .containsExactly(id(aDone));
        // Filters without a topic see every topic.
        assertThat(ids("/v1/tasks?status=queued")).contains(id(bQueued)).doesNotContain(id(bFailed));
        assertThat(ids("/v1/tasks?status=failed&since=2026-11-22T10:00:00Z&until=2026-11-22T10:00:31Z"))
                .contains(id(aFailed), id(bFailed)).doesNotContain(id(aDone), id(bQueued));
        assertThat(ids("/v1/tasks?kind=webhook")).contains(id(aDeadWebhook)).doesNotContain(id(aFailed));
        // q: a whole id, an id prefix (with or without dashes), an idempotency key.
        assertThat(ids("/v1/tasks?q=" + id(bFailed))).containsExactly(id(bFailed));
        assertThat(ids("/v1/tasks?q=" + id(bFailed).substring(0, 13) + both + b)).containsExactly(id(bFailed));
        assertThat(ids("/v1/tasks?q=" + id(bFailed).replace("-", "").substring(0, 20))).containsExactly(id(bFailed));
        assertThat(ids("/v1/tasks?q=" + enc("order-" + a))).containsExactly(id(bFailed));
        assertThat(ids("/v1/tasks?q=" + enc("order-" + a) + "&status=queued")).isEmpty();
        assertThat(ids("/v1/tasks?q=" + id(aFailed) + both + b)).isEmpty();

        JsonNode summary = json(ok(get("/v1/tasks?q=" + id(aDeadWebhook)))).path("tasks").get(0);
        assertThat(summary.path("topic").asText()).isEqualTo(a);
        assertThat(summary.path("kind").asText()).isEqualTo("webhook");
        assertThat(summary.path("status").asText()).isEqualTo("dead");
        assertThat(summary.path("type").asText()).isEqualTo("test.type");
        assertThat(summary.path("attempt").asInt()).isEqualTo(1);
        assertThat(summary.path("reschedules").asInt()).isZero();
        assertThat(summary.path("output").asText()).hasSize(TasksApi.OUTPUT_CHARS);
        assertThat(summary.path("createdAt").asText()).isEqualTo("2026-11-22T10:00:20Z");
        assertThat(summary.path("startedAt").asText()).isNotEmpty();
        assertThat(summary.path("nextRunAt").isNull()).isTrue();
        assertThat(summary.has("payload")).isFalse();
        assertThat(summary.has("result")).isFalse();
    }

    @Test
    void badParametersAre400NamingTheParameter() throws Exception {
        assertError(get("/v1/tasks?status=done,finished"), 400, "invalid parameter", "status: 'finished'");
        assertError(get("/v1/tasks?status="), 400, "invalid parameter", "status:");
        assertError(get("/v1/tasks?kind=urgent"), 400, "invalid parameter", "kind: 'urgent'");
        assertError(get("/v1/tasks?since=yesterday"), 400, "invalid parameter", "since: 'yesterday' is not an RFC 3339");
        assertError(get("/v1/tasks?until=2026-11-22"), 400, "invalid parameter", "until: '2026-11-22'");
        assertError(get("/v1/tasks?since=2026-11-22T10:00:00Z&until=2026-11-22T10:00:00Z"), 400, "invalid parameter",
                "until: must be after since");
        assertError(get("/v1/tasks?limit=0"), 400, "invalid parameter", "limit: must be a whole number from 1 to 500");
        assertError(get("/v1/tasks?limit=501"), 400, "invalid parameter", "limit:");
        assertError(get("/v1/tasks?limit=ten"), 400, "invalid parameter", "limit:");
        assertError(get("/v1/tasks?topic="), 400, "invalid parameter", "topic: must not be empty");
        assertError(get("/v1/tasks?topic=a&topic=b"), 400, "invalid parameter", "topic: given more than once");
        assertError(get("/v1/tasks?q=" + "k".repeat(256)), 400, "invalid parameter", "q: must be at most 255");
        assertError(get("/v1/tasks?stauts=failed"), 400, "invalid parameter", "stauts: unknown parameter");
        assertError(get("/v1/tasks?cursor=not-a-cursor"), 400, "invalid cursor", "cursor:");
        assertError(get("/v1/tasks?cursor=" + java.util.Base64.getUrlEncoder().encodeToString("12:nope".getBytes())),
                400, "invalid cursor", "cursor:");
    }

    @Test
    void routesAuthAndMethods() throws Exception {
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri("/v1/tasks")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(anonymous, 401, "unauthorized", "bearer token");
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri("/v1/tasks"))
                .header("Authorization", "Bearer nope").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        UUID id = UUID.randomUUID();
        HttpResponse<String> anonymousRetry = http.send(HttpRequest.newBuilder(uri("/v1/tasks/" + id + "/retry"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymousRetry.statusCode()).isEqualTo(401);

        HttpResponse<String> put = send("PUT", "/v1/tasks");
        assertError(put, 405, "method not allowed", "use GET");
        assertThat(put.headers().firstValue("Allow")).contains("GET");
        HttpResponse<String> getRetry = get("/v1/tasks/" + id + "/retry");
        assertError(getRetry, 405, "method not allowed", "use POST");
        assertThat(getRetry.headers().firstValue("Allow")).contains("POST");
        assertThat(send("DELETE", "/v1/tasks/" + id + "/cancel").headers().firstValue("Allow")).contains("POST");
        assertThat(send("POST", "/v1/tasks/" + id).headers().firstValue("Allow")).contains("GET");
        // The single-task route is still served next to the new ones.
        assertError(get("/v1/tasks/" + id), 404, "unknown task", id.toString());

        assertError(post("/v1/tasks/" + id + "/retry"), 404, "unknown task", id.toString());
        assertError(post("/v1/tasks/" + id + "/cancel"), 404, "unknown task", id.toString());
        assertError(post("/v1/tasks/nope/retry"), 400, "invalid task id", "'nope' is not a UUID");
        assertError(post("/v1/tasks/nope/cancel"), 400, "invalid task id", "'nope' is not a UUID");
    }

    // ---- retry -------------------------------------------------------------------------------

    @Test
    void retryFromEachAllowedStatusQueuesTheNextAttemptOnKafka() throws Exception {
        Map<TaskStatus, TasksRecord> tasks = new java.util.EnumMap<>(TaskStatus.class);
        for (TaskStatus from : List.of(TaskStatus.FAILED, TaskStatus.DEAD, TaskStatus.SKIPPED, TaskStatus.CANCELLED)) {
            tasks.put(from, insert(retries, from, r -> r.setAttempt(3).setReschedules(1)
                    .setTraceId("trace-" + from.wireName()).setCallbackUrl("https://hooks.example/" + from.wireName())));
        }
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        for (var e : tasks.entrySet()) {
            UUID id = e.getValue().getId();
            HttpResponse<String> r = post("/v1/tasks/" + id + "/retry");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            JsonNode body = json(r);
            assertThat(body.path("id").asText()).isEqualTo(id.toString());
            assertThat(body.path("status").asText()).isEqualTo("queued");
            assertThat(body.path("attempt").asInt()).isEqualTo(4);
            assertThat(body.path("statusUrl").asText()).isEqualTo("/v1/tasks/" + id);

            TasksRecord row = row(id);
            assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
            assertThat(row.getAttempt()).isEqualTo(4);
            assertThat(row.getReschedules()).isEqualTo(1);
            assertThat(row.getFinishedAt()).isNull();
            assertThat(row.getNextRunAt()).isNull();
            assertThat(row.getOutput()).isEqualTo(e.getValue().getOutput());
            assertThat(row.getResult()).isEqualTo(e.getValue().getResult());
            assertThat(row.getUpdatedAt()).isAfterOrEqualTo(before);
            TaskTransitionsRecord transition = transitions(id).get(0);
            assertThat(transition.getFromStatus()).isEqualTo(e.getKey());
            assertThat(transition.getToStatus()).isEqualTo(TaskStatus.QUEUED);
            assertThat(transition.getAttempt()).isEqualTo(4);
            assertThat(transition.getReason()).isEqualTo("retried by operator");
            assertThat(transition.getNode()).isEqualTo(NODE);
        }
        List<Task> onKafka = records(retries);
        for (var e : tasks.entrySet()) {
            TasksRecord stored = e.getValue();
            List<Task> copies = onKafka.stream().filter(t -> t.id().equals(stored.getId())).toList();
            assertThat(copies).as("records of the %s task", e.getKey()).hasSize(1);
            Task t = copies.get(0);
            assertThat(t.attempt()).isEqualTo(4);
            assertThat(t.topic()).isEqualTo(retries);
            assertThat(t.type()).isEqualTo(stored.getType());
            assertThat(t.kind()).isEqualTo(stored.getKind());
            assertThat(t.payload()).isEqualTo(stored.getPayload());
            assertThat(t.contentType()).isEqualTo(stored.getContentType());
            assertThat(t.traceId()).isEqualTo(stored.getTraceId());
            assertThat(t.callbackUrl()).isEqualTo(stored.getCallbackUrl());
            assertThat(t.createdAt()).isEqualTo(stored.getCreatedAt());
        }
        // The API shows the retried task as queued at its new attempt.
        JsonNode view = json(ok(get("/v1/tasks/" + tasks.get(TaskStatus.FAILED).getId())));
        assertThat(view.path("status").asText()).isEqualTo("queued");
        assertThat(view.path("transitions").get(0).path("reason").asText()).isEqualTo("retried by operator");
    }

    @Test
    void retryIsRefusedUnlessTheTaskHasFinishedBadly() throws Exception {
        for (TaskStatus status : List.of(TaskStatus.DONE, TaskStatus.RUNNING, TaskStatus.QUEUED, TaskStatus.RESCHEDULED)) {
            TasksRecord t = insert(retries, status, r -> { });
            assertError(post("/v1/tasks/" + t.getId() + "/retry"), 409, "conflict", "task is " + status.wireName()
                    + "; only failed, dead, skipped or cancelled tasks can be retried");
            assertThat(row(t.getId())).isEqualTo(t);
            assertThat(transitions(t.getId())).isEmpty();
        }
    }

    @Test
    void retryThatKafkaRefusesLeavesTheRowAsItWas() throws Exception {
        // A topic name Kafka rejects: the produce fails as it would with the broker unreachable,
        // without stopping the shared test broker.
        TasksRecord t = insert("no such topic!", TaskStatus.FAILED, r -> { });
        HttpResponse<String> r = post("/v1/tasks/" + t.getId() + "/retry");
        assertError(r, 503, "unavailable", "Kafka did not accept");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(row(t.getId())).isEqualTo(t);
        assertThat(transitions(t.getId())).isEmpty();
    }

    @Test
    void aWorkerRunsTheRetriedTask() throws Exception {
        TasksRecord t = insert(runs, TaskStatus.FAILED, r -> r.setAttempt(2).setExtension(null));
        assertThat(post("/v1/tasks/" + t.getId() + "/retry").statusCode()).isEqualTo(202);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> row(t.getId()).getStatus() == TaskStatus.DONE);
        assertThat(ran).filteredOn(task -> task.id().equals(t.getId())).singleElement()
                .satisfies(task -> assertThat(task.attempt()).isEqualTo(3));
        TasksRecord done = row(t.getId());
        assertThat(done.getAttempt()).isEqualTo(3);
        List<TaskTransitionsRecord> history = transitions(t.getId());
        assertThat(history.get(0).getReason()).isEqualTo("retried by operator");
        assertThat(history.get(history.size() - 1).getToStatus()).isEqualTo(TaskStatus.DONE);
        assertThat(history.get(history.size() - 1).getAttempt()).isEqualTo(3);
        // Done now, so a second retry is refused.
        assertError(post("/v1/tasks/" + t.getId() + "/retry"), 409, "conflict", "task is done");
    }

    // ---- cancel ------------------------------------------------------------------------------

    @Test
    void cancelQueuedOrRescheduledTasksOnly() throws Exception {
        TasksRecord queued = insert(retries, TaskStatus.QUEUED, r -> r.setFinishedAt(null));
        TasksRecord rescheduled = insert(retries, TaskStatus.RESCHEDULED, r -> r.setFinishedAt(null)
                .setNextRunAt(Instant.now().plusSeconds(3600)).setReschedules(1).setAttempt(1));
        db.dsl().insertInto(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID, SCHEDULED_DELIVERIES.ATTEMPT,
                        SCHEDULED_DELIVERIES.TOPIC, SCHEDULED_DELIVERIES.PAYLOAD, SCHEDULED_DELIVERIES.DUE_AT)
                .values(rescheduled.getId(), 2, retries, new byte[0], Instant.now().plusSeconds(3600)).execute();

        for (TasksRecord t : List.of(queued, rescheduled)) {
            HttpResponse<String> r = post("/v1/tasks/" + t.getId() + "/cancel");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).path("id").asText()).isEqualTo(t.getId().toString());
            assertThat(json(r).path("status").asText()).isEqualTo("cancelled");
            TasksRecord row = row(t.getId());
            assertThat(row.getStatus()).isEqualTo(TaskStatus.CANCELLED);
            assertThat(row.getFinishedAt()).isNotNull();
            assertThat(row.getNextRunAt()).isNull();
            // A rescheduled task is cancelled at the attempt of the delivery it waited for (its record
            // may already have been sent), so that a retry comes after it.
            int cancelledAttempt = t == rescheduled ? 2 : 1;
            assertThat(row.getAttempt()).isEqualTo(cancelledAttempt);
            TaskTransitionsRecord tr = transitions(t.getId()).get(0);
            assertThat(tr.getAttempt()).isEqualTo(cancelledAttempt);
            assertThat(tr.getFromStatus()).isEqualTo(t.getStatus());
            assertThat(tr.getToStatus()).isEqualTo(TaskStatus.CANCELLED);
            assertThat(tr.getReason()).isEqualTo("cancelled by operator");
            assertThat(tr.getNode()).isEqualTo(NODE);
        }
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(rescheduled.getId())))
                .isZero();
        assertError(post("/v1/tasks/" + queued.getId() + "/cancel"), 409, "conflict",
                "task is cancelled; only queued or rescheduled tasks can be cancelled");

        for (TaskStatus status : List.of(TaskStatus.RUNNING, TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.DEAD,
                TaskStatus.SKIPPED)) {
            TasksRecord t = insert(retries, status, r -> { });
            assertError(post("/v1/tasks/" + t.getId() + "/cancel"), 409, "conflict", "task is " + status.wireName()
                    + "; only queued or rescheduled tasks can be cancelled");
            assertThat(row(t.getId())).isEqualTo(t);
        }
        // A cancelled task can be retried, at the attempt after the one it was cancelled at.
        assertThat(json(post("/v1/tasks/" + queued.getId() + "/retry")).path("attempt").asInt()).isEqualTo(2);
        assertThat(json(post("/v1/tasks/" + rescheduled.getId() + "/retry")).path("attempt").asInt()).isEqualTo(3);
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Inserts a task row with plausible values for {@code status}, adjusted by {@code adjust}. */
    private static TasksRecord insert(String topic, TaskStatus status, java.util.function.Consumer<TasksRecord> adjust) {
        TasksRecord r = db.dsl().newRecord(TASKS);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        r.setId(dev.conveyor.schema.TaskIds.newId());
        r.setTopic(topic);
        r.setExtension("test-extension");
        r.setKind(TaskKind.BACKGROUND);
        r.setType("test.type");
        r.setStatus(status);
        r.setAttempt(1);
        r.setReschedules(0);
        r.setOutput("out ".repeat(100));
        r.setResult(JSONB.valueOf("{\"type\":\"fail\"}"));
        r.setPayload("{\"n\":1}".getBytes(StandardCharsets.UTF_8));
        r.setContentType("application/json");
        r.setCreatedAt(now);
        r.setUpdatedAt(now);
        r.setStartedAt(status == TaskStatus.QUEUED ? null : now);
        r.setFinishedAt(status.isTerminal() ? now : null);
        adjust.accept(r);
        r.store();
        return row(r.getId());
    }

    private static TasksRecord row(UUID id) {
        return db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
    }

    private static List<TaskTransitionsRecord> transitions(UUID id) {
        return db.dsl().selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id))
                .orderBy(TASK_TRANSITIONS.SEQ).fetch();
    }

    private static String id(TasksRecord r) {
        return r.getId().toString();
    }

    private static List<String> ids(String path) throws Exception {
        List<String> out = new ArrayList<>();
        json(ok(get(path))).path("tasks").forEach(t -> out.add(t.path("id").asText()));
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static URI uri(String path) {
        return URI.create(ingress.baseUri() + path);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send("GET", path);
    }

    private static HttpResponse<String> post(String path) throws Exception {
        return send("POST", path);
    }

    private static HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }

    /** Tasks decoded from every record on the topic, read until quiet. */
    private static List<Task> records(String topic) {
        List<Task> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("r")))) {
            c.subscribe(List.of(topic));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofMillis(1500).toNanos()) {
                var polled = c.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> r : polled) {
                    out.add(((Decoded.Ok) codec.decode(r)).task());
                    quietSince = System.nanoTime();
                }
            }
        }
        return out;
    }

    private static void assertError(HttpResponse<String> r, int status, String error, String detailContains) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode body = json(r);
        assertThat(body.path("error").asText()).isEqualTo(error);
        assertThat(body.path("detail").asText()).contains(detailContains);
    }
}
