package dev.conveyor.worker.recorder;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Recorder settings ({@code recorder.*}, {@code kafka.*}, {@code topics:} in {@code conveyor.yaml}).
 *
 * @param enabled whether the scheduler role runs the recorder ({@code recorder.enabled}, default true)
 * @param bootstrap Kafka bootstrap servers ({@code kafka.bootstrap})
 * @param kafkaClient extra Kafka client properties ({@code kafka.client.*})
 * @param group the recorder's consumer group ({@code recorder.group}, default {@code <kafka.topic-prefix>recorder});
 *     one group across every scheduler instance, so Kafka spreads the task topics' partitions over them
 * @param node name of this node (its Kafka client id)
 * @param topics the task topics whose records get {@code queued} rows
 * @param batchSize most records per poll, so most rows per insert statement ({@code recorder.batch-size},
 *     default {@value #DEFAULT_BATCH_SIZE})
 */
public record RecorderConfig(boolean enabled, String bootstrap, Map<String, Object> kafkaClient, String group,
        String node, Set<String> topics, int batchSize) {

    /** Default of {@code recorder.batch-size}. */
    public static final int DEFAULT_BATCH_SIZE = 1000;
    /** The default group is the topic prefix followed by this. */
    public static final String GROUP_SUFFIX = "recorder";

    public RecorderConfig {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap must not be empty");
        }
        kafkaClient = Map.copyOf(Objects.requireNonNullElse(kafkaClient, Map.of()));
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("recorder.group must not be empty");
        }
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("node must not be empty");
        }
        topics = Set.copyOf(Objects.requireNonNullElse(topics, Set.of()));
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException("recorder.batch-size must be between 1 and 10000, was " + batchSize);
        }
    }

    /** Enabled, group {@code <topicPrefix>recorder}, batches of {@value #DEFAULT_BATCH_SIZE}. */
    public static RecorderConfig defaults(String bootstrap, String topicPrefix, Set<String> topics) {
        return new RecorderConfig(true, bootstrap, Map.of(), topicPrefix + GROUP_SUFFIX,
                dev.conveyor.worker.WorkerConfig.defaultNode(), topics, DEFAULT_BATCH_SIZE);
    }

    /** The same settings for other topics. */
    public RecorderConfig withTopics(Set<String> other) {
        return new RecorderConfig(enabled, bootstrap, kafkaClient, group, node, other, batchSize);
    }
}
