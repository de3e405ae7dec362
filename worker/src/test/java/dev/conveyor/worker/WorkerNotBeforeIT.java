package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.store.StatusStore;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records sent ahead of their due time ({@code conveyor_not_before}): held by the worker, run at
 * that time and never earlier, entering their key's order at that time, not at all once cancelled,
 * and redelivered when the worker stops while holding them.
 */
@ConveyorIntegrationTest
class WorkerNotBeforeIT {

    private WorkerFixture fx;
    private static final TaskRecordCodec codec = new TaskRecordCodec();

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Notes when each task started, in start order. */
    static final class Starts implements BackgroundExtension {
        final String topic;
        final Map<UUID, Long> startedAt = new ConcurrentHashMap<>();
        final List<UUID> order = new CopyOnWriteArrayList<>();

        Starts(String topic) {
            this.topic = topic;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) {
            startedAt.putIfAbsent(task.id(), System.currentTimeMillis());
            order.add(task.id());
            return TaskResult.done();
        }
    }

    /** The task's record with {@code conveyor_not_before} = {@code at}, as the scheduler sends it ahead. */
    static ProducerRecord<byte[], byte[]> notBefore(Task task, Instant at) {
        ProducerRecord<byte[], byte[]> r = codec.encode(task);
        r.headers().add(ConveyorHeaders.NOT_BEFORE, at.toString().getBytes(StandardCharsets.UTF_8));
        return r;
    }

    /** The row the scheduler leaves when it claims a future-dated task: queued, waiting for its time. */
    private void queued(Task task, Instant due) {
        new JooqStatusStore(fx.db.dsl(), "test").apply(List.of(StatusChange.scheduled(task, due, Instant.now())));
        fx.db.dsl().deleteFrom(dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES)
                .where(dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES.TASK_ID.eq(task.id())).execute();
    }

    @Test
    void aRecordSentAheadRunsAtItsTimeNotEarlier() throws Exception {
        String topic = fx.kafka.createTopic("ahead", 1);
        Starts ext = new Starts(topic);
        fx.start(fx.config().build(), ext);
        Task task = fx.task(topic, "{}");
        Instant at = Instant.now().plusMillis(1500).truncatedTo(ChronoUnit.MILLIS);
        fx.send(notBefore(task, at));

        fx.awaitStatus(task.id(), TaskStatus.DONE);
        long started = ext.startedAt.get(task.id());
        assertThat(started).as("started at or after conveyor_not_before").isGreaterThanOrEqualTo(at.toEpochMilli());
        assertThat(started - at.toEpochMilli()).as("lateness in ms").isLessThan(500);
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }

    @Test
    void aRecordWhoseTimeHasPassedRunsAtOnceAndABadHeaderIsIgnored() throws Exception {
        String topic = fx.kafka.createTopic("past", 1);
        Starts ext = new Starts(topic);
        fx.start(fx.config().build(), ext);
        Task past = fx.task(topic, "{}");
        fx.send(notBefore(past, Instant.now().minusSeconds(5)));
        Task bad = fx.task(topic, "{}");
        ProducerRecord<byte[], byte[]> r = codec.encode(bad);
        r.headers().add(ConveyorHeaders.NOT_BEFORE, "tomorrow".getBytes(StandardCharsets.UTF_8));
        fx.send(r);
        fx.awaitStatus(past.id(), TaskStatus.DONE);
        fx.awaitStatus(bad.id(), TaskStatus.DONE);
    }

    @Test
    void aHeldRecordTakesItsPlaceInItsKeyWhenReleased() throws Exception {
        String topic = fx.kafka.createTopic("keyed", 1);
        Starts ext = new Starts(topic);
        fx.start(fx.config().build(), ext);
        Task later = Task.builder().topic(topic).key("customer-7").payload("{\"n\":1}", "application/json").build();
        Task sooner = Task.builder().topic(topic).key("customer-7").payload("{\"n\":2}", "application/json").build();
        Task now = Task.builder().topic(topic).key("customer-7").payload("{\"n\":3}", "application/json").build();
        Instant laterAt = Instant.now().plusMillis(2500);
        Instant soonerAt = Instant.now().plusMillis(1200);
        // Offset order: later, sooner, now. Run order: as if each had been produced at its not-before time.
        fx.send(notBefore(later, laterAt));
        fx.send(notBefore(sooner, soonerAt));
        fx.publish(now);

        fx.awaitStatus(now.id(), TaskStatus.DONE);
        assertThat(ext.startedAt).as("a record of the key polled after held ones does not wait for them")
                .containsKey(now.id()).doesNotContainKeys(later.id(), sooner.id());
        fx.awaitStatus(later.id(), TaskStatus.DONE);
        fx.awaitStatus(sooner.id(), TaskStatus.DONE);
        assertThat(ext.order).containsExactly(now.id(), sooner.id(), later.id());
        assertThat(ext.startedAt.get(sooner.id())).as("not held up by the held record before it")
                .isGreaterThanOrEqualTo(soonerAt.toEpochMilli()).isLessThan(soonerAt.toEpochMilli() + 700);
        assertThat(ext.startedAt.get(later.id())).isGreaterThanOrEqualTo(laterAt.toEpochMilli());
    }

