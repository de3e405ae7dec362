package dev.conveyor.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskResult;
import java.time.Instant;
import java.util.List;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** Each batched transition takes its own kind of change only; checked before any SQL runs. */
class StatusTransitionsTest {

    /** No connection: a call that got past the check would fail on the database instead. */
    private final StatusStore store = new JooqStatusStore(DSL.using(SQLDialect.POSTGRES), "node");
    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
    private final Task task = Task.builder().topic("orders").payload("{}", "application/json").build();

    private StatusChange running() {
        return StatusChange.running(task, "ext", null, t0);
    }

    private StatusChange done() {
        return StatusChange.finished(task, "ext", null, false, t0, t0.plusSeconds(1),
                NextStatus.of(Outcome.of(TaskResult.done()), 1, 0, RetryPolicy.defaults(), 0.5), null, null);
    }

    private StatusChange scheduled() {
        return StatusChange.scheduled(task, t0.plusSeconds(60), t0);
    }

    @Test
    void markRunningTakesRunningChangesOnly() {
        assertThatThrownBy(() -> store.markRunning(List.of(running(), done())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("markRunning takes running");
        assertThatThrownBy(() -> store.markRunning(List.of(scheduled()))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordOutcomesTakesFinishedAndDeadChangesOnly() {
        assertThatThrownBy(() -> store.recordOutcomes(List.of(done(), running())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recordOutcomes takes finished or dead");
        assertThatThrownBy(() -> store.recordOutcomes(List.of(scheduled())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scheduleTakesScheduledChangesOnly() {
        assertThatThrownBy(() -> store.schedule(List.of(done())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schedule takes scheduled");
        assertThatThrownBy(() -> store.schedule(List.of(running()))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyBatchesWriteNothing() {
        org.assertj.core.api.Assertions.assertThat(store.markRunning(List.of())).isEmpty();
        org.assertj.core.api.Assertions.assertThat(store.recordOutcomes(List.of())).isEmpty();
        org.assertj.core.api.Assertions.assertThat(store.schedule(List.of())).isEmpty();
        store.requeueDue(List.of(), t0);
    }
}
