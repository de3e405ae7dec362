package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link StatusStore#recordQueued} on a real PostgreSQL: queued rows from acceptance, never backwards. */
@ConveyorIntegrationTest
class QueuedRowsIT {

    private JooqStatusStore store;
    private TestDatabase db;
    private final Instant accepted = Instant.parse("2026-11-22T10:00:00.123456Z");

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.store = new JooqStatusStore(db.dsl(), "ingress-1");
    }

    private Task task() {
        return Task.builder().topic("orders").type("order.created").payload("{\"n\":1}", "application/json")
                .key("customer-7").idempotencyKey("order-42").traceId("trace-1")
                .callbackUrl("https://example.test/cb").createdAt(accepted).build();
    }

    private List<String> history(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.FROM_STATUS, TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.AT,
                        TASK_TRANSITIONS.REASON, TASK_TRANSITIONS.NODE)
                .from(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ)
                .fetch(r -> (r.value1() == null ? "" : r.value1().wireName()) + "→" + r.value2().wireName() + " at "
                        + r.value3() + " (" + r.value4() + ") by " + r.value5());
    }

    @Test
    void anAcceptedTaskGetsAQueuedRowWithItsFactsAndFirstTransition() {
        Task t = task();
        assertThat(store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress"))))
                .containsExactly(t.id());

        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchOne();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(row.getAttempt()).isEqualTo(1);
        assertThat(row.getExtension()).isNull();
        assertThat(row.getType()).isEqualTo("order.created");
        assertThat(row.getCreatedAt()).isEqualTo(accepted);
        assertThat(row.getUpdatedAt()).isEqualTo(accepted);
        assertThat(row.getPayload()).isEqualTo("{\"n\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(row.getContentType()).isEqualTo("application/json");
        assertThat(row.getIdempotencyKey()).isEqualTo("order-42");
        assertThat(row.getKafkaKey()).isEqualTo("customer-7".getBytes(StandardCharsets.UTF_8));
        assertThat(row.getTraceId()).isEqualTo("trace-1");
        assertThat(row.getCallbackUrl()).isEqualTo("https://example.test/cb");
        assertThat(history(t.id())).containsExactly("→queued at " + accepted + " (accepted by the ingress) by ingress-1");
    }

    @Test
    void recordingAgainWritesNothing() {
        Task t = task();
        store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress")));
        assertThat(store.recordQueued(List.of(StatusChange.accepted(t, "recorded from Kafka"),
                StatusChange.accepted(t, "recorded from Kafka")))).isEmpty();
        assertThat(history(t.id())).hasSize(1);
    }

    @Test
    void aTaskAWorkerFinishedFirstStaysFinished() {
        Task t = task();
        store.recordOutcomes(List.of(StatusChange.finished(t, "ext", null, false, accepted.plusMillis(5),
                accepted.plusMillis(9), NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5),
                null, null)));
        assertThat(store.recordQueued(List.of(StatusChange.accepted(t, "recorded from Kafka")))).isEmpty();

        assertThat(db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(t.id())).fetchSingle().value1())
                .isEqualTo(TaskStatus.DONE);
        assertThat(history(t.id())).as("the worker's write created the row: its history starts queued all the same")
                .extracting(h -> h.substring(0, h.indexOf(" at "))).containsExactly("→queued", "queued→running", "running→done");
        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchOne();
        assertThat(row.getIdempotencyKey()).as("the worker writes the keys too").isEqualTo("order-42");
        assertThat(row.getKafkaKey()).isEqualTo("customer-7".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aWorkerAfterTheQueuedRowContinuesItsHistory() {
        Task t = task();
        store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress")));
        TaskState queued = store.load(List.of(t.id())).get(t.id());
        store.recordOutcomes(List.of(StatusChange.finished(t, "ext", queued, false, accepted.plusMillis(5),
                accepted.plusMillis(9), NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5),
                null, null)));
        assertThat(history(t.id())).extracting(h -> h.substring(0, h.indexOf(" at ")))
                .containsExactly("→queued", "queued→running", "running→done");
        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchOne();
        assertThat(row.getCreatedAt()).as("created at acceptance, kept").isEqualTo(accepted);
        assertThat(row.getExtension()).isEqualTo("ext");
    }

    @Test
    void anOperatorRetryKeepsTheKafkaKeyAndIdempotencyKey() {
        Task t = task();
        store.recordQueued(List.of(StatusChange.accepted(t, "accepted by the ingress")));
        TaskState queued = store.load(List.of(t.id())).get(t.id());
        store.recordOutcomes(List.of(StatusChange.finished(t, "ext", queued, false, accepted.plusMillis(5),
                accepted.plusMillis(9), NextStatus.of(Outcome.of(TaskResult.skip("no stock")), 1, 0,
                        RetryPolicy.defaults(), 0.5), null, null)));
        List<Task> delivered = new ArrayList<>();
        assertThat(store.retry(t.id(), "retried by operator", accepted.plusSeconds(60), delivered::add))
                .isInstanceOf(StatusStore.Retry.Retried.class);
        assertThat(delivered).singleElement().satisfies(d -> {
            assertThat(d.attempt()).isEqualTo(2);
            assertThat(d.key()).as("the ordering key").isEqualTo("customer-7");
            assertThat(d.idempotencyKey()).isEqualTo("order-42");
        });
    }

    @Test
    void concurrentBatchesOverTheSameTasksMakeOneRowEach() throws Exception {
        List<StatusChange> changes = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            changes.add(StatusChange.accepted(Task.builder().topic("orders").payload("{}", "application/json")
                    .createdAt(accepted).build(), "recorded from Kafka"));
        }
        List<StatusChange> reversed = new ArrayList<>(changes);
        java.util.Collections.reverse(reversed);
        var a = CompletableFuture.supplyAsync(() -> store.recordQueued(changes));
        var b = CompletableFuture.supplyAsync(() -> store.recordQueued(reversed));
        assertThat(a.get().size() + b.get().size()).as("each row inserted by exactly one of them").isEqualTo(3000);
        assertThat(db.dsl().fetchCount(TASK_TRANSITIONS,
                TASK_TRANSITIONS.TASK_ID.in(changes.stream().map(StatusChange::id).toList()))).isEqualTo(3000);
    }

    @Test
    void takesAcceptedChangesOnly() {
        Task t = task();
        assertThatThrownBy(() -> store.recordQueued(List.of(StatusChange.scheduled(t, accepted.plusSeconds(60), accepted))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recordQueued takes accepted changes");
    }
}
