package dev.conveyor.schema.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How long Kafka keeps the records of each internal topic ({@code kafka.topic-retention}), set as
 * the topic's {@code retention.ms} when Conveyor creates it. A topic that exists already keeps its
 * own setting (change it with {@code kafka-configs.sh --alter}).
 *
 * <p>Why the defaults: {@code trace} records are for looking at recent runs (1 day);
 * {@code replies} matter only while an interactive request waits (1 hour); dead letters wait for an
 * operator ({@code conveyor dlq replay}, 30 days); {@code delayed} records are read by the scheduler
 * within seconds and kept in {@code scheduled_deliveries} from then on, so 7 days only has to
 * outlast a scheduler outage.
 */
public record TopicRetention(Duration trace, Duration replies, Duration dlq, Duration delayed) {

    /** trace 1d, replies 1h, dlq 30d, delayed 7d. */
    public static final TopicRetention DEFAULTS = new TopicRetention(Duration.ofDays(1), Duration.ofHours(1),
            Duration.ofDays(30), Duration.ofDays(7));

    public TopicRetention {
        requirePositive("trace", trace);
        requirePositive("replies", replies);
        requirePositive("dlq", dlq);
        requirePositive("delayed", delayed);
    }

    private static void requirePositive(String key, Duration d) {
        Objects.requireNonNull(d, key);
        if (d.isNegative() || d.isZero() || d.toMillis() < 1000) {
            throw new IllegalArgumentException("kafka.topic-retention." + key + " must be at least 1s, was " + d);
        }
    }

    /** The topic configuration of each internal topic of {@code topics}. */
    Map<String, Map<String, String>> configs(ConveyorTopics topics) {
        return Map.of(topics.trace(), retention(trace), topics.replies(), retention(replies), topics.dlq(),
                retention(dlq), topics.delayed(), retention(delayed));
    }

    private static Map<String, String> retention(Duration d) {
        return Map.of("retention.ms", Long.toString(d.toMillis()));
    }
}
