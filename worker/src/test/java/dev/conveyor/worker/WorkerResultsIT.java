package dev.conveyor.worker;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.ScheduledDeliveriesRecord;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.json.JsonCodec;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import dev.conveyor.testing.TestKafka;
import dev.conveyor.worker.spi.BackgroundExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each background result type, end to end through a real broker and database. */
@ConveyorIntegrationTest
class WorkerResultsIT {

    private WorkerFixture fx;
    private String topic;

    /** Answers according to the payload's "answer" field. */
    static final class ByPayload implements BackgroundExtension {
        private final String topic;

        ByPayload(String topic) {
            this.topic = topic;
        }

        @Override
        public Set<String> topics() {
            return Set.of(topic);
        }

        @Override
        public TaskResult handle(Task task) {
            String answer = task.json().path("answer").asText();
            return switch (answer) {
                case "done" -> TaskResult.done();
                case "fail" -> TaskResult.fail("card declined");
                case "skip" -> TaskResult.skip("duplicate order");
                case "reschedule" -> TaskResult.reschedule(Duration.ofSeconds(5));
                case "slow" -> TaskResult.slowProcessReschedule(Duration.ofSeconds(60));
                default -> throw new IllegalArgumentException("unknown answer " + answer);
            };
        }
    }

    @BeforeEach
    void start(TestKafka kafka, TestDatabase db) throws Exception {
        fx = new WorkerFixture(kafka, db);
        topic = kafka.createTopic("results", 2);
        fx.start(fx.config().build(), new ByPayload(topic));
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void doneIsRecordedWithItsHistory() {
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"done\"}"));
        TasksRecord row = fx.awaitStatus(task.id(), TaskStatus.DONE);
        assertThat(row.getAttempt()).isEqualTo(1);
        assertThat(row.getExtension()).isEqualTo("ByPayload");
        assertThat(row.getTopic()).isEqualTo(topic);
        assertThat(row.getOutput()).isNull();
        assertThat(row.getStartedAt()).isNotNull();
        assertThat(row.getFinishedAt()).isAfterOrEqualTo(row.getStartedAt());
        assertThat(new String(row.getPayload(), StandardCharsets.UTF_8)).isEqualTo("{\"answer\":\"done\"}");
        assertThat(JsonCodec.taskResult(Json.parse(row.getResult().data().getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(TaskResult.done());
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }

    @Test
    void failKeepsTheOutput() {
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"fail\"}"));
        TasksRecord row = fx.awaitStatus(task.id(), TaskStatus.FAILED);
        assertThat(row.getOutput()).isEqualTo("card declined");
        assertThat(fx.transitionReasons(task.id())).last().isEqualTo("card declined");
    }

    @Test
    void skipKeepsTheOutput() {
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"skip\"}"));
        assertThat(fx.awaitStatus(task.id(), TaskStatus.SKIPPED).getOutput()).isEqualTo("duplicate order");
    }

    @Test
    void rescheduleQueuesADeliveryAfterTheFloor() {
        Instant before = Instant.now();
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"reschedule\"}"));
        TasksRecord row = fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        assertThat(row.getReschedules()).isEqualTo(1);
        assertThat(row.getAttempt()).isEqualTo(1);
        // Asked for 5 s; the floor is 30 s.
        assertThat(row.getNextRunAt()).isBetween(before.plusSeconds(30), Instant.now().plusSeconds(31));

        ScheduledDeliveriesRecord d = fx.delivery(task.id(), 2);
        assertThat(d).isNotNull();
        assertThat(d.getDueAt()).isEqualTo(row.getNextRunAt());
        assertThat(d.getTopic()).isEqualTo(topic);
        assertThat(d.getHeaders().data()).contains("\"conveyor_attempt\": \"2\"")
                .contains("\"ce_id\": \"" + task.id() + "\"");
        assertThat(new String(d.getPayload(), StandardCharsets.UTF_8)).isEqualTo("{\"answer\":\"reschedule\"}");
    }

    @Test
    void slowRescheduleIsRaisedToTheSlowFloor() {
        Instant before = Instant.now();
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"slow\"}"));
        TasksRecord row = fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        assertThat(row.getNextRunAt()).isBetween(before.plusSeconds(300), Instant.now().plusSeconds(301));
        assertThat(fx.db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(task.id())))
                .isEqualTo(1);
    }

    @Test
    void aRescheduledTaskRunsAgainWhenRedelivered() {
        Task task = fx.publish(fx.task(topic, "{\"answer\":\"reschedule\"}"));
        fx.awaitStatus(task.id(), TaskStatus.RESCHEDULED);
        fx.deliverNow(task.id(), 2);
        // The redelivered record is attempt 2; it answers reschedule again -> attempt 3 queued.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> fx.delivery(task.id(), 3) != null);
        TasksRecord row = fx.row(task.id());
        assertThat(row.getAttempt()).isEqualTo(2);
        assertThat(row.getReschedules()).isEqualTo(2);
        assertThat(fx.transitions(task.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.RESCHEDULED,
                TaskStatus.RUNNING, TaskStatus.RESCHEDULED);
    }

    @Test
    void plainRecordFromAnyProducerIsATask() {
        var record = new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>(topic, null,
                "{\"answer\":\"done\"}".getBytes(StandardCharsets.UTF_8));
        fx.send(record);
        UUID id = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(
                () -> fx.db.dsl().select(dev.conveyor.store.db.jooq.Tables.TASKS.ID)
                        .from(dev.conveyor.store.db.jooq.Tables.TASKS)
                        .where(dev.conveyor.store.db.jooq.Tables.TASKS.TYPE.eq(topic))
                        .fetchOne(dev.conveyor.store.db.jooq.Tables.TASKS.ID), java.util.Objects::nonNull);
        TasksRecord row = fx.awaitStatus(id, TaskStatus.DONE);
        assertThat(row.getContentType()).isEqualTo("application/json");
    }
}
