package dev.conveyor.worker.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.TaskStatus;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionConfigTest {

    @Test
    void theDefaultsKeepSuccessesAWeekAndFailuresAMonth() {
        RetentionConfig d = RetentionConfig.DEFAULTS;
        assertThat(d.age("any", TaskStatus.DONE)).isEqualTo(Duration.ofDays(7));
        assertThat(d.age("any", TaskStatus.SKIPPED)).isEqualTo(Duration.ofDays(7));
        assertThat(d.age("any", TaskStatus.CANCELLED)).isEqualTo(Duration.ofDays(7));
        assertThat(d.age("any", TaskStatus.FAILED)).isEqualTo(Duration.ofDays(30));
        assertThat(d.age("any", TaskStatus.DEAD)).isEqualTo(Duration.ofDays(30));
        assertThat(d.outbox()).isEqualTo(Duration.ofDays(7));
        assertThat(d.shortestTaskAge()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void aTopicOverridesOnlyTheStatusesItNames() {
        RetentionConfig c = new RetentionConfig(RetentionConfig.DEFAULTS.ages(),
                Map.of("clicks", Map.of(TaskStatus.DONE, Duration.ofHours(1))), Duration.ofDays(7), Duration.ofHours(24), RetentionConfig.DEFAULT_HISTORY_PARTITION);
        assertThat(c.age("clicks", TaskStatus.DONE)).isEqualTo(Duration.ofHours(1));
        assertThat(c.age("clicks", TaskStatus.FAILED)).isEqualTo(Duration.ofDays(30));
        assertThat(c.age("orders", TaskStatus.DONE)).isEqualTo(Duration.ofDays(7));
        assertThat(c.shortestTaskAge()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void badAgesAreRefusedNamingTheirKey() {
        Map<TaskStatus, Duration> ages = new EnumMap<>(RetentionConfig.DEFAULTS.ages());
        ages.put(TaskStatus.FAILED, Duration.ZERO);
        assertThatThrownBy(() -> new RetentionConfig(ages, Map.of(), Duration.ofDays(7), Duration.ofHours(24), RetentionConfig.DEFAULT_HISTORY_PARTITION))
                .hasMessage("retention.failed must be at least 1s, was PT0S");
        assertThatThrownBy(() -> new RetentionConfig(RetentionConfig.DEFAULTS.ages(),
                Map.of("clicks", Map.of(TaskStatus.QUEUED, Duration.ofHours(1))), Duration.ofDays(7), Duration.ofHours(24), RetentionConfig.DEFAULT_HISTORY_PARTITION))
                .hasMessageContaining("retention.topics.clicks.queued: only finished tasks are pruned");
        assertThatThrownBy(() -> new RetentionConfig(RetentionConfig.DEFAULTS.ages(), Map.of(), Duration.ofMillis(10), Duration.ofHours(24), RetentionConfig.DEFAULT_HISTORY_PARTITION))
                .hasMessageContaining("retention.outbox");
    }
}
