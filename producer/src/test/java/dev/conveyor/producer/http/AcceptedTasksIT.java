package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import io.helidon.common.parameters.Parameters;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.conf.ParamType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks that have a row from the moment they were accepted (issue 17), as an operator reaches them
 * through the status API over real HTTP, a real broker and a real PostgreSQL: found by their
 * idempotency key with {@code q=}, and cancelled while their record still waits in Kafka. Rows are
 * written as the ingress and the recorder write them ({@link JooqStatusStore#recordQueued}) and as a
 * worker that saw the record first writes them (a {@code finished} upsert).
 */
@ConveyorIntegrationTest
class AcceptedTasksIT {

    private static final Logger log = LoggerFactory.getLogger(AcceptedTasksIT.class);
    private static final HttpClient http = HttpClient.newHttpClient();

    private static TestDatabase db;
    private static Database database;
    private static IngressServer ingress;
    private static JooqStatusStore store;
    private static String topic;

    @BeforeAll
    static void start(TestKafka kafka, TestDatabase testDatabase) {
        db = testDatabase;
        topic = kafka.createTopic("accepted", 1);
        String prefix = TestKafka.uniqueName("acc") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "accepted-it");
        ingress = IngressServer.start(IngressConfig.builder(kafka.bootstrap()).port(0).topicPrefix(prefix)
                        .topics(Set.of(topic)).build(),
                new IngressServer.Collaborators(database, Clock.systemUTC()));
        store = new JooqStatusStore(database.dsl(), "accepted-it");
    }

    @AfterAll
    static void stop() {
        if (ingress != null) {
            ingress.close();
        }
        if (database != null) {
            database.close();
        }
    }

    // ---- q = idempotency key -------------------------------------------------------------------

    @Test
    void qFindsATaskByItsIdempotencyKeyWhoeverWroteTheRow() throws Exception {
        String key = "order-" + UUID.randomUUID();
        // A key that looks like a task id: q= then looks for both.
        String uuidKey = UUID.randomUUID().toString();
        Task byIngress = accepted(key);
        Task uuidKeyed = accepted(uuidKey);
        Task byWorker = ranFirst("payment-" + UUID.randomUUID());

        assertThat(ids("/v1/tasks?q=" + enc(key))).containsExactly(byIngress.id().toString());
        assertThat(ids("/v1/tasks?q=" + enc(uuidKey))).containsExactly(uuidKeyed.id().toString());
        assertThat(ids("/v1/tasks?q=" + enc(byWorker.idempotencyKey()))).containsExactly(byWorker.id().toString());
        assertThat(ids("/v1/tasks?q=" + enc(key) + "&status=queued")).containsExactly(byIngress.id().toString());
        assertThat(ids("/v1/tasks?q=" + enc(byWorker.idempotencyKey()) + "&status=queued")).isEmpty();
        assertThat(ids("/v1/tasks?q=" + enc(key.toUpperCase()))).as("keys are exact").isEmpty();

        JsonNode task = json(get("/v1/tasks/" + byIngress.id()));
        assertThat(task.get("status").asText()).isEqualTo("queued");
        assertThat(task.get("idempotencyKey").asText()).isEqualTo(key);
        assertThat(json(get("/v1/tasks/" + byWorker.id())).get("idempotencyKey").asText())
                .isEqualTo(byWorker.idempotencyKey());
    }

    @Test
    void theKeySearchWalksTheIdempotencyKeyIndex() {
        // Its own schema, large enough for the planner's choice to mean something: 50,000 tasks,
        // every tenth with a key, 90 % done.
        try (TestDatabase own = db.freshSibling("search")) {
            DSLContext d = own.dsl();
            d.execute("""
                    insert into tasks (id, topic, kind, type, status, attempt, created_at, updated_at, idempotency_key)
                    select gen_random_uuid(), 'topic-' || (i % 10), 'background', 't',
                           case when i % 10 = 0 then 'queued' else 'done' end, 1, ts, ts,
                           case when i % 10 = 0 then 'order-' || i end
                    from (select i, timestamptz '2026-11-01' + i * interval '31 seconds' as ts
                          from generate_series(1, 50000) i) s""");
            d.execute("vacuum analyze tasks");
            for (String q : List.of("order-4200", UUID.randomUUID().toString(), "0190abcd")) {
                TaskQuery query = TaskQuery.parse(Parameters.create("query", Map.of("q", List.of(q))));
                String sql = TasksApi.select(d, query).getSQL(ParamType.INLINED);
                String plan = String.join("\n", d.fetch("explain " + sql).getValues(0, String.class));
                log.info("GET /v1/tasks?q={}\n{}\n{}", q, sql, plan);
                assertThat(plan).as(plan).contains("tasks_idempotency_key_idx").doesNotContain("Seq Scan");
            }
            // The answer is the one task with that key.
            TaskQuery query = TaskQuery.parse(Parameters.create("query", Map.of("q", List.of("order-4200"))));
            assertThat(TasksApi.select(d, query).fetch()).hasSize(1);
        }
    }

    // ---- cancel a task that waits in Kafka -----------------------------------------------------

    @Test
    void cancelMarksAQueuedTaskNotYetPickedUpCancelled() throws Exception {
        Task waiting = accepted("cancel-" + UUID.randomUUID());

        HttpResponse<String> cancelled = post("/v1/tasks/" + waiting.id() + "/cancel");
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(json(cancelled).get("id").asText()).isEqualTo(waiting.id().toString());
        assertThat(json(cancelled).get("status").asText()).isEqualTo("cancelled");

        JsonNode task = json(get("/v1/tasks/" + waiting.id()));
        assertThat(task.get("status").asText()).isEqualTo("cancelled");
        assertThat(task.get("attempt").asInt()).isEqualTo(1);
        assertThat(task.get("finishedAt").isNull()).isFalse();
        JsonNode transitions = task.get("transitions");
        assertThat(transitions).hasSize(2);
        assertThat(transitions.get(0).get("from").isNull()).isTrue();
        assertThat(transitions.get(0).get("to").asText()).isEqualTo("queued");
        assertThat(transitions.get(0).get("at").asText()).isEqualTo(waiting.createdAt().toString());
        assertThat(transitions.get(1).get("from").asText()).isEqualTo("queued");
        assertThat(transitions.get(1).get("to").asText()).isEqualTo("cancelled");
        assertThat(transitions.get(1).get("reason").asText()).isEqualTo(TasksApi.CANCEL_REASON);

        // The acceptance recorded again (the recorder reading the record after the ingress wrote the
        // row) leaves the cancelled row as it is.
        assertThat(store.recordQueued(List.of(StatusChange.accepted(waiting, "recorded")))).isEmpty();
        assertThat(json(get("/v1/tasks/" + waiting.id())).get("status").asText()).isEqualTo("cancelled");

        HttpResponse<String> again = post("/v1/tasks/" + waiting.id() + "/cancel");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).get("detail").asText())
                .isEqualTo("task is cancelled; only queued or rescheduled tasks can be cancelled");
        // A cancelled task can be queued again by the operator.
        assertThat(post("/v1/tasks/" + waiting.id() + "/retry").statusCode()).isEqualTo(202);
        assertThat(json(get("/v1/tasks/" + waiting.id())).get("status").asText()).isEqualTo("queued");
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** A task accepted a second ago, its row written as the ingress writes it. */
    private static Task accepted(String idempotencyKey) {
        Task t = Task.builder().topic(topic).payload("{\"n\": 1}", "application/json")
                .createdAt(Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.MILLIS))
                .idempotencyKey(idempotencyKey).key("customer-7").build();
        assertThat(store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress"))))
                .containsExactly(t.id());
        return t;
    }

    /** A task whose first row a worker wrote, when it finished (it saw the record before any queued row). */
    private static Task ranFirst(String idempotencyKey) {
        Instant started = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.MILLIS);
        Task t = Task.builder().topic(topic).payload("{}", "application/json").createdAt(started.minusSeconds(1))
                .idempotencyKey(idempotencyKey).build();
        NextStatus done = NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5);
        assertThat(store.apply(List.of(StatusChange.finished(t, "ext", null, false, started, started.plusMillis(20),
                done, null, null)))).containsExactly(t.id());
        return t;
    }

    private static List<String> ids(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r).get("tasks").findValuesAsText("id");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(ingress.baseUri().resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(ingress.baseUri().resolve(path))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }
}
