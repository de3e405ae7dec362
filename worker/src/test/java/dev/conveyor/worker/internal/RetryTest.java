package dev.conveyor.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class RetryTest {

    private static final Logger log = LoggerFactory.getLogger(RetryTest.class);

    @Test
    void pausesDoubleFrom100msTo5sAndStartOverAfterASuccess() {
        Retry retry = Retry.untilStopped();
        assertThat(retry.nextPause()).isEqualTo(Duration.ofMillis(100));
        assertThat(retry.nextPause()).isEqualTo(Duration.ofMillis(200));
        assertThat(retry.nextPause()).isEqualTo(Duration.ofMillis(400));
        for (int i = 0; i < 100; i++) {
            retry.nextPause();
        }
        assertThat(retry.nextPause()).isEqualTo(Duration.ofSeconds(5));
        retry.succeeded();
        assertThat(retry.nextPause()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void callRetriesTheNamedFailureUntilItWorks() {
        AtomicInteger tries = new AtomicInteger();
        String result = Retry.untilStopped().call(() -> false, IllegalStateException.class, log, "test", () -> {
            if (tries.incrementAndGet() < 3) {
                throw new IllegalStateException("down");
            }
            return "up";
        });
        assertThat(result).isEqualTo("up");
        assertThat(tries).hasValue(3);
    }

    @Test
    void callGivesUpWhenStoppedAndNeverRetriesOtherFailures() {
        assertThatThrownBy(() -> Retry.untilStopped().call(() -> true, IllegalStateException.class, log, "test",
                () -> { throw new IllegalStateException("down"); }))
                .hasMessage("down");
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> Retry.untilStopped().call(() -> false, IllegalStateException.class, log, "test",
                () -> { tries.incrementAndGet(); throw new IllegalArgumentException("bad"); }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(tries).hasValue(1);
    }

    @Test
    void anInterruptedPauseStopsTheLoopAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        assertThat(Retry.untilStopped().pause()).isFalse();
        assertThat(Thread.interrupted()).isTrue();
    }
}
