package dev.conveyor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.worker.execution.ExecutionSettings;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker hands its settings to the shared execution steps: what the test kit sees must be the same. */
class WorkerConfigExecutionSettingsTest {

    @Test
    void defaultsAreTheTestKits() {
        assertThat(WorkerConfig.defaults("k:9092").executionSettings()).isEqualTo(ExecutionSettings.defaults());
    }

    @Test
    void carriesTheSettingsAndTopicOverridesButNotTheGuards() {
        WorkerConfig config = WorkerConfig.builder("k:9092").concurrency(8).ordering(Ordering.NONE)
                .timeout(Duration.ofSeconds(9)).rate(RateLimit.parse("5/s"))
                .topics(Map.of("t", new TopicSettings(Duration.ofSeconds(2), Ordering.KEY, 3, 4, null,
                        RateLimit.parse("1/s"), CircuitBreakerSettings.defaults())))
                .build();
        ExecutionSettings settings = config.executionSettings();
        assertThat(settings.concurrency()).isEqualTo(8);
        assertThat(settings.ordering()).isEqualTo(Ordering.NONE);
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(settings.retry()).isEqualTo(config.retry());
        assertThat(settings.topics()).containsExactly(Map.entry("t",
                new ExecutionSettings.TopicOverride(Duration.ofSeconds(2), Ordering.KEY, 3, 4, null)));
    }
}
