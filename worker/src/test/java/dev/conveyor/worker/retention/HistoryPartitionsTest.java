package dev.conveyor.worker.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.worker.retention.HistoryPartitions.Partition;
import dev.conveyor.worker.retention.HistoryPartitions.Range;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which history partitions are missing: aligned on the period, clipped to the ones that exist. */
class HistoryPartitionsTest {

    private static Instant t(String s) {
        return Instant.parse(s);
    }

    @Test
    void theCurrentPeriodAndTwoAheadAlignedOnThePeriod() {
        assertThat(HistoryPartitions.missing(List.of(), Duration.ofDays(1), t("2026-12-03T17:20:00Z"))).containsExactly(
                new Range(t("2026-12-03T00:00:00Z"), t("2026-12-04T00:00:00Z")),
                new Range(t("2026-12-04T00:00:00Z"), t("2026-12-05T00:00:00Z")),
                new Range(t("2026-12-05T00:00:00Z"), t("2026-12-06T00:00:00Z")));
        assertThat(HistoryPartitions.missing(List.of(), Duration.ofMinutes(15), t("2026-12-03T17:20:00Z")))
                .first().isEqualTo(new Range(t("2026-12-03T17:15:00Z"), t("2026-12-03T17:30:00Z")));
    }

    @Test
    void existingPartitionsKeepTheirRangesAndTheNewOnesFitAround() {
        // The history before V10 runs to the end of the upgrade's day; then the period changed to an hour.
        List<Partition> existing = List.of(
                new Partition("task_transitions_before_v10", null, t("2026-12-04T00:00:00Z"), 0),
                new Partition("task_transitions_p202612041000", t("2026-12-04T10:00:00Z"), t("2026-12-04T11:30:00Z"), 0));
        assertThat(HistoryPartitions.missing(existing, Duration.ofHours(1), t("2026-12-03T23:10:00Z"))).containsExactly(
                new Range(t("2026-12-04T00:00:00Z"), t("2026-12-04T01:00:00Z")),
                new Range(t("2026-12-04T01:00:00Z"), t("2026-12-04T02:00:00Z")));
        assertThat(HistoryPartitions.missing(existing, Duration.ofHours(1), t("2026-12-04T08:10:00Z"))).containsExactly(
                new Range(t("2026-12-04T08:00:00Z"), t("2026-12-04T09:00:00Z")),
                new Range(t("2026-12-04T09:00:00Z"), t("2026-12-04T10:00:00Z")));
        assertThat(HistoryPartitions.missing(existing, Duration.ofHours(1), t("2026-12-04T10:10:00Z"))).containsExactly(
                new Range(t("2026-12-04T11:30:00Z"), t("2026-12-04T12:00:00Z")),
                new Range(t("2026-12-04T12:00:00Z"), t("2026-12-04T13:00:00Z")));
    }

    @Test
    void thePeriodIsWholeMinutesFromAMinuteToAMonth() {
        RetentionConfig d = RetentionConfig.DEFAULTS;
        for (Duration bad : List.of(Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofDays(32))) {
            assertThatThrownBy(() -> new RetentionConfig(d.ages(), Map.of(), d.outbox(), d.idempotencyKeys(), bad))
                    .hasMessageStartingWith("retention.history-partition must be whole minutes from 1m to 31d");
        }
        assertThat(new RetentionConfig(d.ages(), Map.of(), d.outbox(), d.idempotencyKeys(), Duration.ofDays(7))
                .historyPartition()).isEqualTo(Duration.ofDays(7));
    }
}
