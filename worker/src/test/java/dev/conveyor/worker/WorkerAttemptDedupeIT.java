package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records of one task meet in a worker: dedupe is by (task id, attempt), never by task id alone.
 * Each test puts the records on a one-partition topic before the worker starts, so its first poll
 * holds all of them: the meetings are deterministic, not races.
 */
@ConveyorIntegrationTest
class WorkerAttemptDedupeIT {

    private static final TaskRecordCodec codec = new TaskRecordCodec();
    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Logs each execution as "attempt N"; attempt 1 reschedules (after {@code firstRunMs}), later ones are done. */
    static final class RescheduleOnce implements BackgroundExtension {
        final String topic;
        final long firstRunMs;
        final List<String> executions = new CopyOnWriteArrayList<>();
        final CountDownLatch firstRunStarted = new CountDownLatch(1);
        volatile CountDownLatch firstRunMayEnd = new CountDownLatch(0);

        RescheduleOnce(String topic, long firstRunMs) {
            this.topic = topic;
            this.firstRunMs = firstRunMs;
        }

        /** Attempt 1 then runs until {@code firstRunMayEnd} is counted down. */
        void blockFirstRun() {
            firstRunMayEnd = new CountDownLatch(1);
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) throws InterruptedException {
            executions.add("attempt " + task.attempt());
            if (task.attempt() == 1) {
                firstRunStarted.countDown();
                firstRunMayEnd.await();
                Thread.sleep(firstRunMs);
                return TaskResult.reschedule(Duration.ofSeconds(1));
            }
            return TaskResult.done();
        }
    }

    @Test
    void aStaleCopyOfAttemptOnePolledWithAttemptTwoDoesNotDropAttemptTwo() throws Exception {
        String topic = fx.kafka.createTopic("stale", 1);
        String group = TestKafka.uniqueName("workers");
        RescheduleOnce first = new RescheduleOnce(topic, 0);
        Worker worker = fx.start(fx.config().group(group).build(), first);
        Task task = fx.publish(fx.task(topic, "{}").toBuilder().key("k").build());
        fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        worker.close();

        // As after a crash or a rebalance: attempt 1's record again (left uncommitted elsewhere),
        // then attempt 2 from the scheduler, both in the next worker's first poll.
        fx.publish(task);
        fx.deliverNow(task.id(), 2);
        RescheduleOnce second = new RescheduleOnce(topic, 0);
        fx.start(fx.config().group(group).build(), second);

        fx.awaitStatus(task.id(), TaskStatus.DONE);
        assertThat(fx.row(task.id()).getAttempt()).isEqualTo(2);
        fx.awaitCommittedToEnd(group, topic);
        assertThat(second.executions).as("the stale copy never runs, attempt 2 runs once").containsExactly("attempt 2");
    }

    @Test
    void attemptTwoPolledBeforeAttemptOnesOutcomeIsRecordedStillRuns() throws Exception {
        String topic = fx.kafka.createTopic("early", 1);
        String group = TestKafka.uniqueName("workers");
        Task task = fx.task(topic, "{}").toBuilder().key("k").build();
        RescheduleOnce ext = new RescheduleOnce(topic, 0);
        fx.start(fx.config().group(group).build(), ext);
        ext.blockFirstRun();
        fx.publish(task);
        assertThat(ext.firstRunStarted.await(30, TimeUnit.SECONDS)).as("attempt 1 started").isTrue();
        // Attempt 2 is polled while attempt 1 is still in flight here (as when the scheduler sends a
        // short countdown's delivery before this worker ended attempt 1's claim).
        fx.send(codec.encode(task.toBuilder().attempt(2).build()));
        Thread.sleep(500); // polled and claimed meanwhile
        ext.firstRunMayEnd.countDown();

        fx.awaitStatus(task.id(), TaskStatus.DONE);
        fx.awaitCommittedToEnd(group, topic);
        assertThat(ext.executions).containsExactly("attempt 1", "attempt 2");
        assertThat(fx.row(task.id()).getAttempt()).isEqualTo(2);
    }

    @Test
    void aCopyOfAnAttemptInFlightWaitsForItRunsNeverAndIsCommittedAfterIt() throws Exception {
        String topic = fx.kafka.createTopic("copy", 1);
        String group = TestKafka.uniqueName("workers");
        Task task = fx.task(topic, "{}").toBuilder().key("k").build();
        Task other = fx.task(topic, "{}").toBuilder().key("other").attempt(2).build();
        fx.publish(task.toBuilder().attempt(2).build());
        fx.publish(task.toBuilder().attempt(2).build()); // the same attempt again (a producer retry, say)
        fx.publish(other);
        RescheduleOnce ext = new RescheduleOnce(topic, 0);
        fx.start(fx.config().group(group).ordering(dev.conveyor.worker.spi.Ordering.NONE).build(), ext);

        fx.awaitStatus(task.id(), TaskStatus.DONE);
        fx.awaitStatus(other.id(), TaskStatus.DONE);
        fx.awaitCommittedToEnd(group, topic);
        assertThat(ext.executions).as("the copy waits for the running attempt and is then dropped")
                .containsExactly("attempt 2", "attempt 2"); // the task's and the other task's
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }
}
