package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.TaskStatus;
import dev.conveyor.worker.retention.RetentionConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code retention:}: defaults, overrides per status and per topic, and the values that stop start-up. */
class RetentionSectionTest {

    @TempDir
    Path dir;

    private ConveyorConfig load(String yaml) throws Exception {
        return ConfigFiles.load(dir, yaml, Map.of());
    }

    @Test
    void withoutTheSectionTheDefaultsApply() throws Exception {
        assertThat(load("topics: [orders]\n").retention()).isEqualTo(RetentionConfig.DEFAULTS);
    }

    @Test
    void statusesAndTopicsTakeTheirOwnAges() throws Exception {
        RetentionConfig r = load("retention: { done: 1d, outbox: 2d, topics: { clicks: { done: 1h, failed: 3d } } }\n")
                .retention();
        assertThat(r.age("orders", TaskStatus.DONE)).isEqualTo(Duration.ofDays(1));
        assertThat(r.age("orders", TaskStatus.FAILED)).isEqualTo(Duration.ofDays(30));
        assertThat(r.age("clicks", TaskStatus.DONE)).isEqualTo(Duration.ofHours(1));
        assertThat(r.age("clicks", TaskStatus.FAILED)).isEqualTo(Duration.ofDays(3));
        assertThat(r.outbox()).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void aBadValueOrAnUnknownKeyStopsStartUpNamingIt() {
        assertThatThrownBy(() -> load("retention: { dead: 0s }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("retention.dead must be at least 1s");
        assertThatThrownBy(() -> load("retention: { running: 1d }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("retention.running");
        assertThatThrownBy(() -> load("retention: { topics: { clicks: { dne: 1h } } }\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("did you mean retention.topics.clicks.done?");
    }
}
