package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static dev.conveyor.worker.internal.Parts.P1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WriteAheadGateTest {

    private final AtomicInteger backlog = new AtomicInteger();
    private final WriteAheadGate gate = new WriteAheadGate(2, backlog::get);
    private final List<Long> started = new ArrayList<>();
    private final PartitionOffsets offsets = new PartitionOffsets();

    private void admit(long offset, boolean mayWait) {
        admit(Parts.polled(P0, offsets, offset, Parts.task()), mayWait);
    }

    private void admit(Polled p, boolean mayWait) {
        gate.admit(p, mayWait, () -> started.add(p.offset()));
    }

    @Test
    void startsAsManyAsTheBoundLeavesAndQueuesTheRestInOrder() {
        gate.openPass();
        admit(0, true);
        admit(1, true);
        admit(2, true);
        admit(3, true);
        assertThat(started).containsExactly(0L, 1L);
        assertThat(gate.waiting()).isEqualTo(2);
    }

    @Test
    void theCompletersBacklogCountsAgainstTheBound() {
        backlog.set(2);
        gate.openPass();
        admit(0, true);
        assertThat(started).isEmpty();
        backlog.set(1);
        assertThat(gate.startWaiting()).isZero();
        assertThat(started).containsExactly(0L);
    }

    @Test
    void runningAndUnbegunExecutionsArePending() {
        gate.queued();
        gate.runningStarted();
        backlog.set(1);
        assertThat(gate.pending()).isEqualTo(3);
        gate.began();
        gate.runningEnded();
        assertThat(gate.pending()).isEqualTo(1);
    }

    @Test
    void recordsThatMayNotWaitStartAtOnceAndLaterOnesStillQueueBehindWaitingOnes() {
        backlog.set(5);
        gate.openPass();
        admit(0, true);
        admit(1, false);
        assertThat(started).containsExactly(1L);
        backlog.set(0);
        gate.openPass();
        admit(2, true);
        assertThat(started).as("the waiting record goes first").containsExactly(1L);
        gate.startWaiting();
        assertThat(started).containsExactly(1L, 0L, 2L);
    }

    @Test
    void givingUpAPartitionRemovesItsWaitingRecords() {
        backlog.set(5);
        gate.openPass();
        admit(0, true);
        admit(Parts.polled(P1, new PartitionOffsets(), 9, Parts.task()), true);
        assertThat(gate.giveUp(P0::equals)).extracting(Polled::offset).containsExactly(0L);
        assertThat(gate.waiting()).isEqualTo(1);
        assertThat(gate.hasWaiting()).isTrue();
    }
}
