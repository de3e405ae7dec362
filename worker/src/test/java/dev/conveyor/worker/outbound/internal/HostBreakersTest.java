package dev.conveyor.worker.outbound.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.worker.CircuitBreakerSettings;
import dev.conveyor.worker.outbound.OutboundSettings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HostBreakersTest {

    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration OPEN_FOR = Duration.ofSeconds(30);

    private final HostBreakers breakers = new HostBreakers(tuning());

    @Test
    void oneBreakerPerHostWhateverItsCase() {
        assertThat(breakers.of("Receiver.Example")).isSameAs(breakers.of("receiver.example"));
        assertThat(breakers.of("a.example")).isNotSameAs(breakers.of("b.example"));
    }

    @Test
    void opensAfterAFullWindowOfFailuresAndPostponesUntilItMayHalfOpen() {
        CircuitBreaker b = breakers.of("down.example");
        for (int i = 0; i < 2; i++) {
            assertThat(b.tryAcquirePermission()).isTrue();
            b.onError(1, TimeUnit.MILLISECONDS, new RuntimeException("HTTP 503"));
        }
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(breakers.postponeFor(b)).isEqualTo(OPEN_FOR);
    }

    @Test
    void aRefusingHalfOpenBreakerPostponesToTheNextPoll() {
        CircuitBreaker b = breakers.of("flaky.example");
        b.transitionToOpenState();
        b.transitionToHalfOpenState();
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(breakers.postponeFor(b)).isEqualTo(POLL);
    }

    @Test
    void noAnswerServerErrorsAndTooManyRequestsCountAgainstTheReceiver() {
        assertThat(HostBreakers.receiverUnwell(null)).isTrue();
        assertThat(HostBreakers.receiverUnwell(500)).isTrue();
        assertThat(HostBreakers.receiverUnwell(429)).isTrue();
        assertThat(HostBreakers.receiverUnwell(404)).isFalse();
        assertThat(HostBreakers.receiverUnwell(200)).isFalse();
    }

    private static OutboundSettings.Tuning tuning() {
        OutboundSettings.Tuning d = OutboundSettings.Tuning.defaults();
        return new OutboundSettings.Tuning(POLL, d.backoff(), d.httpTimeout(), d.lease(), d.batchSize(),
                new CircuitBreakerSettings(50, 2, OPEN_FOR));
    }
}
