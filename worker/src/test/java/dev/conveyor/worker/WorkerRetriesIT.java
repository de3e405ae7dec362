package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import dev.conveyor.worker.spi.ExtensionSettings;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Exceptions and timeouts go through the durable reschedule path until attempts run out. */
@ConveyorIntegrationTest
class WorkerRetriesIT {

    private WorkerFixture fx;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Throws on the first `failures` attempts, then succeeds. */
    static final class Flaky implements BackgroundExtension {
        final String topic;
        final int failures;
        final List<Integer> attempts = new CopyOnWriteArrayList<>();

        Flaky(String topic, int failures) {
            this.topic = topic;
            this.failures = failures;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) {
            attempts.add(task.attempt());
            if (task.attempt() <= failures) {
                throw new IllegalStateException("downstream unavailable (attempt " + task.attempt() + ")");
            }
            return TaskResult.done();
        }
    }

    @Test
    void exceptionThenSuccess() throws Exception {
        String topic = fx.kafka.createTopic("flaky", 1);
        Flaky ext = new Flaky(topic, 1);
        fx.start(WorkerFixture.fastRetries(5).apply(fx.config()).build(), ext);

        Task task = fx.publish(fx.task(topic, "{}"));
        TasksRecord rescheduled = fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        assertThat(rescheduled.getOutput()).isEqualTo("downstream unavailable (attempt 1)");
        assertThat(rescheduled.getReschedules()).as("an error retry is not a requested reschedule").isZero();
        assertThat(fx.transitionReasons(task.id()).get(2)).contains("downstream unavailable").contains("retry 1 of 4");

        fx.deliverNow(task.id(), 2);
        TasksRecord done = fx.awaitStatus(task.id(), TaskStatus.DONE);
        assertThat(done.getAttempt()).isEqualTo(2);
        assertThat(ext.attempts).containsExactly(1, 2);
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.RESCHEDULED,
                TaskStatus.RUNNING, TaskStatus.DONE);
    }

    @Test
    void alwaysThrowingExhaustsAttemptsThenFails() throws Exception {
        String topic = fx.kafka.createTopic("broken", 1);
        Flaky ext = new Flaky(topic, Integer.MAX_VALUE);
        fx.start(WorkerFixture.fastRetries(3).apply(fx.config()).build(), ext);

        Task task = fx.publish(fx.task(topic, "{}"));
        fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        fx.deliverNow(task.id(), 2);
        fx.deliverNow(task.id(), 3);
        TasksRecord failed = fx.awaitStatus(task.id(), TaskStatus.FAILED);
        assertThat(failed.getAttempt()).isEqualTo(3);
        assertThat(failed.getOutput()).isEqualTo("downstream unavailable (attempt 3)");
        assertThat(fx.transitionReasons(task.id())).last().asString().contains("attempts exhausted: 3 of 3");
        assertThat(fx.delivery(task.id(), 4)).as("no delivery after the last attempt").isNull();
        assertThat(ext.attempts).containsExactly(1, 2, 3);
    }

    @Test
    void timeoutCountsAsAFailedExecution() throws Exception {
        String topic = fx.kafka.createTopic("slow", 1);
        BackgroundExtension sleepy = new BackgroundExtension() {
            @Override
            public Set<String> topics() {
                return Set.of(topic);
            }

            @Override
            public ExtensionSettings settings() {
                return ExtensionSettings.builder().timeout(Duration.ofMillis(200)).maxAttempts(1).build();
            }

            @Override
            public TaskResult handle(Task task) throws Exception {
                Thread.sleep(10_000);
                return TaskResult.done();
            }
        };
        fx.start(fx.config().build(), sleepy);
        Task task = fx.publish(fx.task(topic, "{}"));
        TasksRecord failed = fx.awaitStatus(task.id(), TaskStatus.FAILED);
        assertThat(failed.getOutput()).isEqualTo("timed out after PT0.2S");
    }
}
