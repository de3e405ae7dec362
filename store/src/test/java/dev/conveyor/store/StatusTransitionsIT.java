package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.TASKS;
import static dev.conveyor.store.db.jooq.Tables.TASK_TRANSITIONS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.StatusStore.Redelivery;
import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The named transitions of the status store on a real PostgreSQL. */
@ConveyorIntegrationTest
class StatusTransitionsIT {

    private JooqStatusStore store;
    private TestDatabase db;
    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.store = new JooqStatusStore(db.dsl(), "node-a");
    }

    private static Task task() {
        return Task.builder().topic("orders").payload("{}", "application/json").build();
    }

    private StatusChange rescheduled(Task t) {
        return StatusChange.finished(t, "ext", null, false, t0, t0.plusSeconds(1),
                NextStatus.of(Outcome.of(TaskResult.reschedule(Duration.ofSeconds(30))), 1, 0, RetryPolicy.defaults(),
                        0.5), null, t.toBuilder().attempt(2).build());
    }

    private List<String> history(UUID id) {
        return db.dsl().select(TASK_TRANSITIONS.TO_STATUS, TASK_TRANSITIONS.ATTEMPT, TASK_TRANSITIONS.NODE)
                .from(TASK_TRANSITIONS).where(TASK_TRANSITIONS.TASK_ID.eq(id)).orderBy(TASK_TRANSITIONS.SEQ)
                .fetch(r -> r.value1().wireName() + "@" + r.value2() + " by " + r.value3());
    }

    @Test
    void markRunningThenRecordOutcomes() {
        Task t = task();
        assertThat(store.markRunning(List.of(StatusChange.running(t, "ext", null, t0)))).containsExactly(t.id());
        StatusChange done = StatusChange.finished(t, "ext", null, true, t0, t0.plusSeconds(1),
                NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5), null, null);
        assertThat(store.recordOutcomes(List.of(done))).containsExactly(t.id());
        assertThat(history(t.id())).containsExactly("queued@1 by node-a", "running@1 by node-a", "done@1 by node-a");
    }

    @Test
    void scheduleCreatesAQueuedRowWithItsDueTime() {
        Task t = task();
        assertThat(store.schedule(List.of(StatusChange.scheduled(t, t0.plusSeconds(60), t0)))).containsExactly(t.id());
        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchSingle();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(row.getNextRunAt()).isEqualTo(t0.plusSeconds(60));
    }

    @Test
    void requeueDueQueuesRescheduledTasksAtTheDeliveredAttemptOnce() {
        Task t = task();
        store.recordOutcomes(List.of(rescheduled(t)));
        Instant at = t0.plusSeconds(30);

        store.requeueDue(List.of(new Redelivery(t.id(), 2)), at);
        store.requeueDue(List.of(new Redelivery(t.id(), 2)), at.plusSeconds(1)); // a second claim: no change

        var row = db.dsl().selectFrom(TASKS).where(TASKS.ID.eq(t.id())).fetchSingle();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.QUEUED);
        assertThat(row.getAttempt()).isEqualTo(2);
        assertThat(row.getUpdatedAt()).isEqualTo(at);
        assertThat(row.getNextRunAt()).as("the due time stays").isEqualTo(t0.plusSeconds(31));
        assertThat(history(t.id())).containsExactly("queued@1 by node-a", "running@1 by node-a", "rescheduled@1 by node-a",
                "queued@2 by node-a");
    }

    @Test
    void requeueDueLeavesTasksThatMovedOnAlone() {
        Task cancelled = task();
        Task wrongAttempt = task();
        store.recordOutcomes(List.of(rescheduled(cancelled), rescheduled(wrongAttempt)));
        store.cancel(cancelled.id(), "operator", t0.plusSeconds(5));

        store.requeueDue(List.of(new Redelivery(cancelled.id(), 2), new Redelivery(wrongAttempt.id(), 3),
                new Redelivery(UUID.randomUUID(), 2)), t0.plusSeconds(30));

        assertThat(db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(cancelled.id())).fetchSingle().value1())
                .isEqualTo(TaskStatus.CANCELLED);
        assertThat(db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(wrongAttempt.id())).fetchSingle()
                .value1()).isEqualTo(TaskStatus.RESCHEDULED);
    }

    @Test
    void requeueDueJoinsTheCallersTransaction() {
        Task t = task();
        store.recordOutcomes(List.of(rescheduled(t)));
        try {
            db.dsl().transaction(tx -> {
                store.requeueDue(tx.dsl(), List.of(new Redelivery(t.id(), 2)), t0.plusSeconds(30));
                throw new IllegalStateException("the claim failed");
            });
        } catch (IllegalStateException expected) {
            // rolled back with the caller's transaction
        }
        assertThat(db.dsl().select(TASKS.STATUS).from(TASKS).where(TASKS.ID.eq(t.id())).fetchSingle().value1())
                .isEqualTo(TaskStatus.RESCHEDULED);
    }
}
