package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.producer.webhooks.WebhookSource;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.db.jooq.tables.records.TaskTransitionsRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.CuttableProxy;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.scheduler.Scheduler;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.schema.TaskResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every task the ingress accepts has its {@code queued} row when the client gets its answer (issue
 * 17): from any ingress node, for events, webhooks and interactive requests, with its keys and
 * acceptance time; a future-dated one gets its scheduled row and still runs; and with the database
 * gone the answer still comes, within the bound, with the task in Kafka.
 */
@ConveyorIntegrationTest
class QueuedAtAcceptanceIT {

    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("queued-test".getBytes());
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final List<AutoCloseable> closeables = new ArrayList<>();
    private static final List<UUID> ran = new CopyOnWriteArrayList<>();
    private static TestKafka kafka;
    private static TestDatabase db;
    private static String orders;
    private static String later;
    private static String quotes;
    private static IngressServer ingressA;
    private static IngressServer ingressB;
    private static IngressServer cutOff;
    private static CuttableProxy proxy;
    private static SimpleMeterRegistry cutOffMeters;

    @BeforeAll
    static void start(TestKafka k, TestDatabase d) throws Exception {
        kafka = k;
        db = d;
        orders = kafka.createTopic("orders", 1);
        later = kafka.createTopic("later", 1);
        quotes = kafka.createTopic("quotes", 1);
        String prefix = TestKafka.uniqueName("qa") + ".";
        kafka.createTopicNamed(prefix + "replies", 1);
        kafka.createTopicNamed(prefix + "delayed", 1);
        IngressConfig.Builder config = IngressConfig.builder(kafka.bootstrap()).port(0).topicPrefix(prefix)
                .topics(Set.of(orders, later, quotes))
                .interactiveTimeouts(Map.of(quotes, Duration.ofMillis(300)))
                .webhooks(Map.of("billing", WebhookSource.of("billing", WebhookSource.Scheme.STANDARD_WEBHOOKS,
                        SECRET, orders)));
        ingressA = ingress(config.node("ingress-a").build(), database(db.jdbcUrl(), "a"), new SimpleMeterRegistry());
        ingressB = ingress(config.node("ingress-b").build(), database(db.jdbcUrl(), "b"), new SimpleMeterRegistry());
        proxy = new CuttableProxy(port(db.jdbcUrl()));
        closeables.add(proxy);
        cutOffMeters = new SimpleMeterRegistry();
        cutOff = ingress(config.node("ingress-cut").build(),
                database(db.jdbcUrl().replaceFirst(":" + port(db.jdbcUrl()) + "/", ":" + proxy.port() + "/"), "cut"),
                cutOffMeters);

        Database shared = database(db.jdbcUrl(), "runtime");
        Scheduler scheduler = Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                .withGroup(TestKafka.uniqueName("sched")).withNode("queued-scheduler"),
                new Scheduler.Collaborators(shared, Clock.systemUTC()));
        closeables.add(0, scheduler);
        BackgroundExtension runs = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(later);
            }

            @Override
            public TaskResult handle(Task task) {
                ran.add(task.id());
                return TaskResult.done();
            }
        };
        Worker worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix)
                .group(TestKafka.uniqueName("qw")).node("queued-worker").build(),
                new Worker.Collaborators(shared.dsl(), Extensions.of(runs)));
        closeables.add(0, worker);
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
    }

    private static Database database(String url, String name) {
        Database d = Database.open(new DbConfig(url, db.user(), db.password(), 4, db.schema()), "queued-" + name);
        closeables.add(d);
        return d;
    }

    private static IngressServer ingress(IngressConfig config, Database database, SimpleMeterRegistry meters) {
        IngressServer s = IngressServer.start(config, new IngressServer.Collaborators(database, Clock.systemUTC(),
                meters, null));
        closeables.add(0, s);
        return s;
    }

    private static int port(String jdbcUrl) {
        Matcher m = Pattern.compile("//[^/:]+:(\\d+)/").matcher(jdbcUrl);
        assertThat(m.find()).as("port in %s", jdbcUrl).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void statusUrlAnswersFromAnotherNodeTheMomentTheClientHasThe202() throws Exception {
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> accepted = post(ingressA, "/v1/events/" + orders, "{\"n\":" + i + "}");
            assertThat(accepted.statusCode()).isEqualTo(202);
            String statusUrl = json(accepted).path("statusUrl").asText();
            HttpResponse<String> status = get(ingressB, statusUrl);
            assertThat(status.statusCode()).as("GET %s on the other node, request %d: %s", statusUrl, i, status.body())
                    .isEqualTo(200);
            assertThat(json(status).path("status").asText()).isEqualTo("queued");
        }
    }

    @Test
    void theRowCarriesTheKeysAndStartsQueuedAtTheAcceptanceTimeAndAReplayWritesNothing() throws Exception {
        String key = "idem-" + UUID.randomUUID();
        Instant before = Instant.now().truncatedTo(ChronoUnit.MICROS);
        HttpResponse<String> accepted = post(ingressA, "/v1/events/" + orders, "{\"order\":1}",
                "Idempotency-Key", key, "X-Event-Key", "customer-7");
        Instant after = Instant.now();
        assertThat(accepted.statusCode()).isEqualTo(202);
        UUID id = UUID.fromString(json(accepted).path("id").asText());

        TasksRecord row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
        assertThat(row).isNotNull();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(row.getIdempotencyKey()).isEqualTo(key);
        assertThat(new String(row.getKafkaKey(), StandardCharsets.UTF_8)).isEqualTo("customer-7");
        assertThat(row.getCreatedAt()).isBetween(before, after);
        List<TaskTransitionsRecord> history = history(id);
        assertThat(history).singleElement().satisfies(t -> {
            assertThat(t.getFromStatus()).isNull();
            assertThat(t.getToStatus()).isEqualTo(TaskStatus.QUEUED);
            assertThat(t.getAt()).isEqualTo(row.getCreatedAt());
            assertThat(t.getReason()).isEqualTo("accepted by the ingress");
            assertThat(t.getNode()).isEqualTo("ingress-a");
        });

        HttpResponse<String> replay = post(ingressB, "/v1/events/" + orders, "{\"order\":1}",
                "Idempotency-Key", key, "X-Event-Key", "customer-7");
        assertThat(json(replay).path("id").asText()).isEqualTo(id.toString());
        assertThat(history(id)).hasSize(1);
        assertThat(db.dsl().fetchCount(TASKS, TASKS.IDEMPOTENCY_KEY.eq(key))).isEqualTo(1);
    }

    @Test
    void aWebhookAndAnInteractiveRequestHaveTheirRowWhenAnswered() throws Exception {
        String body = "{\"invoice\":7}";
        String msgId = "msg_" + UUID.randomUUID();
        long now = Instant.now().getEpochSecond();
        HttpResponse<String> hook = post(ingressA, "/v1/webhooks/billing", body, "webhook-id", msgId,
                "webhook-timestamp", Long.toString(now), "webhook-signature", sign(msgId, now, body));
        assertThat(hook.statusCode()).isEqualTo(200);
        UUID hookId = UUID.fromString(json(hook).path("id").asText());
        assertThat(db.dsl().fetchValue(TASKS.STATUS, TASKS.ID.eq(hookId))).isEqualTo(TaskStatus.QUEUED);

        // No worker serves quotes: the request times out, and its task is there, queued.
        HttpResponse<String> interactive = post(ingressA, "/v1/interactive/" + quotes, "{\"sku\":\"a\"}");
        assertThat(interactive.statusCode()).isEqualTo(504);
        Matcher m = Pattern.compile("task ([0-9a-f-]{36})").matcher(json(interactive).path("detail").asText());
        assertThat(m.find()).isTrue();
        UUID interactiveId = UUID.fromString(m.group(1));
        assertThat(db.dsl().fetchValue(TASKS.STATUS, TASKS.ID.eq(interactiveId))).isEqualTo(TaskStatus.QUEUED);
        assertThat(history(interactiveId)).extracting(TaskTransitionsRecord::getReason)
                .containsExactly("accepted by the ingress");
    }

    @Test
    void aFutureDatedEventGetsItsScheduledRowAndStillRunsAtItsTime() throws Exception {
        HttpResponse<String> accepted = post(ingressA, "/v1/events/" + later, "{}", "X-Schedule-In", "3");
        assertThat(accepted.statusCode()).isEqualTo(202);
        UUID id = UUID.fromString(json(accepted).path("id").asText());
        Instant deliverAt = Instant.parse(json(accepted).path("deliverAt").asText());

        TasksRecord row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
        assertThat(row).isNotNull();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(row.getNextRunAt()).isCloseTo(deliverAt, within(1, ChronoUnit.MILLIS));
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(id))).isEqualTo(1);

        await().atMost(Duration.ofSeconds(30))
                .until(() -> db.dsl().fetchValue(TASKS.STATUS, TASKS.ID.eq(id)) == TaskStatus.DONE);
        assertThat(ran.stream().filter(id::equals)).hasSize(1);
        assertThat(Instant.now()).isAfterOrEqualTo(deliverAt);
        assertThat(history(id)).extracting(TaskTransitionsRecord::getToStatus)
                .startsWith(TaskStatus.QUEUED).endsWith(TaskStatus.DONE);
        // The scheduler read the delayed record after the ingress wrote the row: one queued step, one run.
        assertThat(history(id)).extracting(TaskTransitionsRecord::getToStatus)
                .filteredOn(TaskStatus.RUNNING::equals).hasSize(1);
    }

    @Test
    void withTheDatabaseGoneThe202StillComesWithinTheBoundAndKafkaHasTheTask() throws Exception {
        proxy.cut();
        try {
            long start = System.nanoTime();
            HttpResponse<String> accepted = post(cutOff, "/v1/events/" + orders, "{\"during\":\"outage\"}");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(took).isLessThan(Duration.ofSeconds(4));
            UUID id = UUID.fromString(json(accepted).path("id").asText());
            assertThat(cutOffMeters.counter("conveyor.ingress.queued.write.failures").count()).isGreaterThanOrEqualTo(1);
            assertThat(ceIds(orders)).contains(id.toString());

            long asked = System.nanoTime();
            HttpResponse<String> status = get(cutOff, json(accepted).path("statusUrl").asText());
            assertThat(status.statusCode()).as("polling statusUrl during the outage: " + status.body()).isEqualTo(503);
            assertThat(status.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(json(status).path("error").asText()).isEqualTo("unavailable");
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("within the pool's connection timeout")
                    .isLessThan(Duration.ofSeconds(8));
        } finally {
            proxy.heal();
        }
    }

    private static List<TaskTransitionsRecord> history(UUID id) {
        return db.dsl().selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id))
                .orderBy(TASK_TRANSITIONS.SEQ).fetch();
    }

    /** The CloudEvents ids of every record on {@code topic}, read from the start until quiet. */
    private static List<String> ceIds(String topic) {
        List<String> ids = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("r")))) {
            c.subscribe(List.of(topic));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ids.add(new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8));
                    quietSince = System.nanoTime();
                }
            }
        }
        return ids;
    }

    private static HttpResponse<String> post(IngressServer to, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(to.baseUri().resolve(path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(IngressServer from, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(from.baseUri().resolve(URI.create(path))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
    }

    private static String sign(String id, long timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        return "v1," + Base64.getEncoder().encodeToString(
                mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }
}
