package dev.conveyor.worker.scheduler;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.store.TaskState;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cancel, then an operator retry, inside the scheduler's claim window (issue 15). A scheduler
 * claims a rescheduled task's delivery ahead of its due time and holds its record (attempt
 * {@code n + 1}) in memory; the cancel deletes the row but cannot take the record back, and the
 * scheduler produces it. The retry must then deliver a newer attempt than that record, or there
 * are two records of one task and attempt that two workers may both run. Steps are driven by hand
 * ({@link Deliveries} as the scheduler uses it), so the window is hit every time.
 */
@ConveyorIntegrationTest
class CancelRetryIT {

    private static final RetryPolicy POLICY = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(300),
            Backoff.fixed(Duration.ofMillis(1)));

    private TestKafka kafka;
    private TestDatabase db;
    private Database database;
    private KafkaProducer<byte[], byte[]> producer;
    private final TaskRecordCodec codec = new TaskRecordCodec();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        this.kafka = kafka;
        this.db = db;
        this.database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 4, db.schema()), "cancel");
        closeables.add(database);
        producer = new KafkaProducer<>(kafka.producerProperties());
        closeables.add(producer);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        db.dsl().deleteFrom(SCHEDULED_DELIVERIES).execute();
    }

    @Test
    void aRetryAfterACancelInsideTheClaimWindowSupersedesTheClaimedRecord() throws Exception {
        String topic = kafka.createTopic("cancelretry", 2);
        Task task = rescheduledBy(topic, Duration.ofSeconds(1));
        StatusStore store = new JooqStatusStore(database.dsl(), "operator");

        // The scheduler claims the delivery of attempt 2 ahead of its due time; its record is built.
        Deliveries deliveries = new Deliveries(database.dsl(), producer, "scheduler-a", 100, () -> {});
        List<Deliveries.Claimed> claimed = deliveries.claimOnly(Instant.now(), Instant.now().plusSeconds(2), 100);
        assertThat(claimed).singleElement().extracting(Deliveries.Claimed::attempt).isEqualTo(2);

        // Inside the window: the operator cancels, then retries.
        assertThat(store.cancel(task.id(), "stop", Instant.now())).isEqualTo(new StatusStore.Cancellation.Cancelled());
        var retried = (StatusStore.Retry.Retried) store.retry(task.id(), "retried by operator", Instant.now(),
                t -> send(codec.encode(t)));

        // The scheduler goes on with what it claimed: the (guarded) requeue, the produce, the delete.
        deliveries.queueRescheduled(claimed, Instant.now());
        send(claimed.get(0).record());
        deliveries.finish(List.of(claimed.get(0).id()), List.of());

        List<Task> records = readAll(topic, 2);
        assertThat(records).extracting(Task::id).containsOnly(task.id()).hasSize(2);
        assertThat(records).extracting(Task::attempt)
                .as("the claimed record and the retry's are different attempts")
                .containsExactlyInAnyOrder(2, 3);
        assertThat(retried.task().attempt()).isEqualTo(3);
        // What a worker decides on every copy, whichever worker polls it, whenever: the stored row
        // supersedes the claimed record's attempt and runs the retry's.
        TaskState stored = JooqStatusStore.load(database.dsl(), Set.of(task.id())).get(task.id());
        assertThat(stored.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(stored.supersedes(2)).as("the record claimed before the cancel is not run").isTrue();
        assertThat(stored.supersedes(3)).as("the retry runs").isFalse();
        assertThat(db.dsl().select(TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.ATTEMPT).from(TASK_TRANSITIONS)
                .where(TASK_TRANSITIONS.TASK_ID.eq(task.id())).orderBy(TASK_TRANSITIONS.SEQ).fetch()
                .map(r -> r.value1().wireName() + "@" + r.value2()))
                .containsExactly("queued@1", "running@1", "rescheduled@1", "cancelled@2", "queued@3");
    }

    /**
     * The same race as one worker sees it: the record claimed before the cancel arrives first and
     * is held until its due time, the retry's record (a newer attempt) arrives while it is held.
     * The task must run once, at the retry's attempt: the newer attempt takes the worker's claim
     * over (claims are by task id and attempt), and the held older one is then dropped as stale.
     * Keyed by task id alone, the newer attempt was dropped as a "duplicate" of the held one, which
     * was then superseded, and the task stayed queued.
     */
    @Test
    void oneWorkerRunsTheRetryOnceWhenItMeetsTheHeldClaimedRecord() throws Exception {
        String topic = kafka.createTopic("cancelretry1", 1);
        List<Integer> runs = new CopyOnWriteArrayList<>();
        BackgroundExtension ext = recording(topic, runs);
        Worker worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(TestKafka.uniqueName("cr") + ".")
                        .group(TestKafka.uniqueName("w")).node("worker-node").retry(POLICY).build(),
                new Worker.Collaborators(database.dsl(), Extensions.of(ext)));
        closeables.add(worker);
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        Task task = rescheduledBy(topic, Duration.ofSeconds(4));
        StatusStore store = new JooqStatusStore(database.dsl(), "operator");
        Deliveries deliveries = new Deliveries(database.dsl(), producer, "scheduler-a", 100, () -> {});
        Deliveries.Claimed claimed = deliveries.claimOnly(Instant.now(), Instant.now().plusSeconds(5), 100).get(0);

        // Sent ahead, as the scheduler does: the worker holds it until its due time.
        ProducerRecord<byte[], byte[]> ahead = claimed.record();
        ahead.headers().add(ConveyorHeaders.NOT_BEFORE, claimed.dueAt().toString().getBytes(StandardCharsets.UTF_8));
        send(ahead);
        Thread.sleep(200);
        store.cancel(task.id(), "stop", Instant.now());
        store.retry(task.id(), "retried by operator", Instant.now(), t -> send(codec.encode(t)));

        assertThat(Instant.now()).as("the retry comes while the claimed record is held").isBefore(claimed.dueAt());
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> db.dsl().select(TASKS.STATUS).from(TASKS)
                .where(TASKS.ID.eq(task.id())).fetchOne(TASKS.STATUS) == TaskStatus.DONE);
        Thread.sleep(500);
        assertThat(runs).containsExactly(3);
    }

    /**
     * The same meeting without a reschedule, and without the cancel's attempt change: a future-dated
     * task ({@code queued} at attempt 1) whose delivery was sent ahead is cancelled and retried
     * (attempt 2) while the worker holds the record of attempt 1. The retry runs, once.
     */
    @Test
    void oneWorkerRunsTheRetryOfAFutureDatedTaskWhenItMeetsTheHeldDelivery() throws Exception {
        String topic = kafka.createTopic("cancelretry2", 1);
        List<Integer> runs = new CopyOnWriteArrayList<>();
        Worker worker = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(TestKafka.uniqueName("cr") + ".")
                        .group(TestKafka.uniqueName("w")).node("worker-node").retry(POLICY).build(),
                new Worker.Collaborators(database.dsl(), Extensions.of(recording(topic, runs))));
        closeables.add(worker);
        assertThat(worker.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        new JooqStatusStore(database.dsl(), "scheduler-a").apply(List.of(
                StatusChange.scheduled(task, Instant.now().plusSeconds(4), Instant.now())));
        Deliveries deliveries = new Deliveries(database.dsl(), producer, "scheduler-a", 100, () -> {});
        Deliveries.Claimed claimed = deliveries.claimOnly(Instant.now(), Instant.now().plusSeconds(5), 100).get(0);
        ProducerRecord<byte[], byte[]> ahead = claimed.record();
        ahead.headers().add(ConveyorHeaders.NOT_BEFORE, claimed.dueAt().toString().getBytes(StandardCharsets.UTF_8));
        send(ahead);
        Thread.sleep(200);
        StatusStore store = new JooqStatusStore(database.dsl(), "operator");
        store.cancel(task.id(), "stop", Instant.now());
        store.retry(task.id(), "retried by operator", Instant.now(), t -> send(codec.encode(t)));

        assertThat(Instant.now()).as("the retry comes while the claimed record is held").isBefore(claimed.dueAt());
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> db.dsl().select(TASKS.STATUS).from(TASKS)
                .where(TASKS.ID.eq(task.id())).fetchOne(TASKS.STATUS) == TaskStatus.DONE);
        assertThat(runs).containsExactly(2);
    }

    private static BackgroundExtension recording(String topic, List<Integer> runs) {
        return new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task t) {
                runs.add(t.attempt());
                return TaskResult.done();
            }
        };
    }

    /** A task that ran once (attempt 1) and asked to run again after {@code countdown}: its delivery of attempt 2 is due then. */
    private Task rescheduledBy(String topic, Duration countdown) {
        Task first = Task.builder().topic(topic).payload("{}", "application/json").build();
        Instant now = Instant.now();
        NextStatus next = NextStatus.of(Outcome.of(TaskResult.reschedule(countdown)), 1, 0, POLICY, 0.5);
        new JooqStatusStore(database.dsl(), "worker-node").apply(List.of(StatusChange.finished(first, "ext", null,
                false, now, now, next, null, first.toBuilder().attempt(2).build())));
        return first;
    }

    private void send(ProducerRecord<byte[], byte[]> record) {
        try {
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The tasks of the topic's records, read from the beginning until {@code count} arrived (and 500 ms more). */
    private List<Task> readAll(String topic, int count) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("r")))) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out.stream().map(r -> ((Decoded.Ok) codec.decode(r)).task()).toList();
    }
}
