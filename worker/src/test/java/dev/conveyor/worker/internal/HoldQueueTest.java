package dev.conveyor.worker.internal;

import static dev.conveyor.worker.internal.Parts.P0;
import static dev.conveyor.worker.internal.Parts.P1;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HoldQueueTest {

    private final Parts.ManualClock clock = new Parts.ManualClock(Instant.now().plusSeconds(10));
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final HoldQueue holds = new HoldQueue(clock, nanos::get);
    private final PartitionOffsets offsets = new PartitionOffsets();

    private Polled at(long offset, Instant notBefore) {
        return Parts.polled(P0, offsets, offset, Parts.task(), notBefore);
    }

    @Test
    void aRecordWithoutAFutureNotBeforeIsNotHeld() {
        assertThat(holds.hold(at(0, null), clock.instant())).isFalse();
        assertThat(holds.hold(at(1, clock.instant()), clock.instant())).as("due now").isFalse();
        assertThat(holds.size()).isZero();
    }

    @Test
    void heldRecordsAreReleasedAtTheirTimeInNotBeforeThenPollOrder() {
        Instant now = clock.instant();
        Polled later = at(0, now.plusMillis(300));
        Polled first = at(1, now.plusMillis(100));
        Polled second = at(2, now.plusMillis(100));
        holds.hold(later, now);
        holds.hold(first, now);
        holds.hold(second, now);

        assertThat(holds.releaseDue()).isEmpty();
        clock.advance(Duration.ofMillis(100));
        nanos.addAndGet(100_000_000L);
        assertThat(holds.releaseDue()).extracting(Polled::offset).containsExactly(1L, 2L);
        clock.advance(Duration.ofMillis(200));
        nanos.addAndGet(200_000_000L);
        var released = holds.releaseDue();
        assertThat(released).extracting(Polled::offset).containsExactly(0L);
        assertThat(released.getFirst().due()).as("a released record does not wait for the completers").isTrue();
        assertThat(released.getFirst().readyMs()).isEqualTo(now.plusMillis(300).toEpochMilli());
    }

    @Test
    void recordsDueWithinOneTickShareARelease() {
        Instant now = clock.instant();
        holds.hold(at(0, now.plusMillis(1)), now);
        holds.hold(at(1, now.plusMillis(5)), now);
        clock.advance(Duration.ofMillis(1));
        nanos.addAndGet(1_000_000L);
        assertThat(holds.releaseDue()).hasSize(1);
        clock.advance(Duration.ofMillis(4));
        nanos.addAndGet(4_000_000L);
        assertThat(holds.releaseDue()).as("within the tick of the last release").isEmpty();
        nanos.addAndGet(HoldQueue.RELEASE_TICK_NANOS);
        assertThat(holds.releaseDue()).hasSize(1);
    }

    @Test
    void thePollWaitsUntilTheNextReleaseAtMostTheGivenTime() {
        Duration max = Duration.ofMillis(50);
        assertThat(holds.untilRelease(max)).isEqualTo(max);
        holds.hold(at(0, clock.instant().plusMillis(20)), clock.instant());
        assertThat(holds.untilRelease(max)).isEqualTo(Duration.ofMillis(21));
        holds.hold(at(1, clock.instant().plusSeconds(5)), clock.instant());
        assertThat(holds.untilRelease(max)).isEqualTo(Duration.ofMillis(21));
    }

    @Test
    void givingUpAPartitionRemovesOnlyItsRecords() {
        Instant now = clock.instant();
        holds.hold(at(0, now.plusSeconds(1)), now);
        holds.hold(Parts.polled(P1, new PartitionOffsets(), 7, Parts.task(), now.plusSeconds(1)), now);
        assertThat(holds.giveUp(P1::equals)).extracting(Polled::offset).containsExactly(7L);
        assertThat(holds.size()).isEqualTo(1);
    }

    @Test
    void aNotBeforeMoreThanTheLongestHoldAheadIsTooFar() {
        Instant now = clock.instant();
        assertThat(HoldQueue.tooFarAhead(now.plus(HoldQueue.MAX_HOLD), now)).isFalse();
        assertThat(HoldQueue.tooFarAhead(now.plus(HoldQueue.MAX_HOLD).plusMillis(1), now)).isTrue();
        assertThat(HoldQueue.tooFarAhead(null, now)).isFalse();
    }

    @Test
    void anUnparsableNotBeforeIsIgnored() {
        Polled p = at(0, null);
        p.record().headers().add(dev.conveyor.schema.kafka.ConveyorHeaders.NOT_BEFORE, "soon".getBytes());
        assertThat(HoldQueue.notBefore(p.record())).isNull();
    }
}
