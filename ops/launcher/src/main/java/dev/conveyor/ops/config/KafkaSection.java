package dev.conveyor.ops.config;

import dev.conveyor.schema.kafka.TopicRetention;

import java.util.Map;

/**
 * {@code kafka.*}: what every role needs to reach Kafka.
 *
 * @param bootstrap bootstrap servers ({@code kafka.bootstrap}, default {@value #DEFAULT_BOOTSTRAP})
 * @param topicPrefix prefix of the internal topics ({@code kafka.topic-prefix}, default {@value #DEFAULT_TOPIC_PREFIX})
 * @param client extra Kafka client properties for every client ({@code kafka.client.*})
 * @param topicRetention the internal topics' retention ({@code kafka.topic-retention.trace|replies|dlq|delayed})
 */
record KafkaSection(String bootstrap, String topicPrefix, Map<String, Object> client, TopicRetention topicRetention) {

    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";
    static final String DEFAULT_TOPIC_PREFIX = dev.conveyor.schema.kafka.ConveyorTopics.DEFAULT_PREFIX;

    KafkaSection {
        client = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(client)); // file order, for the log
    }

    static KafkaSection read(ConfigSection kafka) {
        return new KafkaSection(kafka.text("bootstrap").orElse(DEFAULT_BOOTSTRAP),
                kafka.text("topic-prefix").orElse(DEFAULT_TOPIC_PREFIX), new java.util.LinkedHashMap<>(kafka.properties("client")),
                topicRetention(kafka.section("topic-retention")));
    }

    private static TopicRetention topicRetention(ConfigSection retention) {
        TopicRetention defaults = TopicRetention.DEFAULTS;
        try {
            return new TopicRetention(retention.duration("trace").orElse(defaults.trace()),
                    retention.duration("replies").orElse(defaults.replies()),
                    retention.duration("dlq").orElse(defaults.dlq()),
                    retention.duration("delayed").orElse(defaults.delayed()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("kafka.topic-retention", e.getMessage());
        }
    }
}
