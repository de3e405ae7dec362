package dev.conveyor.worker.scheduler;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.SCHEDULES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Backoff;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.Database;
import dev.conveyor.store.db.DbConfig;
import dev.conveyor.schema.kafka.ConveyorHeaders;
import dev.conveyor.schema.kafka.DelayedRecords;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusStore;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.Extensions;
import dev.conveyor.worker.Worker;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.scheduler.internal.Deliveries;
import dev.conveyor.worker.scheduler.internal.RecurringFires;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler against a real broker and database, with real workers where tasks must run. */
@ConveyorIntegrationTest
class SchedulerIT {

    private TestKafka kafka;
    private TestDatabase db;
    private Database database;
    private String prefix;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final TaskRecordCodec codec = new TaskRecordCodec();

    /** Records (attempt, time) of every run; reschedules on the attempts listed. */
    static final class Recorder implements BackgroundExtension {
        final String topic;
        final Set<Integer> rescheduleOn;
        final List<long[]> runs = new CopyOnWriteArrayList<>();
        final Map<UUID, Integer> perTask = new ConcurrentHashMap<>();

        Recorder(String topic, Set<Integer> rescheduleOn) {
            this.topic = topic;
            this.rescheduleOn = rescheduleOn;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) {
            runs.add(new long[] {task.attempt(), System.currentTimeMillis()});
            perTask.merge(task.id(), 1, Integer::sum);
            return rescheduleOn.contains(task.attempt()) ? TaskResult.reschedule(Duration.ofSeconds(1)) : TaskResult.done();
        }
    }

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        this.kafka = kafka;
        this.db = db;
        this.prefix = TestKafka.uniqueName("sch") + ".";
        this.database = Database.open(new DbConfig(db.jdbcUrl(), db.user(), db.password(), 6, db.schema()), "sched");
        closeables.add(database);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
        db.dsl().deleteFrom(SCHEDULES).execute();
        db.dsl().deleteFrom(SCHEDULED_DELIVERIES).execute();
    }

    private Worker worker(BackgroundExtension ext) throws InterruptedException {
        // Reschedule floor lowered to 1 s so the test does not wait 30 s.
        RetryPolicy retry = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(300),
                Backoff.fixed(Duration.ofMillis(1)));
        Worker w = Worker.start(WorkerConfig.builder(kafka.bootstrap()).topicPrefix(prefix)
                        .group(TestKafka.uniqueName("w")).node("worker-node").retry(retry).build(),
                new Worker.Collaborators(database.dsl(), Extensions.of(ext)));
        closeables.add(w);
        assertThat(w.awaitAssignment(Duration.ofSeconds(30))).isTrue();
        return w;
    }

    /** The scheduler's clock in tests that must catch a delivery between its claim and its due time. */
    static final class TestClock extends Clock {
        private volatile Instant frozen;

        /** Stands still from now on (claims still happen: they look ahead; produces wait). */
        void freeze() {
            frozen = Instant.now();
        }

        /** Runs with the system clock again. */
        void resume() {
            frozen = null;
        }

        @Override
        public Instant instant() {
            Instant f = frozen;
            return f != null ? f : Instant.now();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private Scheduler scheduler(Clock clock) {
        Scheduler s = Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(TestKafka.uniqueName("sched")).withNode("scheduler-node"),
                new Scheduler.Collaborators(database, clock));
        closeables.add(s);
        return s;
    }

    private Scheduler scheduler(List<ScheduleDefinition> schedules) {
        Scheduler s = Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(TestKafka.uniqueName("sched")).withNode("scheduler-node").withSchedules(schedules),
                new Scheduler.Collaborators(database, Clock.systemUTC()));
        closeables.add(s);
        return s;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties());
        closeables.add(p);
        return p;
    }

    private List<TaskStatus> history(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.TO_STATUS).from(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id))
                .orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.TO_STATUS);
    }

    private TaskStatus status(UUID id) {
        return db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(id)).fetchOne(TASKS.STATUS);
    }

    @Test
    void aRescheduledTaskIsRedeliveredOnceWithTheNextAttempt() throws Exception {
        String topic = kafka.createTopic("resched", 2);
        Recorder ext = new Recorder(topic, Set.of(1));
        worker(ext);
        scheduler(List.of());
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        producer().send(codec.encode(task)).get();

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(task.id()) == TaskStatus.DONE);
        assertThat(ext.perTask.get(task.id())).isEqualTo(2);
        assertThat(ext.runs).extracting(r -> (int) r[0]).containsExactly(1, 2);
        long gapMs = ext.runs.get(1)[1] - ext.runs.get(0)[1];
        assertThat(gapMs).as("not before the 1 s countdown").isGreaterThanOrEqualTo(1000);
        assertThat(history(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.RESCHEDULED, TaskStatus.QUEUED,
                TaskStatus.RUNNING, TaskStatus.DONE);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES)).isZero();
    }

    @Test
    void schedulerKilledBetweenProduceAndDeleteStillEndsInOneTerminalStatus() throws Exception {
        String topic = kafka.createTopic("crashy", 1);
        Recorder ext = new Recorder(topic, Set.of(1));
        worker(ext);
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        producer().send(codec.encode(task)).get();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(task.id()) == TaskStatus.RESCHEDULED);
        Thread.sleep(1100); // the delivery is due

        // First scheduler "dies" after Kafka acknowledged the records and before its commit.
        KafkaProducer<byte[], byte[]> producer = producer();
        AtomicBoolean crashed = new AtomicBoolean();
        Deliveries dying = new Deliveries(database.dsl(), producer, "dying", 100, () -> {
            crashed.set(true);
            throw new IllegalStateException("killed after produce");
        });
        try {
            dying.deliverDue(Instant.now());
        } catch (IllegalStateException expected) {
            // The row was never deleted: it is still there, claimed by the dead scheduler.
        }
        assertThat(crashed).isTrue();
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES)).isEqualTo(1);

        // Another scheduler cannot take it while the dead one's lease lasts...
        Deliveries healthy = new Deliveries(database.dsl(), producer, "healthy", 100, () -> {});
        assertThat(healthy.deliverDue(Instant.now())).isZero();
        // ...and delivers it again once the lease is over: the task gets the same attempt twice.
        assertThat(healthy.deliverDue(Instant.now().plus(Deliveries.LEASE).plusSeconds(1))).isEqualTo(1);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES)).isZero();

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(task.id()) == TaskStatus.DONE);
        Thread.sleep(1000); // give the duplicate time to arrive and be dropped
        assertThat(ext.perTask.get(task.id())).as("attempt 2 ran once despite two deliveries").isEqualTo(2);
        List<TaskStatus> history = history(task.id());
        assertThat(history.stream().filter(TaskStatus::isTerminal).count()).isEqualTo(1);
        assertThat(history).last().isEqualTo(TaskStatus.DONE);
    }

    @Test
    void futureDatedEventIsNotDeliveredEarly() throws Exception {
        String topic = kafka.createTopic("later", 1);
        Recorder ext = new Recorder(topic, Set.of());
        worker(ext);
        scheduler(List.of());
        Instant due = Instant.now().plusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        producer().send(DelayedRecords.encode(task, due, prefix + "delayed")).get();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(task.id()) == TaskStatus.QUEUED);
        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(task.id())).fetchOne();
        assertThat(row.getNextRunAt()).isEqualTo(due);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(task.id()) == TaskStatus.DONE);
        long startedAt = ext.runs.get(0)[1];
        assertThat(startedAt).as("started at or after its due time").isGreaterThanOrEqualTo(due.toEpochMilli());
        assertThat(startedAt - due.toEpochMilli()).as("lateness in ms").isLessThan(1000);
        assertThat(db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(task.id())).fetchOne().getNextRunAt()).isNull();
    }

    @Test
    void cancellingAWaitingTaskRemovesItsDelivery() throws Exception {
        String topic = kafka.createTopic("cancel", 1);
        Recorder ext = new Recorder(topic, Set.of());
        worker(ext);
        scheduler(List.of());
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        producer().send(DelayedRecords.encode(task, Instant.now().plusSeconds(2), prefix + "delayed")).get();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(task.id()) == TaskStatus.QUEUED);

        StatusStore store = new JooqStatusStore(database.dsl(), "operator");
        assertThat(store.cancel(task.id(), "customer withdrew", Instant.now())).isEqualTo(new StatusStore.Cancellation.Cancelled());
        assertThat(store.cancel(task.id(), "again", Instant.now()))
                .isEqualTo(new StatusStore.Cancellation.Refused(TaskStatus.CANCELLED));
        assertThat(store.cancel(UUID.randomUUID(), "?", Instant.now())).isEqualTo(new StatusStore.Cancellation.NotFound());
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(task.id()))).isZero();

        Thread.sleep(3000); // past the due time
        assertThat(ext.runs).isEmpty();
        assertThat(status(task.id())).isEqualTo(TaskStatus.CANCELLED);
        assertThat(history(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.CANCELLED);
    }

    private boolean claimed(UUID taskId) {
        return db.dsl().fetchExists(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(taskId)
                .and(SCHEDULED_DELIVERIES.CLAIMED_BY.isNotNull()));
    }

    @Test
    void aFutureDatedTaskCancelledAfterItsClaimDoesNotRun() throws Exception {
        String topic = kafka.createTopic("claimcancel", 1);
        Recorder ext = new Recorder(topic, Set.of());
        worker(ext);
        TestClock clock = new TestClock();
        clock.freeze();
        scheduler(clock);
        // Due within the claim-ahead window (2 s) but not the send-ahead one (1 s): the scheduler
        // claims it (and holds its record), and its clock does not move on until the cancel is done.
        Instant due = clock.instant().plusMillis(1500);
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        producer().send(DelayedRecords.encode(task, due, prefix + "delayed")).get();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> claimed(task.id()));

        StatusStore store = new JooqStatusStore(database.dsl(), "operator");
        assertThat(store.cancel(task.id(), "customer withdrew", Instant.now()))
                .isEqualTo(new StatusStore.Cancellation.Cancelled());
        clock.resume();

        // The record held in memory is produced anyway; the worker finds the task cancelled.
        List<ConsumerRecord<byte[], byte[]>> produced = readAll(topic, Duration.ofSeconds(4));
        assertThat(produced).as("the claimed record was produced at its due time").hasSize(1);
        Thread.sleep(1000);
        assertThat(ext.runs).as("a cancelled task never runs").isEmpty();
        assertThat(status(task.id())).isEqualTo(TaskStatus.CANCELLED);
        assertThat(history(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.CANCELLED);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(task.id()))).isZero();
    }

    @Test
    void aRescheduledTaskCancelledAfterItsClaimStaysCancelled() throws Exception {
        String topic = kafka.createTopic("claimcancel2", 1);
        Recorder ext = new Recorder(topic, Set.of(1));
        worker(ext);
        scheduler(Clock.systemUTC());
        StatusStore store = new JooqStatusStore(database.dsl(), "operator");
        // Rescheduled by 1 s: the scheduler claims the delivery at once (queueing the task at
        // attempt 2) and sends its record ahead, which the worker holds until the due time. The
        // cancel must come in between; on a loaded machine this test may see the queued row too
        // late, so it tries again with a new task (at most 5 times) until the cancel was
        // committed before the due time.
        Task task = null;
        for (int tries = 0; tries < 5 && task == null; tries++) {
            Task candidate = Task.builder().topic(topic).payload("{}", "application/json").build();
            producer().send(codec.encode(candidate)).get();
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
                    .until(() -> {
                        var r = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(candidate.id())).fetchOne();
                        return r != null && r.getStatus() == TaskStatus.QUEUED && r.getAttempt() == 2;
                    });
            var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(candidate.id())).fetchOne();
            assertThat(row.getNextRunAt()).as("still shows when it runs").isNotNull();
            if (!Instant.now().isBefore(row.getNextRunAt())) {
                continue; // seen after its due time: the scenario did not happen
            }
            var cancellation = store.cancel(candidate.id(), "stop", Instant.now());
            if (Instant.now().isBefore(row.getNextRunAt())) {
                assertThat(cancellation).isEqualTo(new StatusStore.Cancellation.Cancelled());
                task = candidate;
            }
        }
        assertThat(task).as("a cancel committed between the claim and the due time, in 5 tries").isNotNull();
        UUID cancelled = task.id();

        Thread.sleep(3000); // past the due time: attempt 2's record was produced
        assertThat(ext.perTask.get(cancelled)).as("attempt 2 never runs").isEqualTo(1);
        assertThat(status(cancelled)).isEqualTo(TaskStatus.CANCELLED);
        assertThat(history(cancelled)).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.RESCHEDULED, TaskStatus.QUEUED,
                TaskStatus.CANCELLED);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(cancelled))).isZero();
    }

    @Test
    void twoSchedulersProduceEveryDeliveryOnceAndNeverEarly() throws Exception {
        String topic = kafka.createTopic("pair", 2);
        int n = 3000;
        Instant due = Instant.now().plusMillis(2500);
        List<dev.conveyor.store.StatusChange> changes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Task task = Task.builder().topic(topic).payload("{\"n\":" + i + "}", "application/json").build();
            // Spread over 500 ms, so that the two schedulers claim and produce interleaved.
            changes.add(dev.conveyor.store.StatusChange.scheduled(task, due.plusMillis(i % 500), Instant.now()));
        }
        scheduler(List.of());
        Scheduler second = Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(TestKafka.uniqueName("sched")).withNode("scheduler-two").withBatchSize(100),
                new Scheduler.Collaborators(database, Clock.systemUTC()));
        closeables.add(second);
        new JooqStatusStore(database.dsl(), "test").apply(changes);

        Map<String, Instant> dueOf = new java.util.HashMap<>();
        for (dev.conveyor.store.StatusChange c : changes) {
            dueOf.put(c.id().toString(), c.nextRunAt());
        }
        List<ConsumerRecord<byte[], byte[]>> produced = readAll(topic, Duration.ofSeconds(5));
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : produced) {
            String id = new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8);
            ids.add(id);
            Instant taskDue = dueOf.get(id);
            assertThat(r.timestamp()).as("produced at most the send-ahead time before its due time")
                    .isGreaterThanOrEqualTo(taskDue.toEpochMilli() - 1000);
            if (r.timestamp() < taskDue.toEpochMilli()) {
                var notBefore = r.headers().lastHeader(ConveyorHeaders.NOT_BEFORE);
                assertThat(notBefore).as("a record produced before its due time says when it may run").isNotNull();
                Instant said = Instant.parse(new String(notBefore.value(), StandardCharsets.UTF_8));
                assertThat(Duration.between(taskDue, said).abs()).as("its due time (stored in microseconds)")
                        .isLessThanOrEqualTo(Duration.ofNanos(1000));
            }
        }
        assertThat(ids).hasSize(n);
        assertThat(produced).as("each delivery produced once").hasSize(n);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TOPIC.eq(topic))).isZero();
    }

    @Test
    void aStoppingSchedulerGivesBackWhatItClaimedAhead() throws Exception {
        String topic = kafka.createTopic("handback", 1);
        // A scheduler whose clock stands still: it claims the delivery ahead (due within the 2 s claim
        // window, beyond the 1 s send-ahead) but never reaches the time to produce it.
        Instant t0 = Instant.now();
        Scheduler s = Scheduler.start(SchedulerConfig.defaults(kafka.bootstrap()).withTopicPrefix(prefix)
                        .withGroup(TestKafka.uniqueName("sched")).withNode("frozen"),
                new Scheduler.Collaborators(database, Clock.fixed(t0, ZoneOffset.UTC)));
        closeables.add(s);
        Task task = Task.builder().topic(topic).payload("{}", "application/json").build();
        new JooqStatusStore(database.dsl(), "test").apply(List.of(
                dev.conveyor.store.StatusChange.scheduled(task, t0.plusMillis(1500), t0)));
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> claimed(task.id()));
        s.close();
        closeables.remove(s);
        // Not produced, and claimable at once by the next scheduler rather than after the lease.
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(task.id()))).isEqualTo(1);
        assertThat(claimed(task.id())).isFalse();
        scheduler(List.of());
        assertThat(readAll(topic, Duration.ofSeconds(4))).hasSize(1);
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(task.id()))).isZero();
    }

    @Test
    void twoSchedulersNeverFireTheSameTimeTwice() throws Exception {
        String topic = kafka.createTopic("beats", 1);
        ScheduleDefinition beat = ScheduleDefinition.every("beat-" + topic, Duration.ofMillis(200), topic,
                "{\"beat\":true}");
        Scheduler a = scheduler(List.of(beat));
        Scheduler b = scheduler(List.of(beat));
        Instant start = Instant.now();
        Thread.sleep(30_000);
        a.close();
        b.close();
        closeables.remove(a);
        closeables.remove(b);
        long seconds = Duration.between(start, Instant.now()).toSeconds();

        List<ConsumerRecord<byte[], byte[]>> fires = readAll(topic, Duration.ofSeconds(5));
        Set<String> fireTimes = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : fires) {
            String time = new String(r.headers().lastHeader("ce_time").value(), StandardCharsets.UTF_8);
            assertThat(fireTimes.add(time)).as("fire time " + time + " produced once").isTrue();
            assertThat(new String(r.headers().lastHeader("conveyor_kind").value(), StandardCharsets.UTF_8))
                    .isEqualTo(TaskKind.SCHEDULED.wireName());
        }
        assertThat(fires.size()).as("about one fire per 200 ms over " + seconds + " s")
                .isBetween((int) (seconds * 5 * 0.8), (int) (seconds * 5 + 10));
    }

    @Test
    void afterAPauseMissedFiresCollapseIntoOne() throws Exception {
        String topic = kafka.createTopic("misfire", 1);
        KafkaProducer<byte[], byte[]> producer = producer();
        RecurringFires fires = new RecurringFires(database.dsl(), producer);
        Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
        fires.sync(List.of(ScheduleDefinition.every("minutely", Duration.ofMinutes(1), topic, "{}")), t0);
        assertThat(fires.fireDue(t0)).isZero();
        assertThat(fires.fireDue(t0.plusSeconds(60))).isEqualTo(1);

        // The scheduler was down for an hour: 59 fires missed.
        Instant later = t0.plus(Duration.ofMinutes(61)).plusSeconds(30);
        assertThat(fires.fireDue(later)).isEqualTo(1);
        assertThat(fires.fireDue(later)).as("no storm: nothing more is due").isZero();
        var row = db.dsl().selectFrom(SCHEDULES).where(SCHEDULES.NAME.eq("minutely")).fetchOne();
        assertThat(row.getNextFireAt()).isEqualTo(t0.plus(Duration.ofMinutes(62)));
        assertThat(row.getLastFiredAt()).isEqualTo(t0.plus(Duration.ofMinutes(2)));
        assertThat(readAll(topic, Duration.ofSeconds(3))).hasSize(2);

        // Disabling stops it.
        fires.sync(List.of(ScheduleDefinition.every("minutely", Duration.ofMinutes(1), topic, "{}").withEnabled(false)),
                later);
        assertThat(fires.fireDue(later.plus(Duration.ofHours(5)))).isZero();
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration quiet) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties(TestKafka.uniqueName("read")))) {
            c.subscribe(List.of(topic));
            long lastData = System.nanoTime();
            while (System.nanoTime() - lastData < quiet.toNanos()) {
                var records = c.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    records.forEach(out::add);
                    lastData = System.nanoTime();
                }
            }
        }
        return out;
    }
}
