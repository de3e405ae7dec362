package dev.conveyor.worker.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class ScheduleDefinitionTest {

    @Test
    void cronIsEvaluatedInItsZone() {
        ScheduleDefinition nightly = ScheduleDefinition.cron("nightly", "0 2 * * *", ZoneId.of("Europe/Berlin"),
                "reports", "{\"kind\":\"nightly\"}");
        // 2 a.m. in Berlin in winter is 01:00 UTC.
        assertThat(nightly.nextFireAfter(Instant.parse("2026-11-22T10:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-23T01:00:00Z"));
        // Strictly after: at the fire time itself, the next is a day later.
        assertThat(nightly.nextFireAfter(Instant.parse("2026-11-23T01:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-24T01:00:00Z"));
        // Summer time: 00:00 UTC.
        assertThat(nightly.nextFireAfter(Instant.parse("2026-07-01T10:00:00Z")))
                .isEqualTo(Instant.parse("2026-07-02T00:00:00Z"));
    }

    @Test
    void everyAddsTheInterval() {
        ScheduleDefinition heartbeat = ScheduleDefinition.every("heartbeat", Duration.ofSeconds(10), "reports", null);
        assertThat(heartbeat.nextFireAfter(Instant.parse("2026-11-22T10:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-22T10:00:10Z"));
        assertThat(heartbeat.zone()).isEqualTo(ZoneId.of("UTC"));
        assertThat(heartbeat.payload()).isEmpty();
    }

    @Test
    void invalidDefinitionsNameTheKey() {
        assertThatThrownBy(() -> ScheduleDefinition.cron("bad", "61 * * * *", null, "t", null))
                .hasMessageStartingWith("schedules.bad.cron '61 * * * *' is not a valid cron expression");
        assertThatThrownBy(() -> new ScheduleDefinition("both", "* * * * *", Duration.ofSeconds(1), null, "t", null,
                null, true)).hasMessage("schedules.both: set exactly one of cron and every");
        assertThatThrownBy(() -> ScheduleDefinition.every("fast", Duration.ofMillis(10), "t", null))
                .hasMessageContaining("schedules.fast.every must be at least 100 ms");
        assertThatThrownBy(() -> ScheduleDefinition.every("notopic", Duration.ofSeconds(1), " ", null))
                .hasMessage("schedules.notopic.topic is required");
    }
}
