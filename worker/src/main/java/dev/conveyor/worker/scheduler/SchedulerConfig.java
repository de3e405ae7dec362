package dev.conveyor.worker.scheduler;

import dev.conveyor.schema.kafka.ConveyorTopics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import dev.conveyor.worker.outbound.OutboundSettings;

/**
 * Scheduler settings ({@code scheduler.*}, {@code kafka.*} and {@code schedules:} in {@code conveyor.yaml}).
 *
 * @param bootstrap Kafka bootstrap servers ({@code kafka.bootstrap})
 * @param kafkaClient extra Kafka client properties ({@code kafka.client.*})
 * @param topicPrefix prefix of internal topics ({@code kafka.topic-prefix}); the scheduler reads
 *     {@code <prefix>delayed} and writes {@code <prefix>dlq} and {@code <prefix>trace}
 * @param group consumer group of the delayed-topic intake ({@code scheduler.group}, default {@code conveyor-scheduler})
 * @param node name of this node in {@code task_transitions.node}
 * @param batchSize most deliveries claimed per transaction ({@code scheduler.batch-size}, default 1000); at most ten
 *     batches are claimed ahead of their due time at once
 * @param safetyPoll longest sleep without a notification ({@code scheduler.safety-poll}, default 2 s):
 *     covers a missed LISTEN/NOTIFY wake-up
 * @param schedules recurring schedules to upsert at start ({@code schedules})
 * @param outbound callbacks and notifications the scheduler delivers from the {@code outbox}
 *     ({@code callbacks:}, {@code notifications:})
 */
public record SchedulerConfig(String bootstrap, Map<String, Object> kafkaClient, String topicPrefix, String group,
        String node, int batchSize, Duration safetyPoll, List<ScheduleDefinition> schedules,
        OutboundSettings outbound) {

    public static final String DEFAULT_GROUP = "conveyor-scheduler";

    public SchedulerConfig {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap must not be empty");
        }
        kafkaClient = Map.copyOf(Objects.requireNonNullElse(kafkaClient, Map.of()));
        if (topicPrefix == null || topicPrefix.isBlank()) {
            throw new IllegalArgumentException("kafka.topic-prefix must not be empty");
        }
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("scheduler.group must not be empty");
        }
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("scheduler.node must not be empty");
        }
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException("scheduler.batch-size must be between 1 and 10000, was " + batchSize);
        }
        if (safetyPoll == null || safetyPoll.isNegative() || safetyPoll.isZero()) {
            throw new IllegalArgumentException("scheduler.safety-poll must be positive, was " + safetyPoll);
        }
        schedules = List.copyOf(Objects.requireNonNullElse(schedules, List.of()));
        long distinct = schedules.stream().map(ScheduleDefinition::name).distinct().count();
        if (distinct != schedules.size()) {
            throw new IllegalArgumentException("schedules: names must be unique");
        }
        outbound = Objects.requireNonNullElse(outbound, OutboundSettings.defaults());
    }

    /** With default outbound settings (callbacks unsigned, no notifications). */
    public SchedulerConfig(String bootstrap, Map<String, Object> kafkaClient, String topicPrefix, String group,
            String node, int batchSize, Duration safetyPoll, List<ScheduleDefinition> schedules) {
        this(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, null);
    }

    /** Defaults against {@code bootstrap}: prefix {@code conveyor.}, no schedules. */
    public static SchedulerConfig defaults(String bootstrap) {
        return new SchedulerConfig(bootstrap, Map.of(), ConveyorTopics.DEFAULT_PREFIX, DEFAULT_GROUP,
                dev.conveyor.worker.WorkerConfig.defaultNode(), 1000, Duration.ofSeconds(2), List.of());
    }

    public SchedulerConfig withTopicPrefix(String prefix) {
        return new SchedulerConfig(bootstrap, kafkaClient, prefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withGroup(String group) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withNode(String node) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withSchedules(List<ScheduleDefinition> schedules) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withSafetyPoll(Duration safetyPoll) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withBatchSize(int batchSize) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules, outbound);
    }

    public SchedulerConfig withOutbound(OutboundSettings outbound) {
        return new SchedulerConfig(bootstrap, kafkaClient, topicPrefix, group, node, batchSize, safetyPoll, schedules,
                outbound);
    }

    /** The internal topics' names, from {@code topic-prefix}. */
    public ConveyorTopics internalTopics() {
        return new ConveyorTopics(topicPrefix);
    }

    public String delayedTopic() {
        return internalTopics().delayed();
    }

    public String dlqTopic() {
        return internalTopics().dlq();
    }

    public String traceTopic() {
        return internalTopics().trace();
    }
}
