package dev.conveyor.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.db.jooq.tables.records.TasksRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The pure parts of an operator's cancel and retry. */
class OperatorTransitionsTest {

    @Test
    void cancellingAQueuedTaskEndsTheAttemptItWaitsFor() {
        assertThat(OperatorTransitions.cancelledAttempt(TaskStatus.QUEUED, 3, List.of())).isEqualTo(3);
        assertThat(OperatorTransitions.cancelledAttempt(TaskStatus.QUEUED, 3, List.of(3))).isEqualTo(3);
    }

    @Test
    void cancellingARescheduledTaskEndsItsNextAttemptOrTheLatestRemovedDelivery() {
        assertThat(OperatorTransitions.cancelledAttempt(TaskStatus.RESCHEDULED, 2, List.of())).isEqualTo(3);
        assertThat(OperatorTransitions.cancelledAttempt(TaskStatus.RESCHEDULED, 2, List.of(3, 5))).isEqualTo(5);
    }

    @Test
    void aRetriedTaskIsRebuiltFromItsRowAtTheNewAttempt() {
        UUID id = UUID.randomUUID();
        Instant created = Instant.parse("2026-11-22T10:00:00Z");
        TasksRecord row = new TasksRecord().setId(id).setTopic("orders").setKind(TaskKind.BACKGROUND)
                .setType("order.created").setAttempt(4).setPayload("{}".getBytes(StandardCharsets.UTF_8))
                .setContentType("application/json").setCreatedAt(created).setTraceId("00-abc-01")
                .setCallbackUrl("https://example.test/cb").setIdempotencyKey("k-1");

        Task task = OperatorTransitions.retriedTask(row, 5);

        assertThat(task.id()).isEqualTo(id);
        assertThat(task.attempt()).isEqualTo(5);
        assertThat(task.source()).isEqualTo(JooqStatusStore.RETRY_SOURCE);
        assertThat(task.topic()).isEqualTo("orders");
        assertThat(task.type()).isEqualTo("order.created");
        assertThat(task.createdAt()).isEqualTo(created);
        assertThat(task.traceId()).isEqualTo("00-abc-01");
        assertThat(task.callbackUrl()).isEqualTo("https://example.test/cb");
        assertThat(task.idempotencyKey()).isEqualTo("k-1");
        assertThat(new String(task.payload(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }
}
