package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.SCHEDULED_DELIVERIES;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guarded, batched status writes on a real PostgreSQL. */
@ConveyorIntegrationTest
class JooqStatusStoreIT {

    private JooqStatusStore store;
    private TestDatabase db;
    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.store = new JooqStatusStore(db.dsl(), "node-a");
    }

    private static Task task(int attempt) {
        return Task.builder().topic("orders").payload("{}", "application/json").attempt(attempt).build();
    }

    private static NextStatus next(TaskResult result, int attempt) {
        return NextStatus.of(Outcome.of(result), attempt, 0, RetryPolicy.defaults(), 0.5);
    }

    private List<TaskStatus> history(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.TO_STATUS).from(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id))
                .orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.TO_STATUS);
    }

    @Test
    void writesEveryColumnAsGiven() {
        byte[] binary = {0, 1, (byte) 0xff, (byte) 0xfe, 'x', '\\', '"', ',', '{', '}'};
        Instant created = Instant.parse("2026-11-22T09:59:59.123456Z");
        Instant started = t0.plusNanos(1_234_567_000L);
        Instant finished = started.plusNanos(999_000L);
        Task t = Task.builder().topic("orders").type("order.created").payload(binary).createdAt(created)
                .traceId("00-abc-01").callbackUrl("https://example.test/cb?a=1,b").attempt(5).build();
        NextStatus failed = NextStatus.of(Outcome.of(TaskResult.fail("out of \"stock\", {sku: 1}")), 5, 0,
                RetryPolicy.defaults(), 0.5);
        store.apply(List.of(StatusChange.finished(t, "ext, with comma", null, false, started, finished, failed,
                "{\"type\": \"fail\", \"n\": [1, 2]}", null)));

        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchOne();
        assertThat(row.getTopic()).isEqualTo("orders");
        assertThat(row.getType()).isEqualTo("order.created");
        assertThat(row.getExtension()).isEqualTo("ext, with comma");
        assertThat(row.getStatus()).isEqualTo(TaskStatus.FAILED);
        assertThat(row.getAttempt()).isEqualTo(5);
        assertThat(row.getOutput()).isEqualTo("out of \"stock\", {sku: 1}");
        assertThat(row.getResult().data()).isEqualTo("{\"n\": [1, 2], \"type\": \"fail\"}");
        assertThat(row.getPayload()).isEqualTo(binary);
        assertThat(row.getTraceId()).isEqualTo("00-abc-01");
        assertThat(row.getCallbackUrl()).isEqualTo("https://example.test/cb?a=1,b");
        assertThat(row.getCreatedAt()).isEqualTo(created);
        assertThat(row.getStartedAt()).isEqualTo(started);
        assertThat(row.getUpdatedAt()).isEqualTo(finished);
        assertThat(row.getFinishedAt()).isEqualTo(finished);
        assertThat(row.getNextRunAt()).isNull();

        var transitions = db.dsl().selectFrom(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(t.id()))
                .orderBy(TASK_TRANSITIONS.SEQ).fetch();
        assertThat(transitions).hasSize(3);
        assertThat(transitions.get(0).getFromStatus()).as("first record of a task").isNull();
        assertThat(transitions.get(0).getToStatus()).as("every history starts queued").isEqualTo(TaskStatus.QUEUED);
        assertThat(transitions.get(0).getAt()).as("at its acceptance").isEqualTo(created);
        assertThat(transitions.get(1).getFromStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(transitions.get(1).getToStatus()).isEqualTo(TaskStatus.RUNNING);
        assertThat(transitions.get(1).getAt()).isEqualTo(started);
        assertThat(transitions.get(2).getFromStatus()).isEqualTo(TaskStatus.RUNNING);
        assertThat(transitions.get(2).getToStatus()).isEqualTo(TaskStatus.FAILED);
        assertThat(transitions.get(2).getAt()).isEqualTo(finished);
        assertThat(transitions.get(2).getAttempt()).isEqualTo(5);
        assertThat(transitions.get(2).getReason()).isEqualTo(failed.reason());
        assertThat(transitions).allMatch(tr -> tr.getNode().equals("node-a"));
    }

    @Test
    void subMicrosecondInstantsAreRoundedAsPostgresRoundsABoundTimestamp() {
        for (int nanos : new int[] {986_406_499, 986_406_500, 986_406_501, 986_407_500, 999_999_999}) {
            Instant started = t0.plusNanos(nanos);
            Task t = task(1);
            store.apply(List.of(StatusChange.finished(t, "ext", null, false, started, started.plusSeconds(1),
                    next(TaskResult.done(), 1), null, null)));
            Instant stored = db.dsl().select(TASKS.STARTED_AT).from(TASKS).where(TASKS.ID.eq(t.id())).fetchOne().value1();
            Instant bound = db.dsl().select(org.jooq.impl.DSL.val(started, TASKS.STARTED_AT.getDataType())).fetchOne()
                    .value1();
            assertThat(stored).as("nanos " + nanos).isEqualTo(bound);
        }
    }

    @Test
    void appliesABatchAndReadsStatesBack() {
        List<StatusChange> changes = new ArrayList<>();
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 2500; i++) { // more than one statement's worth of rows
            Task t = task(1);
            tasks.add(t);
            changes.add(StatusChange.finished(t, "ext", null, false, t0, t0.plusMillis(5),
                    next(TaskResult.done(), 1), "{\"type\":\"done\"}", null));
        }
        Set<UUID> applied = store.apply(changes);
        assertThat(applied).hasSize(2500);
        Map<UUID, TaskState> states = store.load(tasks.stream().map(Task::id).toList());
        assertThat(states).hasSize(2500);
        assertThat(states.values()).allMatch(s -> s.status() == TaskStatus.DONE && s.attempt() == 1);
        assertThat(history(tasks.get(0).id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
        assertThat(db.dsl().fetchCount(TASK_TRANSITIONS)).isGreaterThanOrEqualTo(5000);
    }

    @Test
    void aQueuedRowWrittenWhileTheWorkerRanIsWhereTheWorkersChangeStarts() {
        Task t = task(1);
        // Polled with no row; the acceptance's queued row lands before the outcome is written.
        store.recordQueued(List.of(StatusChange.accepted(t, "accepted")));
        StatusChange done = StatusChange.finished(t, "ext", null, false, t0, t0.plusSeconds(1),
                next(TaskResult.done(), 1), null, null);
        assertThat(store.apply(List.of(done))).containsExactly(t.id());
        var froms = db.dsl().select(TASK_TRANSITIONS.FROM_STATUS).from(TASK_TRANSITIONS)
                .where(TASK_TRANSITIONS.TASK_ID.eq(t.id())).orderBy(TASK_TRANSITIONS.SEQ).fetch(TASK_TRANSITIONS.FROM_STATUS);
        assertThat(history(t.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
        assertThat(froms).as("queued → running, not a second start from nothing")
                .containsExactly(null, TaskStatus.QUEUED, TaskStatus.RUNNING);
    }

    @Test
    void aTerminalRowNeverMovesAndItsReplayAddsNoHistory() {
        Task t = task(1);
        StatusChange done = StatusChange.finished(t, "ext", null, false, t0, t0.plusSeconds(1),
                next(TaskResult.done(), 1), null, null);
        assertThat(store.apply(List.of(done))).containsExactly(t.id());
        // A stale worker finishing the same attempt differently, and a replay of the same change.
        StatusChange failed = StatusChange.finished(t, "ext", null, false, t0, t0.plusSeconds(2),
                next(TaskResult.fail("late"), 1), null, null);
        assertThat(store.apply(List.of(failed, done))).isEmpty();
        // Even a later attempt cannot revive a terminal task.
        StatusChange running2 = StatusChange.running(task(1).toBuilder().id(t.id()).attempt(2).build(), "ext",
                null, t0.plusSeconds(3));
        assertThat(store.apply(List.of(running2))).isEmpty();
        assertThat(store.load(List.of(t.id())).get(t.id()).status()).isEqualTo(TaskStatus.DONE);
        assertThat(history(t.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }

    @Test
    void aStaleAttemptCannotOverwriteANewerOne() {
        Task first = task(1);
        Task second = first.toBuilder().attempt(2).build();
        TaskState afterFirst = new TaskState(first.id(), TaskStatus.RESCHEDULED, 1, 1);
        store.apply(List.of(StatusChange.finished(first, "ext", null, false, t0, t0.plusSeconds(1),
                next(TaskResult.reschedule(), 1), null, second)));
        assertThat(store.apply(List.of(StatusChange.running(second, "ext", afterFirst, t0.plusSeconds(40)))))
                .containsExactly(first.id());
        // The first attempt's running record arrives late (a slow, stale worker).
        assertThat(store.apply(List.of(StatusChange.running(first, "ext", null, t0.plusSeconds(41))))).isEmpty();
        TaskState state = store.load(List.of(first.id())).get(first.id());
        assertThat(state.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(state.attempt()).isEqualTo(2);
        assertThat(state.reschedules()).isEqualTo(1);
    }

    @Test
    void rescheduleQueuesOneDeliveryEvenWhenWrittenTwice() {
        Task t = task(1);
        StatusChange rescheduled = StatusChange.finished(t, "ext", null, false, t0, t0.plusSeconds(1),
                next(TaskResult.reschedule(Duration.ofSeconds(45)), 1), null, t.toBuilder().attempt(2).build());
        store.apply(List.of(rescheduled));
        var d = db.dsl().selectFrom(SCHEDULED_DELIVERIES).where(SCHEDULED_DELIVERIES.TASK_ID.eq(t.id())).fetchSingle();
        assertThat(d.getAttempt()).isEqualTo(2);
        assertThat(d.getDueAt()).isEqualTo(t0.plusSeconds(46));
        // Writing the same delivery again (a retried batch) is harmless.
        db.dsl().transaction(tx -> new JooqStatusStore(tx.dsl(), "n").apply(List.of(rescheduled)));
        assertThat(db.dsl().fetchCount(SCHEDULED_DELIVERIES, SCHEDULED_DELIVERIES.TASK_ID.eq(t.id()))).isEqualTo(1);
    }

    @Test
    void theSameTaskTwiceInOneBatchIsAppliedInOrder() {
        Task t = task(1);
        StatusChange running = StatusChange.running(t, "ext", null, t0);
        StatusChange done = StatusChange.finished(t, "ext", null, true, t0, t0.plusSeconds(1),
                next(TaskResult.done(), 1), null, null);
        assertThat(store.apply(List.of(running, done))).containsExactly(t.id());
        assertThat(history(t.id())).containsExactly(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.DONE);
    }
}
