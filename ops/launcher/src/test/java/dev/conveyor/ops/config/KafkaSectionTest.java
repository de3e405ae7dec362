package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.schema.kafka.TopicRetention;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kafka.topic-retention}: defaults, overrides from the file and the environment, bad values. */
class KafkaSectionTest {

    @TempDir
    Path dir;

    private ConveyorConfig load(String yaml, Map<String, String> env) throws Exception {
        return ConfigFiles.load(dir, yaml, env);
    }

    @Test
    void eachInternalTopicHasItsDefaultRetentionUnlessOverridden() throws Exception {
        assertThat(load("kafka: { bootstrap: 'k:9092' }\n", Map.of()).topicRetention()).isEqualTo(TopicRetention.DEFAULTS);
        TopicRetention r = load("kafka: { topic-retention: { dlq: 90d, replies: 15m } }\n",
                Map.of("CONVEYOR_KAFKA_TOPIC_RETENTION_TRACE", "6h")).topicRetention();
        assertThat(r).isEqualTo(new TopicRetention(Duration.ofHours(6), Duration.ofMinutes(15), Duration.ofDays(90),
                TopicRetention.DEFAULTS.delayed()));
    }

    @Test
    void aBadValueOrAnUnknownTopicStopsStartUpNamingIt() {
        assertThatThrownBy(() -> load("kafka: { topic-retention: { dlq: 0s } }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.topic-retention.dlq");
        assertThatThrownBy(() -> load("kafka: { topic-retention: { dead: 1d } }\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.topic-retention.dead");
    }
}
