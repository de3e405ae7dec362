package dev.conveyor.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConveyorTopicsTest {

    @Test
    void namesEveryInternalTopicFromThePrefix() {
        ConveyorTopics topics = new ConveyorTopics("acme.");
        assertThat(topics.dlq()).isEqualTo("acme.dlq");
        assertThat(topics.delayed()).isEqualTo("acme.delayed");
        assertThat(topics.replies()).isEqualTo("acme.replies");
        assertThat(topics.trace()).isEqualTo("acme.trace");
        assertThat(topics.all()).containsExactly("acme.dlq", "acme.delayed", "acme.replies", "acme.trace");
    }

    @Test
    void theDefaultPrefixIsConveyorDot() {
        assertThat(new ConveyorTopics(ConveyorTopics.DEFAULT_PREFIX).dlq()).isEqualTo("conveyor.dlq");
    }

    @Test
    void aMissingPrefixIsRefused() {
        assertThatThrownBy(() -> new ConveyorTopics(null)).hasMessageContaining("prefix");
    }

    @Test
    void aRetentionUnderASecondIsRefusedNamingItsKey() {
        assertThatThrownBy(() -> new TopicRetention(java.time.Duration.ofDays(1), java.time.Duration.ZERO,
                java.time.Duration.ofDays(1), java.time.Duration.ofDays(1)))
                .hasMessageContaining("kafka.topic-retention.replies must be at least 1s");
    }
}
