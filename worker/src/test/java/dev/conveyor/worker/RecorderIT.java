package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.CuttableProxy;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.recorder.QueuedRecorder;
import dev.conveyor.worker.recorder.RecorderConfig;
import dev.conveyor.worker.recorder.WorkerGroupOffsets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The recorder against a real broker and PostgreSQL: records produced straight to a task topic get
 * their {@code queued} row with or without a worker, a cancelled queued task is never run, a worker
 * that got there first keeps its row, and a database outage loses no row and makes none twice.
 */
@ConveyorIntegrationTest
class RecorderIT {

    private WorkerFixture fx;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        fx.close();
    }

    private String recorderGroup;

    private QueuedRecorder recorder(String topic, DSLContext dsl) {
        return recorder(topic, dsl, null, new SimpleMeterRegistry());
    }

    /** A recorder that skips what {@code workerGroup} committed (none when null). */
    private QueuedRecorder recorder(String topic, DSLContext dsl, String workerGroup, SimpleMeterRegistry meters) {
        recorderGroup = TestKafka.uniqueName(fx.prefix + "recorder");
        RecorderConfig config = new RecorderConfig(true, fx.kafka.bootstrap(), Map.of(), recorderGroup, "test-node",
                Set.of(topic), RecorderConfig.DEFAULT_BATCH_SIZE);
        StatusStore store = new JooqStatusStore(dsl, "test-node");
        QueuedRecorder.Collaborators collaborators = new QueuedRecorder.Collaborators(store, meters, Clock.systemUTC());
        if (workerGroup != null) {
            WorkerGroupOffsets workers = WorkerGroupOffsets.of(config, workerGroup);
            closing.add(workers);
            collaborators = collaborators.skippingWhat(workers);
        }
        QueuedRecorder recorder = QueuedRecorder.start(config, collaborators);
        closing.add(recorder);
        return recorder;
    }

    @Test
    void recordsTheWorkersHaveCommittedAreSkippedAndTheRestRecorded() throws Exception {
        String topic = fx.kafka.createTopic("rec-ahead", 1);
        List<RecordMetadata> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(sendPlain(topic, "{\"i\":" + i + "}"));
        }
        // The workers' group has finished the first three records (a worker commits only once their rows are durable).
        String workerGroup = TestKafka.uniqueName(fx.prefix + "workers");
        var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
                fx.kafka.consumerProperties(workerGroup))) {
            consumer.assign(List.of(tp));
            consumer.commitSync(Map.of(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(3)));
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        recorder(topic, fx.db.dsl(), workerGroup, meters);

        awaitQueued(idOf(sent.get(3)), Duration.ofSeconds(60));
        awaitQueued(idOf(sent.get(4)), Duration.ofSeconds(5));
        for (RecordMetadata m : sent.subList(0, 3)) {
            assertThat(fx.row(idOf(m))).as("offset " + m.offset() + ", below the workers' commit").isNull();
        }
        assertThat(meters.get("conveyor.recorder.skipped").tag("reason", "workers-ahead").counter().count())
                .isEqualTo(3);
    }

    private RecordMetadata sendPlain(String topic, String value) throws Exception {
        try (var producer = new KafkaProducer<byte[], byte[]>(fx.kafka.producerProperties())) {
            return producer.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static UUID idOf(RecordMetadata m) {
        return TaskIds.forRecord(m.topic(), m.partition(), m.offset());
    }

    private void awaitQueued(UUID id, Duration within) {
        Awaitility.await("queued row of " + id).atMost(within).pollInterval(Duration.ofMillis(10))
                .until(() -> fx.row(id) != null);
        assertThat(fx.row(id).getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(fx.transitions(id)).containsExactly(TaskStatus.QUEUED);
    }

    @Test
    void plainAndCloudEventsSdkRecordsProducedStraightToATopicAreQueuedWithinTwoSeconds() throws Exception {
        String topic = fx.kafka.createTopic("rec-plain", 2);
        recorder(topic, fx.db.dsl());
        awaitQueued(idOf(sendPlain(topic, "warm-up")), Duration.ofSeconds(60)); // the group has its partitions

        RecordMetadata plain = sendPlain(topic, "{\"n\":1}");
        awaitQueued(idOf(plain), Duration.ofSeconds(2));
        assertThat(fx.transitionReasons(idOf(plain)).getFirst())
                .isEqualTo("recorded from " + topic + "-" + plain.partition() + "@" + plain.offset());

        io.cloudevents.CloudEvent event = io.cloudevents.core.builder.CloudEventBuilder.v1()
                .withId("rec-sdk-1").withSource(URI.create("urn:rec")).withType("rec.test")
                .withDataContentType("application/json").withData("{\"a\":1}".getBytes(StandardCharsets.UTF_8))
                .build();
        var props = fx.kafka.producerProperties();
        props.put("value.serializer", io.cloudevents.kafka.CloudEventSerializer.class.getName());
        props.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
        try (var producer = new KafkaProducer<String, io.cloudevents.CloudEvent>(props)) {
            producer.send(new ProducerRecord<>(topic, "k", event)).get();
        }
        UUID sdk = TaskIds.forEvent("urn:rec", "rec-sdk-1");
        awaitQueued(sdk, Duration.ofSeconds(2));
        assertThat(fx.row(sdk).getType()).isEqualTo("rec.test");
    }

    @Test
    void aQueuedTaskCancelledBeforeAnyWorkerRunsIsNeverRun() throws Exception {
        String topic = fx.kafka.createTopic("rec-cancel", 2);
        recorder(topic, fx.db.dsl());
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            tasks.add(fx.publish(fx.task(topic, "{\"i\":" + i + "}")));
        }
        for (Task t : tasks) {
            awaitQueued(t.id(), Duration.ofSeconds(60));
        }
        assertThat(fx.db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.STATUS.eq(TaskStatus.QUEUED))))
                .isEqualTo(6);
        UUID cancelled = tasks.get(2).id();
        StatusStore store = new JooqStatusStore(fx.db.dsl(), "operator");
        assertThat(store.cancel(cancelled, "not needed", Instant.now()))
                .isInstanceOf(StatusStore.Cancellation.Cancelled.class);

        WorkerDeliveryIT.Counting ext = new WorkerDeliveryIT.Counting(topic, null);
        WorkerConfig config = fx.config().build();
        fx.start(config, ext);
        for (Task t : tasks) {
            if (!t.id().equals(cancelled)) {
                fx.awaitStatus(t.id(), TaskStatus.DONE);
            }
        }
        Awaitility.await("worker read the whole topic").atMost(Duration.ofSeconds(30))
                .until(() -> fx.committedToEnd(config.group(), topic));
        assertThat(ext.runs).doesNotContainKey(cancelled).hasSize(5);
        assertThat(fx.row(cancelled).getStatus()).isEqualTo(TaskStatus.CANCELLED);
    }

    @Test
    void aWorkerFasterThanTheRecorderKeepsItsRows() throws Exception {
        String topic = fx.kafka.createTopic("rec-late", 2);
        WorkerDeliveryIT.Counting ext = new WorkerDeliveryIT.Counting(topic, null);
        fx.start(fx.config().build(), ext);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tasks.add(fx.publish(fx.task(topic, "{\"i\":" + i + "}")));
        }
        Map<UUID, List<TaskStatus>> before = new java.util.HashMap<>();
        for (Task t : tasks) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
            before.put(t.id(), fx.transitions(t.id()));
        }

        QueuedRecorder recorder = recorder(topic, fx.db.dsl());
        Awaitility.await("recorder read the whole topic").atMost(Duration.ofSeconds(60))
                .until(() -> fx.committedToEnd(recorderGroup, topic));

        assertThat(recorder.metrics().recorded()).isZero();
        assertThat(recorder.metrics().lag().count()).isEqualTo(10);
        assertThat(fx.db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic))).isEqualTo(10);
        for (Task t : tasks) {
            assertThat(fx.row(t.id()).getStatus()).isEqualTo(TaskStatus.DONE);
            assertThat(fx.transitions(t.id())).isEqualTo(before.get(t.id()));
        }
    }

    @Test
    void aDatabaseOutageWhileRecordingLosesNoRowAndMakesNoneTwice() throws Exception {
        String topic = fx.kafka.createTopic("rec-outage", 2);
        Matcher server = Pattern.compile("//([^/:]+):(\\d+)/").matcher(fx.db.jdbcUrl());
        assertThat(server.find()).as("host and port in " + fx.db.jdbcUrl()).isTrue();
        CuttableProxy proxy = new CuttableProxy(server.group(1), Integer.parseInt(server.group(2)));
        closing.add(proxy);
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(fx.db.jdbcUrl().replace(server.group(0), "//127.0.0.1:" + proxy.port() + "/"));
        if (fx.db.user() != null) {
            pool.setUsername(fx.db.user());
        }
        if (fx.db.password() != null) {
            pool.setPassword(fx.db.password());
        }
        pool.setSchema(fx.db.schema());
        pool.setMaximumPoolSize(2);
        pool.setConnectionTimeout(500);
        pool.setInitializationFailTimeout(-1);
        HikariDataSource viaProxy = new HikariDataSource(pool);
        closing.add(viaProxy);
        recorder(topic, DSL.using(viaProxy, SQLDialect.POSTGRES));

        List<UUID> ids = new ArrayList<>();
        try (var producer = new KafkaProducer<byte[], byte[]>(fx.kafka.producerProperties())) {
            for (int i = 0; i < 20; i++) {
                ids.add(idOf(producer.send(new ProducerRecord<>(topic, ("before-" + i).getBytes())).get()));
            }
            for (UUID id : ids) {
                awaitQueued(id, Duration.ofSeconds(60));
            }
            proxy.cut();
            for (int i = 0; i < 30; i++) {
                ids.add(idOf(producer.send(new ProducerRecord<>(topic, ("during-" + i).getBytes())).get()));
            }
            Thread.sleep(2_000); // the recorder tries, fails and waits
            assertThat(fx.row(ids.getLast())).isNull();
            proxy.heal();
        }
        Awaitility.await("every record has its row").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> fx.db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic)) == ids.size());
        Awaitility.await("recorder committed the whole topic").atMost(Duration.ofSeconds(30))
                .until(() -> fx.committedToEnd(recorderGroup, topic));
        for (UUID id : ids) {
            assertThat(fx.row(id).getStatus()).isEqualTo(TaskStatus.QUEUED);
        }
        assertThat(fx.db.dsl().fetchCount(TASK_TRANSITIONS, TASK_TRANSITIONS.TASK_ID.in(ids))).isEqualTo(ids.size());
    }
}
