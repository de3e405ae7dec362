package dev.conveyor.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultsTest {

    @Test
    void taskResultFactoriesBuildTheRecords() {
        assertThat(TaskResult.done()).isInstanceOf(TaskResult.Done.class);
        assertThat(TaskResult.fail("x")).isEqualTo(new TaskResult.Fail("x"));
        assertThat(TaskResult.skip(null)).isEqualTo(new TaskResult.Skip(""));
        assertThat(TaskResult.reschedule()).isEqualTo(new TaskResult.Reschedule(Duration.ofSeconds(30)));
        assertThat(TaskResult.slowProcessReschedule()).isEqualTo(new TaskResult.SlowReschedule(Duration.ofSeconds(300)));
    }

    @Test
    void negativeOrMissingCountdownsAreRejected() {
        assertThatThrownBy(() -> TaskResult.reschedule(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("countdown");
        assertThatThrownBy(() -> TaskResult.slowProcessReschedule(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("countdown");
    }

    @Test
    void interactiveResultDefaultsAndValidation() {
        assertThat(InteractiveResult.done().httpStatus()).isEqualTo(200);
        assertThat(InteractiveResult.done().success()).isTrue();
        assertThat(InteractiveResult.fail().httpStatus()).isEqualTo(400);
        assertThat(InteractiveResult.fail().success()).isFalse();
        assertThatThrownBy(() -> InteractiveResult.done(600, Map.of(), null))
                .hasMessageContaining("httpStatus");
        assertThatThrownBy(() -> InteractiveResult.done(200, Map.of("Bad Name", "v"), null))
                .hasMessageContaining("header name");
        assertThatThrownBy(() -> InteractiveResult.done(200, Map.of("X-A", "v\r\nX-Injected: 1"), null))
                .hasMessageContaining("line break");
        assertThat(InteractiveResult.done(201, Map.of("X-A", "1"), new byte[] {1, 2}))
                .isEqualTo(InteractiveResult.done(201, Map.of("X-A", "1"), new byte[] {1, 2}));
    }

    @Test
    void statusesMoveOnlyForward() {
        assertThat(TaskStatus.isForward(TaskStatus.QUEUED, 1, TaskStatus.RUNNING, 1)).isTrue();
        assertThat(TaskStatus.isForward(TaskStatus.RUNNING, 1, TaskStatus.DONE, 1)).isTrue();
        assertThat(TaskStatus.isForward(TaskStatus.RUNNING, 1, TaskStatus.QUEUED, 1)).isFalse();
        assertThat(TaskStatus.isForward(TaskStatus.RESCHEDULED, 1, TaskStatus.QUEUED, 2)).isTrue();
        assertThat(TaskStatus.isForward(TaskStatus.RUNNING, 2, TaskStatus.DONE, 1)).as("stale attempt").isFalse();
        assertThat(TaskStatus.isForward(TaskStatus.DONE, 1, TaskStatus.RUNNING, 2)).as("terminal").isFalse();
        assertThat(TaskStatus.fromWire("rescheduled")).isEqualTo(TaskStatus.RESCHEDULED);
        assertThatThrownBy(() -> TaskStatus.fromWire("finished")).hasMessageContaining("queued, running");
        assertThatThrownBy(() -> TaskKind.fromWire("batch")).hasMessageContaining("background, interactive");
    }

    @Test
    void backoffGrowsCapsAndJitters() {
        Backoff b = Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10), 2.0, 0.2);
        assertThat(b.delay(1, 0.5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.delay(3, 0.5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(b.delay(30, 0.5)).isEqualTo(Duration.ofSeconds(10));
        assertThat(b.delay(1, 0.0)).isEqualTo(Duration.ofMillis(800));
        assertThat(b.delay(1, 0.999999)).isBetween(Duration.ofMillis(1199), Duration.ofMillis(1200));
        assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1), 2, 0))
                .hasMessageContaining("initial");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1), 0.5, 0))
                .hasMessageContaining("multiplier");
        assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 1.5))
                .hasMessageContaining("jitter");
    }
}