    @Test
    void aTaskCancelledWhileItsRecordIsHeldDoesNotRun() throws Exception {
        String topic = fx.kafka.createTopic("heldcancel", 1);
        Starts ext = new Starts(topic);
        Worker worker = fx.start(fx.config().build(), ext);
        Task task = fx.task(topic, "{}");
        Instant at = Instant.now().plusMillis(2500);
        queued(task, at);
        fx.send(notBefore(task, at));
        // The worker has it (claimed, in flight) before the cancel.
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> worker.metrics().inFlight() > 0);

        StatusStore store = new JooqStatusStore(fx.db.dsl(), "operator");
        assertThat(store.cancel(task.id(), "withdrawn", Instant.now())).isEqualTo(new StatusStore.Cancellation.Cancelled());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> worker.metrics().inFlight() == 0);
        assertThat(Instant.now()).isAfter(at);
        assertThat(ext.startedAt).as("a cancelled task never runs").isEmpty();
        assertThat(fx.row(task.id()).getStatus()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(worker.metrics().duplicates()).as("counted as not run again").isEqualTo(1);
    }

    @Test
    void aWorkerStoppingWhileHoldingARecordLeavesItForTheNextOne() throws Exception {
        String topic = fx.kafka.createTopic("handover", 1);
        String group = TestKafka.uniqueName("handover");
        Starts first = new Starts(topic);
        Worker worker = fx.start(fx.config().group(group).build(), first);
        Task before = fx.publish(fx.task(topic, "{\"n\":0}"));
        fx.awaitStatus(before.id(), TaskStatus.DONE);
        Task task = fx.task(topic, "{\"n\":1}");
        Instant at = Instant.now().plusSeconds(3);
        fx.send(notBefore(task, at));
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> worker.metrics().inFlight() > 0);
        worker.close();
        assertThat(first.startedAt).doesNotContainKey(task.id());
        assertThat(fx.db.dsl().fetchCount(TASKS, TASKS.ID.eq(task.id()))).as("no row: it never started").isZero();

        Starts second = new Starts(topic);
        fx.start(fx.config().group(group).build(), second);
        assertThat(Instant.now()).as("the rebalance finished while the records were still held").isBefore(at);
        fx.awaitStatus(task.id(), TaskStatus.DONE);
        assertThat(second.startedAt.get(task.id())).isGreaterThanOrEqualTo(at.toEpochMilli());
        assertThat(second.startedAt).as("the committed record is not run again").doesNotContainKey(before.id());
    }

    @Test
    void heldRecordsSurviveARebalanceAndRunOnceOnTime() throws Exception {
        String topic = fx.kafka.createTopic("rebalance", 2);
        String group = TestKafka.uniqueName("rebalance");
        Starts first = new Starts(topic);
        Worker a = fx.start(fx.config().group(group).build(), first);
        // Held long enough for the second worker's join to finish first: with cooperative rebalancing
        // it takes two rounds, about 6 s on a busy 2-core machine.
        Instant at = Instant.now().plusSeconds(15).truncatedTo(ChronoUnit.MILLIS);
        List<Task> tasks = new java.util.ArrayList<>();
        for (int partition = 0; partition < 2; partition++) {
            for (int i = 0; i < 3; i++) {
                Task task = fx.task(topic, "{\"p\":" + partition + ",\"i\":" + i + "}");
                ProducerRecord<byte[], byte[]> r = notBefore(task, at);
                fx.send(new ProducerRecord<>(topic, partition, r.key(), r.value(), r.headers()));
                tasks.add(task);
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> a.metrics().inFlight() == 6);
        // A second worker joins the group while the first holds all six: partitions move.
        Starts second = new Starts(topic);
        fx.start(fx.config().group(group).build(), second);
        assertThat(Instant.now()).as("the rebalance finished while the records were still held").isBefore(at);

        for (Task t : tasks) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        Thread.sleep(500); // room for a second run to show up
        assertThat(second.startedAt).as("a partition moved: its held records were given up and redelivered")
                .isNotEmpty();
        for (Task t : tasks) {
            long runs = java.util.stream.Stream.of(first, second).filter(s -> s.startedAt.containsKey(t.id())).count();
            assertThat(runs).as("task %s ran on exactly one worker", t.id()).isEqualTo(1);
            long started = first.startedAt.getOrDefault(t.id(), second.startedAt.get(t.id()));
            assertThat(started).as("not before conveyor_not_before").isGreaterThanOrEqualTo(at.toEpochMilli());
            assertThat(fx.transitions(t.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
        }
    }

    @Test
    void aRecordAskingToBeHeldForMoreThanAMinuteIsDeadLettered() throws Exception {
        String topic = fx.kafka.createTopic("toofar", 1);
        Starts ext = new Starts(topic);
        Worker worker = fx.start(fx.config().build(), ext);
        Task far = fx.task(topic, "{}");
        fx.send(notBefore(far, Instant.now().plus(Duration.ofDays(1))));
        Task next = fx.publish(fx.task(topic, "{}"));

        fx.awaitStatus(far.id(), TaskStatus.DEAD);
        fx.awaitStatus(next.id(), TaskStatus.DONE);
        assertThat(ext.startedAt).doesNotContainKey(far.id());
        assertThat(worker.metrics().deadLetters()).isEqualTo(1);
        assertThat(fx.transitionReasons(far.id()).get(fx.transitionReasons(far.id()).size() - 1))
                .contains("conveyor_not_before").contains("more than 60 s");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> worker.metrics().inFlight() == 0);
    }
}
