package dev.conveyor.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExecutionSettingsTest {

    @Test
    void defaultsAreTheWorkers() {
        ExecutionSettings d = ExecutionSettings.defaults();
        assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.ordering()).isEqualTo(Ordering.KEY);
        assertThat(d.concurrency()).isEqualTo(64);
        assertThat(d.retry()).isEqualTo(RetryPolicy.defaults());
        assertThat(d.topics()).isEmpty();
    }

    @Test
    void withMethodsChangeOnePartAndKeepTheRest() {
        var override = new ExecutionSettings.TopicOverride(null, null, null, 2, null);
        ExecutionSettings s = ExecutionSettings.defaults().withTopic("t", override)
                .withRetry(RetryPolicy.defaults().withMaxAttempts(7)).withTimeout(Duration.ofSeconds(3));
        assertThat(s.topics()).isEqualTo(Map.of("t", override));
        assertThat(s.retry().maxAttempts()).isEqualTo(7);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.concurrency()).isEqualTo(64);
        assertThat(ExecutionSettings.defaults().topics()).as("immutable").isEmpty();
    }

    @Test
    void requiresEverySetting() {
        assertThatThrownBy(() -> new ExecutionSettings(null, Ordering.KEY, 1, RetryPolicy.defaults(), Map.of()))
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> new ExecutionSettings(Duration.ofSeconds(1), Ordering.KEY, 1, null, Map.of()))
                .hasMessageContaining("retry");
    }
}
