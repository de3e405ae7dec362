package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static dev.conveyor.worker.internal.Parts.P1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {

    private final OffsetLedger ledger = new OffsetLedger();

    @Test
    void commitsEachPartitionUpToItsFirstOutcomeNotDurable() {
        ledger.of(P0).dispatched(0);
        ledger.of(P0).dispatched(1);
        ledger.of(P1).dispatched(5);
        ledger.durable(P0, 1);
        ledger.durable(P1, 5);
        var commits = ledger.takeCommittable();
        assertThat(commits.get(P0).offset()).isEqualTo(0);
        assertThat(commits.get(P1).offset()).isEqualTo(6);
        assertThat(ledger.outstanding(List.of(P0))).isTrue();
        assertThat(ledger.outstanding(List.of(P1))).isFalse();
    }

    @Test
    void aFailedCommitIsOfferedAgain() {
        ledger.of(P0).dispatched(0);
        ledger.durable(P0, 0);
        var commits = ledger.takeCommittable();
        assertThat(ledger.takeCommittable()).isEmpty();
        ledger.commitFailed(commits);
        assertThat(ledger.takeCommittable()).isEqualTo(commits);
        assertThat(ledger.positions(List.of(P0, P1))).as("final commits send every position").isEqualTo(commits);
    }

    @Test
    void aPartitionAssignedAgainHasNewOffsets() {
        PartitionOffsets first = ledger.of(P0);
        assertThat(ledger.current(P0, first)).isTrue();
        ledger.revoke(P0::equals);
        assertThat(first.revoked()).isTrue();
        ledger.remove(List.of(P0));
        ledger.durable(P0, 0); // an outcome of the old assignment: ignored
        assertThat(ledger.current(P0, first)).isFalse();
        assertThat(ledger.of(P0)).isNotSameAs(first);
        assertThat(ledger.partitions()).containsExactly(P0);
    }
}
