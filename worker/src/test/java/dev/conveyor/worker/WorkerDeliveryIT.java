package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.awaitility.Awaitility;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** At-least-once without double runs: crashes, duplicates, poison records. */
@ConveyorIntegrationTest
class WorkerDeliveryIT {

    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Counts executions per task; optionally blocks until released. */
    static final class Counting implements BackgroundExtension {
        final String topic;
        final Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
        volatile CountDownLatch gate;

        Counting(String topic, CountDownLatch gate) {
            this.topic = topic;
            this.gate = gate;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) throws Exception {
            runs.computeIfAbsent(task.id(), k -> new AtomicInteger()).incrementAndGet();
            CountDownLatch g = gate;
            if (g != null) {
                g.await();
            }
            return TaskResult.done();
        }
    }

    @Test
    void workerKilledMidBatchLeavesEveryTaskWithExactlyOneTerminalStatus() throws Exception {
        String topic = fx.kafka.createTopic("crash", 3);
        String group = TestKafka.uniqueName("crash-group");
        Counting first = new Counting(topic, null);
        // First worker: runs normally, then is killed while a second wave is blocked mid-execution.
        Worker w1 = fx.start(fx.config().group(group).concurrency(8).build(), first);
        List<Task> wave1 = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            wave1.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}").toBuilder().key("k" + (i % 7)).build()));
        }
        for (Task t : wave1) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        first.gate = new CountDownLatch(1);
        List<Task> wave2 = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            wave2.add(fx.publish(fx.task(topic, "{\"m\":" + i + "}")));
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> first.runs.size() >= 58);
        w1.abort();

        Counting second = new Counting(topic, null);
        fx.start(fx.config().group(group).build(), second);
        List<Task> all = new ArrayList<>(wave1);
        all.addAll(wave2);
        for (Task t : all) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        // Every task ends done exactly once: one terminal transition each, none regressed.
        for (Task t : all) {
            List<TaskStatus> history = fx.transitions(t.id());
            assertThat(history.stream().filter(TaskStatus::isTerminal).count()).as("terminal transitions of " + t.id())
                    .isEqualTo(1);
            assertThat(history).last().isEqualTo(TaskStatus.DONE);
        }
        // Wave 1 was recorded before the crash: the second worker must not run it again.
        for (Task t : wave1) {
            assertThat(second.runs).doesNotContainKey(t.id());
        }
        // Wave 2 was interrupted: the second worker ran those tasks.
        assertThat(second.runs.keySet()).containsAnyElementsOf(wave2.stream().map(Task::id).toList());
    }

    @Test
    void duplicateRecordRunsOnce() throws Exception {
        String topic = fx.kafka.createTopic("dup", 1);
        Counting ext = new Counting(topic, null);
        String group = TestKafka.uniqueName("workers");
        Worker worker = fx.start(fx.config().group(group).build(), ext);
        Task task = fx.task(topic, "{}");
        fx.publish(task);
        fx.publish(task);
        fx.awaitStatus(task.id(), TaskStatus.DONE);
        // A third copy long after the first finished (its outcome durable and committed, so the worker
        // no longer holds the attempt) is recognised from the status table.
        fx.awaitCommittedToEnd(group, topic);
        fx.publish(task);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> worker.metrics().duplicates() >= 2);
        assertThat(ext.runs.get(task.id()).get()).isEqualTo(1);
        // The third copy came in a poll of its own, after the first had finished: a second state read.
        assertThat(worker.metrics().stateRead().count()).isGreaterThanOrEqualTo(2);
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }

    @Test
    void poisonRecordGoesToTheDlqAndThePartitionKeepsFlowing() throws Exception {
        String topic = fx.kafka.createTopic("poison", 1);
        Counting ext = new Counting(topic, null);
        Worker worker = fx.start(fx.config().build(), ext);

        RecordHeaders bad = new RecordHeaders();
        bad.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
        bad.add("ce_source", "test".getBytes(StandardCharsets.UTF_8));
        bad.add("ce_type", "t".getBytes(StandardCharsets.UTF_8));
        fx.send(new ProducerRecord<byte[], byte[]>(topic, null, (byte[]) null, "x".getBytes(StandardCharsets.UTF_8), bad));
        RecordHeaders badAttempt = new RecordHeaders();
        badAttempt.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
        badAttempt.add("ce_id", "order-1".getBytes(StandardCharsets.UTF_8));
        badAttempt.add("ce_source", "test".getBytes(StandardCharsets.UTF_8));
        badAttempt.add("ce_type", "t".getBytes(StandardCharsets.UTF_8));
        badAttempt.add("conveyor_attempt", "soon".getBytes(StandardCharsets.UTF_8));
        fx.send(new ProducerRecord<byte[], byte[]>(topic, null, (byte[]) null, "y".getBytes(StandardCharsets.UTF_8), badAttempt));
        Task after = fx.publish(fx.task(topic, "{}"));

        fx.awaitStatus(after.id(), TaskStatus.DONE);
        List<ConsumerRecord<byte[], byte[]>> dead = readAll(fx.prefix + "dlq", 2);
        assertThat(header(dead.get(0), "conveyor_dlq_reason")).startsWith("ce_id is missing");
        assertThat(header(dead.get(0), "conveyor_dlq_topic")).isEqualTo(topic);
        assertThat(header(dead.get(0), "conveyor_dlq_partition")).isEqualTo("0");
        assertThat(header(dead.get(0), "conveyor_dlq_offset")).isEqualTo("0");
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("x");
        assertThat(header(dead.get(1), "conveyor_dlq_reason")).startsWith("conveyor_attempt must be a whole number");
        // The second poison record's task id is known: a dead row says why.
        UUID knownId = dev.conveyor.schema.TaskIds.forEvent("test", "order-1");
        var row = fx.awaitStatus(knownId, TaskStatus.DEAD);
        assertThat(row.getOutput()).startsWith("conveyor_attempt must be a whole number");
        assertThat(worker.metrics().deadLetters()).isEqualTo(2);

        // Offsets moved past the poison: a new worker in the same group gets nothing to redo.
        assertThat(ext.runs).hasSize(1);
    }

    @Test
    void recordOfATopicWithoutExtensionIsDeadLettered() throws Exception {
        String owned = fx.kafka.createTopic("owned", 1);
        String orphan = fx.kafka.createTopic("orphan", 1);
        fx.start(fx.config().subscribe(Set.of(orphan)).build(), new Counting(owned, null));
        Task task = fx.publish(fx.task(orphan, "{}"));
        var row = fx.awaitStatus(task.id(), TaskStatus.DEAD);
        assertThat(row.getOutput()).isEqualTo("no extension handles topic " + orphan);
        List<ConsumerRecord<byte[], byte[]>> dead = readAll(fx.prefix + "dlq", 1);
        assertThat(header(dead.get(0), "ce_id")).isEqualTo(task.id().toString());
    }

    @Test
    void tasksWithTheSameKeyRunOneAtATimeInOffsetOrder() throws Exception {
        String topic = fx.kafka.createTopic("ordered", 2);
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> concurrent = new ConcurrentHashMap<>();
        AtomicInteger maxOverlapSameKey = new AtomicInteger();
        AtomicInteger active = new AtomicInteger();
        AtomicInteger maxActive = new AtomicInteger();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                String key = task.key();
                int now = concurrent.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                maxOverlapSameKey.accumulateAndGet(now, Math::max);
                maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                Thread.sleep(5);
                seen.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(task.json().path("seq").asInt());
                active.decrementAndGet();
                concurrent.get(key).decrementAndGet();
                return TaskResult.done();
            }
        };
        fx.start(fx.config().concurrency(32).ordering(dev.conveyor.worker.spi.Ordering.KEY).build(), ext);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = "key-" + (i % 8);
            tasks.add(fx.publish(fx.task(topic, "{\"seq\":" + i + "}").toBuilder().key(key).build()));
        }
        for (Task t : tasks) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        assertThat(maxOverlapSameKey.get()).as("same-key executions at once").isEqualTo(1);
        assertThat(maxActive.get()).as("different keys ran in parallel").isGreaterThan(1);
        for (var e : seen.entrySet()) {
            assertThat(e.getValue()).as("order of " + e.getKey()).isSorted().hasSize(25);
        }
    }

    @Test
    void recordFromTheCloudEventsSdkIsProcessed() throws Exception {
        String topic = fx.kafka.createTopic("sdk", 1);
        Counting ext = new Counting(topic, null);
        fx.start(fx.config().build(), ext);
        io.cloudevents.CloudEvent event = io.cloudevents.core.builder.CloudEventBuilder.v1()
                .withId("sdk-event-1").withSource(java.net.URI.create("urn:sdk")).withType("sdk.test")
                .withDataContentType("application/json").withData("{\"a\":1}".getBytes(StandardCharsets.UTF_8))
                .build();
        var props = fx.kafka.producerProperties();
        props.put("value.serializer", io.cloudevents.kafka.CloudEventSerializer.class.getName());
        props.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, io.cloudevents.CloudEvent>(props)) {
            producer.send(new ProducerRecord<>(topic, "k", event)).get();
        }
        UUID id = dev.conveyor.schema.TaskIds.forEvent("urn:sdk", "sdk-event-1");
        var row = fx.awaitStatus(id, TaskStatus.DONE);
        assertThat(row.getType()).isEqualTo("sdk.test");
        assertThat(ext.runs.get(id).get()).isEqualTo(1);
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(fx.kafka.consumerProperties(TestKafka.uniqueName("dlq")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        assertThat(out).hasSize(count);
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
