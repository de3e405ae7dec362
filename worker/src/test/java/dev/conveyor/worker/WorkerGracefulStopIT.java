package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker asked to stop (SIGTERM runs this close) lets the executions it runs finish within its
 * shutdown grace, records and commits them, and leaves the group: the next worker of the group runs
 * none of them again.
 */
@ConveyorIntegrationTest
class WorkerGracefulStopIT {

    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Runs each task for {@code runMs}, noting every execution. */
    static final class Slow implements BackgroundExtension {
        final String topic;
        final long runMs;
        final List<UUID> executions = new CopyOnWriteArrayList<>();
        final CountDownLatch started;

        Slow(String topic, long runMs, int expectStarts) {
            this.topic = topic;
            this.runMs = runMs;
            this.started = new CountDownLatch(expectStarts);
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) throws InterruptedException {
            executions.add(task.id());
            started.countDown();
            Thread.sleep(runMs);
            return TaskResult.done();
        }
    }

    @Test
    void runningExecutionsFinishAreRecordedAndCommittedAndTheNextWorkerRunsNoneAgain() throws Exception {
        String topic = fx.kafka.createTopic("graceful", 3);
        String group = TestKafka.uniqueName("workers");
        Slow first = new Slow(topic, 1500, 6);
        Worker worker = fx.start(fx.config().group(group).shutdownGrace(Duration.ofSeconds(10)).build(), first);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            tasks.add(fx.publish(fx.task(topic, "{}").toBuilder().key("k" + i).build()));
        }
        assertThat(first.started.await(30, TimeUnit.SECONDS)).as("all six running").isTrue();

        long t0 = System.nanoTime();
        worker.close();
        long stopMs = (System.nanoTime() - t0) / 1_000_000;

        for (Task t : tasks) {
            assertThat(fx.row(t.id()).getStatus()).as("recorded before close returned").isEqualTo(TaskStatus.DONE);
        }
        assertThat(stopMs).as("close waited for the executions, not for the whole grace").isLessThan(9_000);
        assertThat(fx.committedToEnd(group, topic)).as("their offsets committed before close returned").isTrue();

        Slow second = new Slow(topic, 0, 1);
        fx.start(fx.config().group(group).build(), second);
        Task after = fx.publish(fx.task(topic, "{}"));
        fx.awaitStatus(after.id(), TaskStatus.DONE);
        assertThat(second.executions).as("the next worker ran only the new task").containsExactly(after.id());
        assertThat(first.executions).hasSize(6);
    }
}
