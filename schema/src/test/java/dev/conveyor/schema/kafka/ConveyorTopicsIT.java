package dev.conveyor.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.testing.ConveyorIntegrationTest;
import dev.conveyor.testing.TestKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** The internal topics on a real broker: created with their retention, an existing one left as it is. */
@ConveyorIntegrationTest
class ConveyorTopicsIT {

    private static String retentionMs(TestKafka kafka, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return kafka.admin().describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                .get("retention.ms").value();
    }

    @Test
    void createdTopicsGetTheConfiguredRetention(TestKafka kafka) throws Exception {
        ConveyorTopics topics = new ConveyorTopics(TestKafka.uniqueName("ret") + ".", new TopicRetention(
                Duration.ofHours(2), Duration.ofMinutes(10), Duration.ofDays(3), Duration.ofDays(1)));
        topics.ensure(kafka.bootstrap(), Map.of());
        assertThat(retentionMs(kafka, topics.trace())).isEqualTo(Long.toString(Duration.ofHours(2).toMillis()));
        assertThat(retentionMs(kafka, topics.replies())).isEqualTo(Long.toString(Duration.ofMinutes(10).toMillis()));
        assertThat(retentionMs(kafka, topics.dlq())).isEqualTo(Long.toString(Duration.ofDays(3).toMillis()));
        assertThat(retentionMs(kafka, topics.delayed())).isEqualTo(Long.toString(Duration.ofDays(1).toMillis()));
    }

    @Test
    void theDefaultsAreADayAnHourThirtyDaysAndAWeek(TestKafka kafka) throws Exception {
        ConveyorTopics topics = new ConveyorTopics(TestKafka.uniqueName("ret") + ".");
        topics.ensure(kafka.bootstrap(), Map.of());
        assertThat(retentionMs(kafka, topics.trace())).isEqualTo("86400000");
        assertThat(retentionMs(kafka, topics.replies())).isEqualTo("3600000");
        assertThat(retentionMs(kafka, topics.dlq())).isEqualTo("2592000000");
        assertThat(retentionMs(kafka, topics.delayed())).isEqualTo("604800000");
    }

    @Test
    void anExistingTopicKeepsItsOwnRetention(TestKafka kafka) throws Exception {
        ConveyorTopics topics = new ConveyorTopics(TestKafka.uniqueName("ret") + ".");
        kafka.admin().createTopics(List.of(new NewTopic(topics.dlq(), Optional.empty(), Optional.empty())
                .configs(Map.of("retention.ms", "123456789")))).all().get(30, TimeUnit.SECONDS);
        topics.ensure(kafka.bootstrap(), Map.of(), Set.of(), Optional.empty());
        assertThat(retentionMs(kafka, topics.dlq())).isEqualTo("123456789");
        assertThat(retentionMs(kafka, topics.trace())).isEqualTo("86400000");
    }
}
