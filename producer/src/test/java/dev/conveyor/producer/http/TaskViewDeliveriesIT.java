package dev.conveyor.producer.http;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.store.JooqStatusStore;
import dev.conveyor.store.StatusChange;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/tasks/{id}} lists the task's outbound deliveries with their attempts. */
@ConveyorIntegrationTest
class TaskViewDeliveriesIT {

    @Test
    void deliveriesShowAttemptsAndLastOutcome(TestDatabase db) {
        Task t = Task.builder().topic("orders").payload("{}", "application/json")
                .callbackUrl("https://receiver.example/cb").build();
        Instant now = Instant.now();
        NextStatus done = NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5);
        new JooqStatusStore(db.dsl(), "test").apply(List.of(StatusChange.finished(t, "ext", null, false, now, now,
                done, null, null)));
        db.dsl().update(OUTBOX).set(OUTBOX.ATTEMPTS, 2).set(OUTBOX.LAST_STATUS, 503)
                .set(OUTBOX.LAST_ERROR, "HTTP 503").where(OUTBOX.TASK_ID.eq(t.id())).execute();

        ObjectNode view = TaskView.find(db.dsl(), t.id());

        JsonNode deliveries = view.path("deliveries");
        assertThat(deliveries.size()).isEqualTo(1);
        JsonNode d = deliveries.get(0);
        assertThat(d.path("target").asText()).isEqualTo("callback");
        assertThat(d.path("kind").asText()).isEqualTo("callback");
        assertThat(d.path("status").asText()).isEqualTo("done");
        assertThat(d.path("url").asText()).isEqualTo("https://receiver.example/cb");
        assertThat(d.path("state").asText()).isEqualTo("pending");
        assertThat(d.path("attempts").asInt()).isEqualTo(2);
        assertThat(d.path("lastStatus").asInt()).isEqualTo(503);
        assertThat(d.path("lastError").asText()).isEqualTo("HTTP 503");
        assertThat(d.path("nextAttemptAt").isTextual()).isTrue();
        assertThat(d.path("deliveredAt").isNull()).isTrue();
    }
}
