package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.ScheduledDeliveriesRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.Extension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.awaitility.Awaitility;

/** Starts workers against the harness's broker and database, publishes tasks and reads statuses. */
final class WorkerFixture implements AutoCloseable {

    final TestKafka kafka;
    final TestDatabase db;
    final String prefix;
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<Worker> workers = new ArrayList<>();

    WorkerFixture(TestKafka kafka, TestDatabase db) {
        this.kafka = kafka;
        this.db = db;
        this.prefix = TestKafka.uniqueName("cv") + ".";
        this.producer = new KafkaProducer<>(kafka.producerProperties());
    }

    WorkerConfig.Builder config() {
        return WorkerConfig.builder(kafka.bootstrap())
                .topicPrefix(prefix)
                .group(TestKafka.uniqueName("workers"))
                .node("test-node")
                .shutdownGrace(Duration.ofSeconds(10));
    }

    Worker start(WorkerConfig config, Extension... extensions) throws InterruptedException {
        Worker worker = Worker.start(config, new Worker.Collaborators(db.dsl(), Extensions.of(extensions)));
        workers.add(worker);
        if (!worker.awaitAssignment(Duration.ofSeconds(30))) {
            throw new AssertionError("worker got no partitions within 30 s");
        }
        return worker;
    }

    Task publish(Task task) {
        send(codec.encode(task));
        return task;
    }

    void send(ProducerRecord<byte[], byte[]> record) {
        try {
            producer.send(record).get();
        } catch (Exception e) {
            throw new AssertionError("produce failed", e);
        }
    }

    Task task(String topic, String json) {
        return Task.builder().topic(topic).payload(json, "application/json").build();
    }

    TasksRecord row(UUID id) {
        return db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(id)).fetchOne();
    }

    TasksRecord awaitStatus(UUID id, TaskStatus status) {
        Awaitility.await("task " + id + " " + status.wireName()).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    TasksRecord r = row(id);
                    return r != null && r.getStatus() == status;
                });
        return row(id);
    }

    List<TaskStatus> transitions(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.TO_STATUS).from(TASK_TRANSITIONS)
                .where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.TO_STATUS);
    }

    List<String> transitionReasons(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.REASON).from(TASK_TRANSITIONS)
                .where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.REASON);
    }

    ScheduledDeliveriesRecord delivery(UUID id, int attempt) {
        return db.dsl().selectFrom(SCHEDULED_DELIVERIES)
                .where(SCHEDULED_DELIVERIES.TASK_ID.eq(id).and(SCHEDULED_DELIVERIES.ATTEMPT.eq(attempt))).fetchOne();
    }

    /**
     * Stands in for the scheduler: produces the queued delivery of {@code id} right away (the
     * exact record stored in scheduled_deliveries) and deletes the row.
     */
    void deliverNow(UUID id, int attempt) {
        Awaitility.await("scheduled delivery of " + id + " attempt " + attempt).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> delivery(id, attempt) != null);
        ScheduledDeliveriesRecord d = delivery(id, attempt);
        RecordHeaders headers = new RecordHeaders();
        JsonNode json = Json.parse(d.getHeaders().data().getBytes(StandardCharsets.UTF_8));
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            headers.add(h.getKey(), h.getValue().asText().getBytes(StandardCharsets.UTF_8));
        }
        send(new ProducerRecord<>(d.getTopic(), null, d.getRecordKey(), d.getPayload(), headers));
        db.dsl().deleteFrom(SCHEDULED_DELIVERIES).where(SCHEDULED_DELIVERIES.ID.eq(d.getId())).execute();
    }

    /** Whether {@code group} committed every record of every partition of {@code topic}. */
    boolean committedToEnd(String group, String topic) throws Exception {
        var partitions = kafka.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
        for (var p : partitions) {
            latest.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest());
        }
        var ends = kafka.admin().listOffsets(latest).all().get();
        var committed = kafka.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (var e : ends.entrySet()) {
            var c = committed.get(e.getKey());
            long end = e.getValue().offset();
            if (end > 0 && (c == null || c.offset() != end)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@link #committedToEnd} (nothing of the topic left to redeliver to the group). */
    void awaitCommittedToEnd(String group, String topic) {
        Awaitility.await("offsets of " + group + " committed to the end of " + topic).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> committedToEnd(group, topic));
    }

    /** A worker config with millisecond backoff so retry tests do not wait. */
    static UnaryOperator<WorkerConfig.Builder> fastRetries(int maxAttempts) {
        return b -> b.retry(dev.conveyor.schema.RetryPolicy.defaults().withMaxAttempts(maxAttempts)
                .withBackoff(dev.conveyor.schema.Backoff.fixed(Duration.ofMillis(1))));
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            w.close();
        }
        producer.close();
    }
}
