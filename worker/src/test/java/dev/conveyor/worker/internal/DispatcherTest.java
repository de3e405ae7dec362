package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.schema.NextStatus;
import dev.conveyor.schema.Outcome;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.store.TaskState;
import dev.conveyor.worker.execution.Invoker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Dispatch without a broker or a database: claims, holds, the router's decisions and settling. */
class DispatcherTest {

    private final Parts.ManualClock clock = new Parts.ManualClock(Instant.parse("2026-12-01T10:00:00Z"));
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Route route = Parts.route();
    private final Map<UUID, TaskState> stored = new HashMap<>();
    private final List<Execution> started = new ArrayList<>();
    private final List<WriterEvent> deadLetters = new ArrayList<>();
    private final OffsetLedger ledger = new OffsetLedger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final RunState state = new RunState();
    private final HoldQueue holds = new HoldQueue(clock, nanos::get);
    private final WriteAheadGate gate = new WriteAheadGate(100, () -> 0);
    private final Dispatcher dispatcher = new Dispatcher(new Dispatcher.Parts(
            new Router(Map.of(Parts.TOPIC, route), new ExtensionConfigCache(null)), holds, gate,
            (p, e) -> gate.admit(p, !p.due(), () -> started.add(e)), deadLetters::add, ids -> Map.copyOf(stored),
            ledger, inFlight, Parts.metrics(), clock, state));

    private Polled polled(long offset, Task task) {
        return Parts.polled(P0, ledger.of(P0), offset, task);
    }

    private static Execution.Ended done(Execution e) {
        return new Execution.Ended(e, Instant.EPOCH, Instant.EPOCH, new Invoker.Invocation(Outcome.of(dev.conveyor.schema.TaskResult.done()), null),
                NextStatus.of(Outcome.of(dev.conveyor.schema.TaskResult.done()), 1, 0, e.route().retry(), 0.5));
    }

    @Test
    void aCopyOfARunningAttemptWaitsAndIsDroppedOnceTheFirstIsDurable() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(polled(0, task), polled(1, task)));
        assertThat(started).hasSize(1);
        assertThat(inFlight).hasValue(2);
        assertThat(ledger.takeCommittable().get(P0).offset()).as("nothing passed yet").isZero();

        dispatcher.durable(new WriterEvent.Finished(done(started.getFirst())));
        assertThat(inFlight).hasValue(0);
        assertThat(ledger.takeCommittable().get(P0).offset()).as("both offsets settled").isEqualTo(2);
        assertThat(dispatcher.claimed()).isZero();
    }

    @Test
    void aCopyOfAnAbandonedAttemptRunsInItsPlace() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(polled(0, task), polled(1, task)));
        dispatcher.abandoned(started.getFirst());
        assertThat(started).hasSize(1);
        dispatcher.readmitCopies();
        assertThat(started).hasSize(2);
        assertThat(started.get(1).offset()).isEqualTo(1);
        dispatcher.durable(new WriterEvent.Finished(done(started.get(1))));
        assertThat(ledger.takeCommittable().get(P0).offset()).as("the abandoned offset is never passed").isZero();
    }

    @Test
    void aLaterAttemptTakesTheClaimOverAndTheEarlierOnesCopiesAreDropped() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(polled(0, task), polled(1, task), polled(2, Parts.attempt(task, 2))));
        assertThat(started).extracting(Execution::offset).containsExactly(2L);
        assertThat(inFlight).as("both records of attempt 1 were dropped").hasValue(1);
    }

    @Test
    void anEarlierAttemptThanTheClaimedOneIsDropped() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(polled(0, Parts.attempt(task, 2)), polled(1, task)));
        assertThat(started).extracting(Execution::offset).containsExactly(0L);
        assertThat(inFlight).hasValue(1);
    }

    @Test
    void anAttemptAlreadyRecordedIsNotRunAgain() {
        Task task = Parts.task();
        stored.put(task.id(), new TaskState(task.id(), TaskStatus.DONE, 1, 0));
        dispatcher.dispatch(List.of(polled(0, task)));
        assertThat(started).isEmpty();
        assertThat(inFlight).hasValue(0);
        assertThat(dispatcher.claimed()).isZero();
        assertThat(ledger.takeCommittable().get(P0).offset()).isEqualTo(1);
    }

    @Test
    void aRecordNotDueYetIsHeldThenRoutedWithTheStateReadAtItsTime() {
        Task task = Parts.task();
        Polled p = Parts.polled(P0, ledger.of(P0), 0, task, clock.instant().plusMillis(500));
        dispatcher.dispatch(List.of(p));
        assertThat(started).isEmpty();
        assertThat(holds.size()).isEqualTo(1);

        stored.put(task.id(), new TaskState(task.id(), TaskStatus.CANCELLED, 1, 0)); // cancelled meanwhile
        clock.advance(Duration.ofMillis(500));
        nanos.addAndGet(500_000_000L);
        dispatcher.releaseDue();
        assertThat(started).isEmpty();
        assertThat(inFlight).hasValue(0);
    }

    @Test
    void aRecordAskingToBeHeldTooLongIsDeadLettered() {
        Polled p = Parts.polled(P0, ledger.of(P0), 0, Parts.task(), clock.instant().plus(Duration.ofMinutes(5)));
        dispatcher.dispatch(List.of(p));
        assertThat(started).isEmpty();
        assertThat(deadLetters).singleElement().satisfies(d ->
                assertThat(((WriterEvent.DeadLetter) d).reason()).contains("more than 60 s"));
        assertThat(dispatcher.claimed()).isZero();
    }

    @Test
    void givingUpAPartitionGivesUpItsHeldRecordsAndMarksItRevoked() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(Parts.polled(P0, ledger.of(P0), 0, task, clock.instant().plusSeconds(1)),
                polled(1, task)));
        dispatcher.giveUpUnstarted(P0::equals);
        assertThat(holds.size()).isZero();
        assertThat(ledger.of(P0).revoked()).isTrue();
        assertThat(inFlight).as("the held record and, once stopping, its copy").hasValue(1);
        dispatcher.readmitCopies();
        assertThat(started).as("the copy's partition is revoked; it is routed but will not begin").hasSize(1);
    }

    @Test
    void whileStoppingACopyOfAGivenUpClaimIsGivenUpToo() {
        Task task = Parts.task();
        dispatcher.dispatch(List.of(polled(0, task), polled(1, task)));
        state.stop();
        dispatcher.abandoned(started.getFirst());
        assertThat(inFlight).hasValue(0);
        dispatcher.readmitCopies();
        assertThat(started).hasSize(1);
        assertThat(ledger.takeCommittable().get(P0).offset()).as("neither is ever passed").isZero();
    }
}
