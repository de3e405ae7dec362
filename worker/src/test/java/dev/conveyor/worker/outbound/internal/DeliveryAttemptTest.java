package dev.conveyor.worker.outbound.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.conveyor.store.db.jooq.tables.records.OutboxRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeliveryAttemptTest {

    private static final OutboxRecord ROW = new OutboxRecord().setId(7L);
    private static final Instant AT = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void eachKindNeedsItsReason() {
        assertThatNullPointerException().isThrownBy(() -> new DeliveryAttempt.Refused(ROW, null));
        assertThatNullPointerException().isThrownBy(() -> new DeliveryAttempt.Postponed(ROW, "open", null));
        assertThatNullPointerException().isThrownBy(() -> new DeliveryAttempt.Unstarted(ROW, null));
        assertThatNullPointerException()
                .isThrownBy(() -> new DeliveryAttempt.Sent(ROW, AT, null, new CompletableFuture<>()));
        assertThat(new DeliveryAttempt.Postponed(ROW, "open", Duration.ofSeconds(5)).row()).isSameAs(ROW);
    }

    @Test
    void lastErrorKeepsItsFirst500Characters() {
        assertThat(OutboxOutcomes.truncate(null)).isNull();
        assertThat(OutboxOutcomes.truncate("short")).isEqualTo("short");
        assertThat(OutboxOutcomes.truncate("x".repeat(600))).hasSize(OutboxOutcomes.MAX_ERROR_LENGTH);
    }
}
