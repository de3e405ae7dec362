package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunningMarksTest {

    private final RunningMarks marks = new RunningMarks();
    private final Instant t0 = Instant.parse("2026-12-01T10:00:00Z");
    private final Execution e = Parts.execution(Parts.route(), Parts.task());

    @Test
    void anExecutionRunningSinceBeforeTheCutoffIsDueOnce() {
        marks.started(e, t0);
        assertThat(marks.due(t0)).isEmpty();
        assertThat(marks.due(t0.plusSeconds(1))).singleElement().satisfies(r -> assertThat(r.startedAt()).isEqualTo(t0));
        marks.written(e);
        assertThat(marks.due(t0.plusSeconds(1))).isEmpty();
        assertThat(marks.take(e)).isTrue();
        assertThat(marks.size()).isZero();
    }

    @Test
    void anEndedExecutionIsNotDueButKeepsItsMarkForTheCompleter() {
        marks.started(e, t0);
        marks.ended(e);
        assertThat(marks.due(t0.plusSeconds(1))).isEmpty();
        marks.written(e); // a running row written while the outcome was on its way
        assertThat(marks.take(e)).isTrue();
    }

    @Test
    void anAbandonedExecutionLeavesNoMark() {
        marks.started(e, t0);
        marks.abandoned(e);
        assertThat(marks.size()).isZero();
        assertThat(marks.take(e)).isFalse();
    }

    @Test
    void twoExecutionsOfOneTaskAreTwoMarks() {
        Execution copy = new Execution(e.partition(), e.offsets(), e.offset(), e.recordTimestamp(), e.task(), e.route(),
                e.previous());
        marks.started(e, t0);
        marks.started(copy, t0);
        assertThat(marks.size()).isEqualTo(2);
    }
}
