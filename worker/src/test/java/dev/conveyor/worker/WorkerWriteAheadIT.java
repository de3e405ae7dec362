package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.InteractiveExtension;
import dev.conveyor.worker.spi.Ordering;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Executions do not run ahead of their status writes: with the writers stuck (the {@code tasks}
 * table locked by another transaction), no more than {@code concurrency + status-writers ×
 * status-batch-size} executions start; the rest wait in poll order and run once the writes go
 * through. Scheduler deliveries whose time has come (held or not) and interactive records start
 * regardless, and records queued behind a busy key do not count.
 */
@ConveyorIntegrationTest
class WorkerWriteAheadIT {

    /** concurrency 2 + 1 writer × batches of 3. */
    private static final int WRITE_AHEAD = 5;

    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    private WorkerConfig config() {
        return fx.config().concurrency(2).statusWriters(1).statusBatchSize(3).ordering(Ordering.NONE).build();
    }

    /** Holds an EXCLUSIVE lock on tasks (reads go on, writes wait) until closed. */
    private Connection lockTasks() throws Exception {
        Connection c = fx.db.dataSource().getConnection();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("lock table tasks in exclusive mode");
        }
        return c;
    }

    private static void unlock(Connection c) throws Exception {
        c.rollback();
        c.close();
    }

    @Test
    void noMoreExecutionsStartThanTheWritersCanRecordAndTheRestRunOnceTheyCatchUp() throws Exception {
        assertThat(dev.conveyor.worker.internal.WorkerRuntime.writeAhead(config())).isEqualTo(WRITE_AHEAD);
        String topic = fx.kafka.createTopic("writeahead", 1);
        WorkerNotBeforeIT.Starts ext = new WorkerNotBeforeIT.Starts(topic);
        Worker worker = fx.start(config(), ext);
        Connection lock = lockTasks();
        List<Task> tasks = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                tasks.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ext.startedAt.size() >= WRITE_AHEAD);
            Thread.sleep(1500);
            assertThat(ext.startedAt).as("started while no status could be written").hasSize(WRITE_AHEAD);
            assertThat(worker.metrics().waiting()).as("conveyor.worker.waiting").isEqualTo(30 - WRITE_AHEAD);
            assertThat(ext.startedAt.keySet()).as("the first ones, in poll order")
                    .containsExactlyInAnyOrderElementsOf(tasks.subList(0, WRITE_AHEAD).stream().map(Task::id).toList());
        } finally {
            unlock(lock);
        }
        for (Task t : tasks) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
        assertThat(ext.startedAt).hasSize(30);
        assertThat(worker.metrics().waiting()).isZero();
        assertThat(fx.db.dsl().fetchCount(TASKS, TASKS.TOPIC.eq(topic).and(TASKS.ATTEMPT.eq(1)))).isEqualTo(30);
    }

    @Test
    void recordsQueuedBehindABusyKeyDoNotHoldUpOtherKeys() throws Exception {
        String topic = fx.kafka.createTopic("writeahead-hot", 1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Map<UUID, Long> started = new ConcurrentHashMap<>();
        BackgroundExtension ext = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                started.put(task.id(), System.currentTimeMillis());
                if ("hot".equals(task.key())) {
                    release.await();
                }
                return TaskResult.done();
            }
        };
        // Key ordering: the hot key's records run one at a time, behind a first one that blocks.
        fx.start(fx.config().concurrency(2).statusWriters(1).statusBatchSize(3).ordering(Ordering.KEY).build(), ext);
        List<Task> hot = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            hot.add(fx.publish(Task.builder().topic(topic).key("hot").payload("{}", "application/json").build()));
        }
        List<Task> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            others.add(fx.publish(Task.builder().topic(topic).key("k" + i).payload("{}", "application/json").build()));
        }
        try {
            for (Task t : others) {
                fx.awaitStatus(t.id(), TaskStatus.DONE);
            }
            assertThat(started).as("the hot key is still on its first task").containsKey(hot.get(0).id())
                    .doesNotContainKey(hot.get(1).id());
        } finally {
            release.countDown();
        }
        for (Task t : hot) {
            fx.awaitStatus(t.id(), TaskStatus.DONE);
        }
    }

    @Test
    void schedulerDeliveriesWhoseTimeHasComeAndInteractiveRecordsDoNotWait() throws Exception {
        String topic = fx.kafka.createTopic("writeahead-held", 1);
        String quotes = fx.kafka.createTopic("writeahead-quotes", 1);
        String replies = fx.kafka.createTopic("writeahead-replies", 1);
        WorkerNotBeforeIT.Starts ext = new WorkerNotBeforeIT.Starts(topic);
        Map<UUID, Long> quoted = new ConcurrentHashMap<>();
        InteractiveExtension quote = new InteractiveExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(quotes);
            }

            @Override
            public InteractiveResult handle(Task task) {
                quoted.put(task.id(), System.currentTimeMillis());
                return InteractiveResult.done(200, Map.of(), Map.of("price", 1));
            }
        };
        fx.start(config(), ext, quote);
        Connection lock = lockTasks();
        try {
            for (int i = 0; i < 20; i++) {
                fx.publish(fx.task(topic, "{\"n\":" + i + "}"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ext.startedAt.size() >= WRITE_AHEAD);
            Task held = fx.task(topic, "{\"held\":true}");
            Instant at = Instant.now().plusMillis(800);
            fx.send(WorkerNotBeforeIT.notBefore(held, at));
            Task late = fx.task(topic, "{\"late\":true}");
            fx.send(WorkerNotBeforeIT.notBefore(late, Instant.now().minusSeconds(1)));
            Task interactive = fx.publish(fx.task(quotes, "{}").toBuilder().kind(TaskKind.INTERACTIVE)
                    .replyTo(replies).deadline(Instant.now().plusSeconds(30)).build());

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ext.startedAt.containsKey(held.id()));
            assertThat(ext.startedAt.get(held.id())).as("at its time").isGreaterThanOrEqualTo(at.toEpochMilli());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> quoted.containsKey(interactive.id()));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ext.startedAt.containsKey(late.id()));
            assertThat(ext.startedAt).as("the fresh background records still wait").hasSize(WRITE_AHEAD + 2);
        } finally {
            unlock(lock);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ext.startedAt.size() == 22);
    }
}
