package dev.conveyor.store;

import static dev.conveyor.store.db.jooq.Tables.OUTBOX;
import static dev.conveyor.store.db.jooq.Tables.TASKS;
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
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Outbox rows are written by the batched status write, in its transaction, only where needed. */
@ConveyorIntegrationTest
class OutboxWritesIT {

    private static final OutboxRouting ALERT_ON_FAILED_ORDERS = (topic, status) ->
            topic.equals("orders") && status == TaskStatus.FAILED
                    ? List.of(new OutboxRouting.Target("ops-alert", "https://hooks.example/alert")) : List.of();

    private TestDatabase db;
    private JooqStatusStore store;
    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    @BeforeEach
    void setUp(TestDatabase db) {
        this.db = db;
        this.store = new JooqStatusStore(db.dsl(), "node-a", ALERT_ON_FAILED_ORDERS);
    }

    private static Task task(String topic, String callbackUrl) {
        return Task.builder().topic(topic).payload("{}", "application/json").callbackUrl(callbackUrl).build();
    }

    private StatusChange finished(Task t, TaskResult result) {
        NextStatus next = NextStatus.of(Outcome.of(result), t.attempt(), 0, RetryPolicy.defaults(), 0.5);
        return StatusChange.finished(t, "ext", null, false, t0, t0.plusMillis(5), next, null,
                next.status() == TaskStatus.RESCHEDULED ? t.toBuilder().attempt(t.attempt() + 1).build() : null);
    }

    private List<String> targets(UUID id) {
        return db.dsl().select(OUTBOX.TARGET).from(OUTBOX).where(OUTBOX.TASK_ID.eq(id)).orderBy(OUTBOX.TARGET)
                .fetch(OUTBOX.TARGET);
    }

    @Test
    void onlyTerminalChangesWithACallbackOrAMatchingNotificationGetRows() {
        Task withCallback = task("orders", "https://receiver.example/cb");
        Task plain = task("orders", null);
        Task failedOrder = task("orders", "https://receiver.example/cb2");
        Task failedQuote = task("quotes", null);
        Task running = task("orders", "https://receiver.example/cb3");
        store.apply(List.of(finished(withCallback, TaskResult.done()), finished(plain, TaskResult.done()),
                finished(failedOrder, TaskResult.fail("no stock")), finished(failedQuote, TaskResult.fail("x")),
                StatusChange.running(running, "ext", null, t0)));

        assertThat(targets(withCallback.id())).containsExactly("callback");
        assertThat(targets(plain.id())).isEmpty();
        assertThat(targets(failedOrder.id())).containsExactly("callback", "notification:ops-alert");
        assertThat(targets(failedQuote.id())).isEmpty();
        assertThat(targets(running.id())).isEmpty();
        var row = db.dsl().selectFrom(OUTBOX).where(OUTBOX.TASK_ID.eq(failedOrder.id()))
                .and(OUTBOX.TARGET.eq("notification:ops-alert")).fetchOne();
        assertThat(row.getStatus()).isEqualTo(TaskStatus.FAILED);
        assertThat(row.getKind()).isEqualTo("notification");
        assertThat(row.getUrl()).isEqualTo("https://hooks.example/alert");
        assertThat(row.getState()).isEqualTo("pending");
        assertThat(row.getAttempts()).isZero();

        // A replayed batch (a redelivered record) changes nothing.
        store.apply(List.of(finished(withCallback, TaskResult.done()), finished(failedOrder, TaskResult.fail("no stock"))));
        assertThat(db.dsl().fetchCount(OUTBOX, OUTBOX.TASK_ID.in(withCallback.id(), failedOrder.id()))).isEqualTo(3);
    }

    @Test
    void aBatchWithoutCallbacksWritesNoOutboxRows() {
        int before = db.dsl().fetchCount(OUTBOX);
        store.apply(List.of(finished(task("quotes", null), TaskResult.done()),
                finished(task("orders", null), TaskResult.skip("dup"))));
        assertThat(db.dsl().fetchCount(OUTBOX)).isEqualTo(before);
    }

    @Test
    void theOutboxRowsAndTheTerminalStatusCommitOrFailTogether() {
        db.dsl().execute("""
                create function outbox_refuse() returns trigger language plpgsql as
                $$ begin raise exception 'outbox unavailable'; end $$""");
        db.dsl().execute("create trigger outbox_refuse before insert on outbox for each statement "
                + "execute function outbox_refuse()");
        Task t = task("orders", "https://receiver.example/cb");
        Task other = task("quotes", null);
        try {
            assertThatThrownBy(() -> store.apply(List.of(finished(other, TaskResult.done()),
                    finished(t, TaskResult.done())))).rootCause().hasMessageContaining("outbox unavailable");
            assertThat(db.dsl().fetchCount(TASKS, TASKS.ID.in(t.id(), other.id()))).isZero();
        } finally {
            db.dsl().execute("drop trigger outbox_refuse on outbox");
            db.dsl().execute("drop function outbox_refuse()");
        }
        store.apply(List.of(finished(t, TaskResult.done())));
        assertThat(db.dsl().fetchValue(TASKS.STATUS, TASKS.ID.eq(t.id()))).isEqualTo(TaskStatus.DONE);
        assertThat(targets(t.id())).containsExactly("callback");
    }

    @Test
    void anOperatorCancelQueuesTheCallbackToo() {
        Task t = task("orders", "https://receiver.example/cb");
        store.apply(List.of(StatusChange.scheduled(t, t0.plusSeconds(60), t0))); // queued, due in a minute
        assertThat(store.cancel(t.id(), "operator", t0.plusSeconds(1))).isInstanceOf(StatusStore.Cancellation.Cancelled.class);
        var row = db.dsl().selectFrom(OUTBOX).where(OUTBOX.TASK_ID.eq(t.id())).fetchOne();
        assertThat(row.getTarget()).isEqualTo("callback");
        assertThat(row.getStatus()).isEqualTo(TaskStatus.CANCELLED);
    }
}
