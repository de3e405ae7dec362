package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.StatusModes;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A lean topic ({@code worker.topics.<topic>.status: lean}) on a real broker and PostgreSQL: its
 * first-run successes leave no {@code tasks} row and no transitions but are counted; every other
 * outcome keeps its row; and a record redelivered after its success was recorded is not run again.
 */
@ConveyorIntegrationTest
class LeanStatusIT {

    private WorkerFixture fx;
    private DSLContext dsl;

    @BeforeEach
    void setUp(TestKafka kafka, TestDatabase db) {
        fx = new WorkerFixture(kafka, db);
        dsl = db.dsl();
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    /** Answers from the payload: "fail", "skip", "slow" (done after 600 ms), anything else done. Counts runs. */
    static final class ByPayload implements BackgroundExtension {
        final String topic;
        final Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();

        ByPayload(String topic) {
            this.topic = topic;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) throws Exception {
            runs.computeIfAbsent(task.id(), k -> new AtomicInteger()).incrementAndGet();
            String says = new String(task.payload(), StandardCharsets.UTF_8);
            return switch (says) {
                case "\"fail\"" -> TaskResult.fail("no");
                case "\"skip\"" -> TaskResult.skip("not mine");
                case "\"slow\"" -> {
                    Thread.sleep(600);
                    yield TaskResult.done();
                }
                default -> TaskResult.done();
            };
        }
    }

    private WorkerConfig.Builder lean(String topic) {
        return fx.config().statusModes(new StatusModes(false, Map.of(topic, true)))
                .runningMarkAfter(Duration.ofMillis(200)).retry(new dev.conveyor.schema.RetryPolicy(1,
                        Duration.ofSeconds(30), Duration.ofSeconds(300), dev.conveyor.schema.RetryPolicy.defaults().backoff()));
    }

    private long leanDone(String topic) {
        return ((Number) dsl.fetchValue("select count(*) from lean_done where topic = ?", topic)).longValue();
    }

    private long rows(List<Task> tasks) {
        return ((Number) dsl.fetchValue("select count(*) from tasks where id = any(?::uuid[])",
                (Object) tasks.stream().map(Task::id).toArray(UUID[]::new))).longValue();
    }

    private long transitions(List<Task> tasks) {
        return ((Number) dsl.fetchValue("select count(*) from task_transitions where task_id = any(?::uuid[])",
                (Object) tasks.stream().map(Task::id).toArray(UUID[]::new))).longValue();
    }

    private long counted(String table, String topic, String status) {
        return ((Number) dsl.fetchValue("select coalesce(sum(n), 0) from " + table + " where topic = ? and status = ?",
                topic, status)).longValue();
    }

    @Test
    void firstRunSuccessesLeaveNoRowAndEveryOtherOutcomeKeepsItsRow() throws Exception {
        String topic = fx.kafka.createTopic("lean", 2);
        ByPayload ext = new ByPayload(topic);
        fx.start(lean(topic).build(), ext);

        List<Task> plain = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            plain.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
        }
        Task failed = fx.publish(fx.task(topic, "\"fail\""));
        Task skipped = fx.publish(fx.task(topic, "\"skip\""));
        Task slow = fx.publish(fx.task(topic, "\"slow\""));
        Task keyed = fx.publish(fx.task(topic, "{}").toBuilder().idempotencyKey("k-1").build());

        fx.awaitStatus(failed.id(), TaskStatus.FAILED);
        fx.awaitStatus(skipped.id(), TaskStatus.SKIPPED);
        fx.awaitStatus(slow.id(), TaskStatus.DONE);
        fx.awaitStatus(keyed.id(), TaskStatus.DONE);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> leanDone(topic) == 40);

        assertThat(rows(plain)).as("lean successes keep no tasks row").isZero();
        assertThat(transitions(plain)).as("nor any history").isZero();
        assertThat(fx.transitions(failed.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.FAILED);
        assertThat(fx.transitions(slow.id())).as("ran longer than running-mark-after: marked running, so kept")
                .contains(TaskStatus.RUNNING, TaskStatus.DONE);
        assertThat(fx.row(keyed.id()).getIdempotencyKey()).isEqualTo("k-1");
        assertThat(counted("task_counts", topic, "done")).as("40 lean + the slow and the keyed rows").isEqualTo(42);
        assertThat(counted("task_finished_minutes", topic, "done")).isEqualTo(42);
        assertThat(counted("task_counts", topic, "failed")).isEqualTo(1);
        assertThat(plain).allSatisfy(t -> assertThat(ext.runs.get(t.id())).hasValue(1));
    }

    @Test
    void aLeanTaskRedeliveredAfterItsSuccessWasRecordedIsNotRunAgain() throws Exception {
        String topic = fx.kafka.createTopic("lean-crash", 1);
        String group = TestKafka.uniqueName("lean-group");
        ByPayload first = new ByPayload(topic);
        Worker w1 = fx.start(lean(topic).group(group).build(), first);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            tasks.add(fx.publish(fx.task(topic, "{\"n\":" + i + "}")));
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> leanDone(topic) == 30);
        w1.abort();
        // The crash came after the batch committed in PostgreSQL but before the Kafka offset did:
        // rewind the group, so every record comes again.
        fx.kafka.admin().alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0),
                new OffsetAndMetadata(0))).all().get();

        ByPayload second = new ByPayload(topic);
        fx.start(lean(topic).group(group).build(), second);
        Task last = fx.publish(fx.task(topic, "\"fail\""));
        fx.awaitStatus(last.id(), TaskStatus.FAILED);

        assertThat(second.runs).as("the redelivered records were found done in lean_done").containsOnlyKeys(last.id());
        assertThat(leanDone(topic)).isEqualTo(30);
        assertThat(counted("task_counts", topic, "done")).as("each counted once").isEqualTo(30);
        assertThat(rows(tasks)).isZero();
    }
}
