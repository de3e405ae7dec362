package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

    @Test
    void commitsOnlyUpToTheFirstGap() {
        PartitionOffsets p = new PartitionOffsets();
        for (long o = 10; o < 15; o++) {
            p.dispatched(o);
        }
        assertThat(p.takeCommittable()).as("nothing durable yet: position stays at the first").isEqualTo(10);
        p.durable(11);
        p.durable(12);
        assertThat(p.takeCommittable()).as("10 still pending").isEqualTo(-1);
        p.durable(10);
        assertThat(p.takeCommittable()).isEqualTo(13);
        assertThat(p.outstanding()).isEqualTo(2);
        p.durable(14);
        assertThat(p.takeCommittable()).isEqualTo(-1);
        p.durable(13);
        assertThat(p.takeCommittable()).isEqualTo(15);
        assertThat(p.isEmpty()).isTrue();
    }

    @Test
    void anAbandonedOffsetIsNeverCommittedPast() {
        PartitionOffsets p = new PartitionOffsets();
        for (long o = 20; o < 25; o++) {
            p.dispatched(o);
        }
        p.durable(20);
        p.durable(21);
        p.abandon(22); // held, never run: the next owner must get it again
        p.durable(23);
        p.durable(24);
        assertThat(p.isEmpty()).as("nothing left to wait for").isTrue();
        assertThat(p.outstanding()).isZero();
        assertThat(p.takeCommittable()).as("up to the abandoned record, not past it").isEqualTo(22);
        p.dispatched(25);
        p.durable(25);
        assertThat(p.takeCommittable()).isEqualTo(-1);
    }

    @Test
    void aFailedCommitIsOfferedAgainAndTheFinalPositionIsAlwaysThere() {
        PartitionOffsets p = new PartitionOffsets();
        assertThat(p.position()).as("nothing dispatched").isEqualTo(-1);
        p.dispatched(30);
        p.dispatched(31);
        p.durable(30);
        p.durable(31);
        assertThat(p.takeCommittable()).isEqualTo(32);
        assertThat(p.takeCommittable()).isEqualTo(-1);
        p.commitFailed(32); // a rebalance was under way
        assertThat(p.takeCommittable()).as("offered again though nothing moved").isEqualTo(32);
        p.commitFailed(31); // an older position failing does not re-arm a newer one
        assertThat(p.takeCommittable()).isEqualTo(-1);
        assertThat(p.position()).as("the final commit's position, moved or not").isEqualTo(32);
    }

    @Test
    void revokedIsSeenByExecutions() {
        PartitionOffsets p = new PartitionOffsets();
        assertThat(p.revoked()).isFalse();
        p.revoke();
        assertThat(p.revoked()).isTrue();
    }
}
