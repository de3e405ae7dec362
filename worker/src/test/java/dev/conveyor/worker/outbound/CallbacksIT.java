package dev.conveyor.worker.outbound;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.outbound.internal.OutboxDelivery;
import dev.conveyor.worker.scheduler.Scheduler;
import dev.conveyor.worker.scheduler.SchedulerConfig;
import dev.conveyor.worker.spi.BackgroundExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Callbacks and notifications against a real broker, a real PostgreSQL and a local HTTP receiver
 * (on 127.0.0.1, so these tests allow private networks except where the SSRF rule is the subject).
 */
@ConveyorIntegrationTest
class CallbacksIT {

    private static final byte[] KEY = "conveyor-callbacks-test-key-0123".getBytes(StandardCharsets.UTF_8);
    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);

    /** One request the receiver got. */
    record Received(String method, String path, Map<String, List<String>> headers, byte[] body, int answered,
            long atMillis) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .map(e -> e.getValue().get(0)).orElse(null);
        }

        JsonNode json() {
            return Json.parse(body);
        }
    }

    private TestKafka kafka;
    private TestDatabase db;
    private Database database;
    private HttpServer receiver;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    /** Status the receiver answers with; the first {@link #failFirst} requests get 503 instead. */
    private final AtomicInteger answer = new AtomicInteger(200);
    private final AtomicInteger failFirst = new AtomicInteger(0);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) throws Exception {
        this.kafka = kafka;
        this.db = db;
        this.database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 6, db.schema()), "outbound");
        closeables.add(database);
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = failFirst.getAndDecrement() > 0 ? 503 : answer.get();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    Map.copyOf(exchange.getRequestHeaders()), body, status, System.currentTimeMillis()));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        db.dsl().deleteFrom(OUTBOX).execute();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
        receiver.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
    }

    /** Millisecond backoff, a quick poll, and a breaker that does not trip unless a test wants it to. */
    private static OutboundSettings.Tuning fast(CircuitBreakerSettings breaker) {
        return new OutboundSettings.Tuning(Duration.ofMillis(20),
                Backoff.exponential(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.0), Duration.ofSeconds(2),
                Duration.ofSeconds(5), 50, breaker);
    }

    private static final CircuitBreakerSettings LENIENT = new CircuitBreakerSettings(100, 1000, Duration.ofSeconds(1));

    private OutboundSettings settings(boolean allowPrivate, int maxAttempts, List<NotificationSettings> notifications) {
        return new OutboundSettings(new CallbackSettings(SECRET, maxAttempts, allowPrivate), notifications,
                fast(LENIENT));
    }

    /** A task finished as the worker would record it: one batched status write. */
    private Task finish(OutboundSettings settings, String topic, String callbackUrl, TaskResult result) {
        Task t = Task.builder().topic(topic).payload("{\"n\":1}", "application/json").callbackUrl(callbackUrl).build();
        Instant now = Instant.now();
        NextStatus next = NextStatus.of(Outcome.of(result), 1, 0, RetryPolicy.defaults(), 0.5);
        new JooqStatusStore(database.dsl(), "test", settings)
                .apply(List.of(StatusChange.finished(t, "ext", null, false, now, now, next, null, null)));
        return t;
    }

    private OutboxDelivery delivery(OutboundSettings settings) {
        OutboxDelivery d = new OutboxDelivery(database.dsl(), settings, Clock.systemUTC(), new SimpleMeterRegistry());
        closeables.add(d::release);
        return d;
    }

    private OutboxRecord row(UUID task, String target) {
        return db.dsl().selectFrom(OUTBOX).where(OUTBOX.TASK_ID.eq(task)).and(OUTBOX.TARGET.eq(target)).fetchOne();
    }

    /** The receiver's check, written from the Standard Webhooks spec rather than from Conveyor's signer. */
    private static boolean signatureValid(Received r) throws Exception {
        String id = r.header("webhook-id");
        String ts = r.header("webhook-timestamp");
        String sig = r.header("webhook-signature");
        if (id == null || ts == null || sig == null) {
            return false;
        }
        if (Math.abs(Long.parseLong(ts) - Instant.now().getEpochSecond()) > 300) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = ("v1," + Base64.getEncoder().encodeToString(mac.doFinal(r.body())))
                .getBytes(StandardCharsets.US_ASCII);
        for (String candidate : sig.split(" ")) {
            if (MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aFinishedTaskIsPostedSignedToItsCallbackUrlAndMatchingNotificationsFire() throws Exception {
        String topic = kafka.createTopic(TestKafka.uniqueName("cb"), 1);
        String prefix = TestKafka.uniqueName("cv") + ".";
        NotificationSettings alert = new NotificationSettings("ops-alert", Set.of(TaskStatus.FAILED), Set.of(topic),
                URI.create(url("/alert")), "PUT", Map.of("X-Source", "conveyor"),
                PayloadTemplate.parse(Json.parse(("{\"text\": \"{task.topic} {task.id} {task.status}: {task.output}\","
                        + " \"attempt\": \"{task.attempt}\"}").getBytes(StandardCharsets.UTF_8))));
        OutboundSettings settings = settings(true, 10, List.of(alert));
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) {
                return task.json().path("fail").asBoolean() ? TaskResult.fail("card \"declined\"\nretry later")
                        : TaskResult.done();
            }
        };
        Worker worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix)
                        .group(TestKafka.uniqueName("w")).node("worker-node").outbound(settings).build(),
                new Worker.Collaborators(database.dsl(), Extensions.of(ext)));
        closeables.add(worker);
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        closeables.add(Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(TestKafka.uniqueName("s")).withNode("scheduler-node").withOutbound(settings),
                new Scheduler.Collaborators(database, Clock.systemUTC())));

        TaskRecordCodec codec = new TaskRecordCodec();
        Task ok = Task.builder().topic(topic).payload("{\"fail\":false}", "application/json")
                .callbackUrl(url("/cb")).build();
        Task bad = Task.builder().topic(topic).payload("{\"fail\":true}", "application/json").build();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerProperties())) {
            for (Task t : List.of(ok, bad)) {
                ProducerRecord<byte[], byte[]> record = codec.encode(t);
                producer.send(record).get();
            }
        }

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 2);
        Received callback = received.stream().filter(r -> r.path().equals("/cb")).findFirst().orElseThrow();
        assertThat(callback.method()).isEqualTo("POST");
        assertThat(callback.header("webhook-id")).isEqualTo(ok.id() + ".done");
        assertThat(signatureValid(callback)).isTrue();
        JsonNode record = callback.json();
        assertThat(record.path("id").asText()).isEqualTo(ok.id().toString());
        assertThat(record.path("status").asText()).isEqualTo("done");
        assertThat(record.path("topic").asText()).isEqualTo(topic);
        assertThat(record.path("finishedAt").isTextual()).isTrue();
        assertThat(record.path("transitions").size()).isEqualTo(3);

        Received notification = received.stream().filter(r -> r.path().equals("/alert")).findFirst().orElseThrow();
        assertThat(notification.method()).isEqualTo("PUT");
        assertThat(notification.header("X-Source")).isEqualTo("conveyor");
        JsonNode payload = notification.json();
        assertThat(payload.path("text").asText())
                .isEqualTo(topic + " " + bad.id() + " failed: card \"declined\"\nretry later");
        assertThat(payload.path("attempt").isInt()).isTrue();

        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> "delivered".equals(row(ok.id(), "callback").getState()));
        assertThat(row(ok.id(), "callback").getLastStatus()).isEqualTo(200);
        assertThat(row(bad.id(), "callback")).isNull();
    }

    @Test
    void aReceiverThatIsDownGetsRetriesWithBackoffAndTheDeliveryExactlyOnceWhenItIsBack() {
        OutboundSettings settings = settings(true, 10, List.of());
        failFirst.set(4);
        Task t = finish(settings, "orders", url("/cb"), TaskResult.done());
        OutboxDelivery delivery = delivery(settings);
        Thread loop = Thread.ofPlatform().start(delivery);
        closeables.add(() -> {
            delivery.close();
            loop.join(5_000);
        });

        Awaitility.await().atMost(Duration.ofSeconds(15))
                .until(() -> "delivered".equals(row(t.id(), "callback").getState()));
        List<Received> attempts = received.stream().filter(r -> (t.id() + ".done").equals(r.header("webhook-id")))
                .toList();
        assertThat(attempts).extracting(Received::answered).containsExactly(503, 503, 503, 503, 200);
        assertThat(attempts.stream().filter(r -> r.answered() / 100 == 2).count()).isEqualTo(1);
        // Backoff 20, 40, 80, 160 ms (no jitter): each gap is at least the delay before it.
        for (int i = 1; i < attempts.size(); i++) {
            long gap = attempts.get(i).atMillis() - attempts.get(i - 1).atMillis();
            assertThat(gap).as("gap before attempt %d", i + 1).isGreaterThanOrEqualTo(20L << (i - 1));
        }
        OutboxRecord row = row(t.id(), "callback");
        assertThat(row.getAttempts()).isEqualTo(5);
        assertThat(row.getLastStatus()).isEqualTo(200);
        assertThat(row.getLastError()).isNull();
        assertThat(row.getDeliveredAt()).isNotNull();

        // Nothing is sent again once delivered.
        int before = received.size();
        delivery.deliverDue();
        assertThat(received).hasSize(before);
    }

    @Test
    void afterMaxAttemptsTheDeliveryIsMarkedFailedAndCounted() {
        OutboundSettings settings = settings(true, 3, List.of());
        answer.set(500);
        Task t = finish(settings, "orders", url("/cb"), TaskResult.fail("boom"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        OutboxDelivery delivery = new OutboxDelivery(database.dsl(), settings, Clock.systemUTC(), meters);
        closeables.add(delivery::release);

        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
            delivery.deliverDue();
            return "failed".equals(row(t.id(), "callback").getState());
        });
        OutboxRecord row = row(t.id(), "callback");
        assertThat(row.getAttempts()).isEqualTo(3);
        assertThat(row.getLastStatus()).isEqualTo(500);
        assertThat(row.getLastError()).startsWith("HTTP 500");
        assertThat(received).hasSize(3);
        assertThat(meters.counter("conveyor.outbound.failed", "kind", "callback").count()).isEqualTo(1.0);
    }

    @Test
    void privateAddressesAreRefusedUnlessAllowed() {
        OutboundSettings settings = settings(false, 10, List.of());
        Task literal = finish(settings, "orders", url("/cb"), TaskResult.done());
        Task named = finish(settings, "orders", "http://localhost:" + receiver.getAddress().getPort() + "/cb",
                TaskResult.done());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        OutboxDelivery delivery = new OutboxDelivery(database.dsl(), settings, Clock.systemUTC(), meters);
        closeables.add(delivery::release);

        delivery.deliverDue();

        assertThat(received).isEmpty();
        OutboxRecord refused = row(literal.id(), "callback");
        assertThat(refused.getState()).isEqualTo("failed");
        assertThat(refused.getLastError()).startsWith("refused: private address 127.0.0.1");
        assertThat(refused.getAttempts()).isZero();
        assertThat(row(named.id(), "callback").getLastError()).startsWith("refused: private address");
        assertThat(meters.counter("conveyor.outbound.failed", "kind", "callback").count()).isEqualTo(2.0);
    }

    @Test
    void anOpenCircuitPostponesRowsWithoutUsingTheirAttempts() {
        OutboundSettings settings = new OutboundSettings(new CallbackSettings(SECRET, 10, true), List.of(),
                fast(new CircuitBreakerSettings(50, 2, Duration.ofMinutes(5))));
        answer.set(503);
        Task a = finish(settings, "orders", url("/a"), TaskResult.done());
        Task b = finish(settings, "orders", url("/b"), TaskResult.done());
        OutboxDelivery delivery = delivery(settings);
        delivery.deliverDue(); // both fail: 2 of 2 calls failed, the breaker for 127.0.0.1 opens
        assertThat(delivery.breaker("127.0.0.1").getState().name()).isEqualTo("OPEN");
        Task c = finish(settings, "orders", url("/c"), TaskResult.done());

        delivery.deliverDue();

        assertThat(received).hasSize(2);
        OutboxRecord postponed = row(c.id(), "callback");
        assertThat(postponed.getState()).isEqualTo("pending");
        assertThat(postponed.getAttempts()).isZero();
        assertThat(postponed.getLastError()).startsWith("postponed: circuit open");
        assertThat(postponed.getNextAttemptAt()).isAfter(Instant.now().plus(Duration.ofMinutes(4)));
        assertThat(row(a.id(), "callback").getAttempts()).isEqualTo(1);
        assertThat(row(b.id(), "callback").getAttempts()).isEqualTo(1);
    }
}
