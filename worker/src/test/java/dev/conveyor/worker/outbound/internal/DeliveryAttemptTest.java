package dev.conveyor.worker.outbound.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeliveryAttemptTest {

    private static final OutboxRecord ROW = new OutboxRecord().setId(7L);
    private static final Instant AT = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void onlyASentAttemptHasABreakerAndAResponse() {
        DeliveryAttempt sent = DeliveryAttempt.sent(ROW, AT, CircuitBreaker.ofDefaults("h"), new CompletableFuture<>());
        assertThat(sent.wasSent()).isTrue();
        assertThat(sent.refused()).isNull();
        assertThat(sent.postponed()).isNull();
        assertThat(sent.error()).isNull();

        assertThat(DeliveryAttempt.refused(ROW, AT, "task gone").wasSent()).isFalse();
        DeliveryAttempt postponed = DeliveryAttempt.postponed(ROW, AT, "circuit open", Duration.ofSeconds(5));
        assertThat(postponed.wasSent()).isFalse();
        assertThat(postponed.postponeFor()).isEqualTo(Duration.ofSeconds(5));
        assertThat(DeliveryAttempt.failed(ROW, AT, "bad URL").breaker()).isNull();
    }

    @Test
    void eachKindNeedsItsReason() {
        assertThatNullPointerException().isThrownBy(() -> DeliveryAttempt.refused(ROW, AT, null));
        assertThatNullPointerException().isThrownBy(() -> DeliveryAttempt.postponed(ROW, AT, "open", null));
        assertThatNullPointerException().isThrownBy(() -> DeliveryAttempt.sent(ROW, AT, null, new CompletableFuture<>()));
    }

    @Test
    void lastErrorKeepsItsFirst500Characters() {
        assertThat(OutboxOutcomes.truncate(null)).isNull();
        assertThat(OutboxOutcomes.truncate("short")).isEqualTo("short");
        assertThat(OutboxOutcomes.truncate("x".repeat(600))).hasSize(OutboxOutcomes.MAX_ERROR_LENGTH);
    }
}
