package dev.conveyor.worker;

import dev.conveyor.store.StatusModes;
import dev.conveyor.schema.kafka.ConveyorTopics;
import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.execution.ExecutionSettings;
import dev.conveyor.worker.spi.Ordering;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a worker pool ({@code worker.*} and {@code kafka.*} in {@code conveyor.yaml}).
 * Immutable; build with {@link #defaults(String)} and the {@code with...} methods. Every value is
 * validated at construction and an invalid one names its key.
 *
 * @param bootstrap Kafka bootstrap servers ({@code kafka.bootstrap})
 * @param kafkaClient extra Kafka client properties ({@code kafka.client.*}), applied to the
 *     worker's consumer and producer after Conveyor's own
 * @param topicPrefix prefix of internal topics ({@code kafka.topic-prefix}, default {@code conveyor.})
 * @param group consumer group of this worker pool ({@code worker.group}, default {@code conveyor-workers})
 * @param node name of this node in {@code task_transitions.node} ({@code worker.node}, default host-pid)
 * @param concurrency most executions at once in this worker ({@code worker.concurrency}, default 64)
 * @param maxInFlight most records held between poll and commit, including records the scheduler sent
 *     ahead that wait for their {@code conveyor_not_before} time; bounds memory whatever the backlog,
 *     at about 2 KB plus the payload per record ({@code worker.max-in-flight}, default 16384: a
 *     second's worth of a dense burst of due deliveries; lower it for large payloads)
 * @param timeout default execution timeout ({@code worker.timeout}, default 60 s)
 * @param ordering default ordering ({@code worker.ordering}, default {@code key})
 * @param retry max attempts, reschedule floors and backoff ({@code worker.max-attempts},
 *     {@code worker.reschedule-floor}, {@code worker.slow-reschedule-floor}, {@code worker.backoff})
 * @param topics per-topic overrides ({@code worker.topics})
 * @param subscribe topics to consume besides the extensions' own ({@code topics}: what the ingress
 *     accepts); their tasks go to the dead-letter topic when no extension owns them
 * @param statusBatchSize most outcomes written in one transaction ({@code worker.status-batch-size}, default 1000)
 * @param statusWriters status writer threads, each with its own connection ({@code worker.status-writers}, default 2).
 *     Executions do not run ahead of the writers: while {@code concurrency + statusWriters × statusBatchSize}
 *     outcomes are pending (running, or waiting for a write), newly polled records wait to start
 * @param runningMarkAfter an execution running longer than this is written as {@code running}
 *     (shorter ones only appear in the history) ({@code worker.running-mark-after}, default 250 ms)
 * @param configRefresh how often extension configs are re-read ({@code worker.config-refresh}, default 5 s)
 * @param shutdownGrace how long closing waits for running executions ({@code worker.shutdown-grace}, default 30 s)
 * @param rate default rate limit of every topic ({@code worker.rate}, e.g. {@code 100/s}; null: none)
 * @param circuitBreaker default circuit breaker of every topic ({@code worker.circuit-breaker}; null: none)
 * @param outbound callbacks and notifications: which terminal status changes get {@code outbox}
 *     rows, written in the same transaction ({@code callbacks:}, {@code notifications:})
 * @param statusModes which topics are lean ({@code worker.status}, {@code worker.topics.<topic>.status};
 *     default full): their first-run successes keep no row
 */
public record WorkerConfig(
        String bootstrap,
        Map<String, Object> kafkaClient,
        String topicPrefix,
        String group,
        String node,
        int concurrency,
        int maxInFlight,
        Duration timeout,
        Ordering ordering,
        RetryPolicy retry,
        Map<String, TopicSettings> topics,
        java.util.Set<String> subscribe,
        int statusBatchSize,
        int statusWriters,
        Duration runningMarkAfter,
        Duration configRefresh,
        Duration shutdownGrace,
        RateLimit rate,
        CircuitBreakerSettings circuitBreaker,
        dev.conveyor.worker.outbound.OutboundSettings outbound,
        StatusModes statusModes) {

    public static final String DEFAULT_GROUP = "conveyor-workers";
    public static final String DEFAULT_TOPIC_PREFIX = ConveyorTopics.DEFAULT_PREFIX;
    public static final int DEFAULT_CONCURRENCY = ExecutionSettings.DEFAULT_CONCURRENCY;
    public static final int DEFAULT_MAX_IN_FLIGHT = 16_384;
    public static final Duration DEFAULT_TIMEOUT = ExecutionSettings.DEFAULT_TIMEOUT;
    public static final Ordering DEFAULT_ORDERING = ExecutionSettings.DEFAULT_ORDERING;

    public WorkerConfig {
        requireText(bootstrap, "kafka.bootstrap");
        kafkaClient = Map.copyOf(Objects.requireNonNullElse(kafkaClient, Map.of()));
        requireText(topicPrefix, "kafka.topic-prefix");
        requireText(group, "worker.group");
        requireText(node, "worker.node");
        if (concurrency < 1 || concurrency > 100_000) {
            throw new IllegalArgumentException("worker.concurrency must be between 1 and 100000, was " + concurrency);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("worker.max-in-flight must be at least 1, was " + maxInFlight);
        }
        requirePositive(timeout, "worker.timeout");
        Objects.requireNonNull(ordering, "worker.ordering");
        Objects.requireNonNull(retry, "worker.max-attempts / reschedule floors / backoff");
        topics = Map.copyOf(Objects.requireNonNullElse(topics, Map.of()));
        subscribe = java.util.Set.copyOf(Objects.requireNonNullElse(subscribe, java.util.Set.of()));
        if (statusBatchSize < 1 || statusBatchSize > 10_000) {
            throw new IllegalArgumentException("worker.status-batch-size must be between 1 and 10000, was "
                    + statusBatchSize);
        }
        if (statusWriters < 1 || statusWriters > 64) {
            throw new IllegalArgumentException("worker.status-writers must be between 1 and 64, was " + statusWriters);
        }
        requirePositive(runningMarkAfter, "worker.running-mark-after");
        requirePositive(configRefresh, "worker.config-refresh");
        requirePositive(shutdownGrace, "worker.shutdown-grace");
        outbound = Objects.requireNonNullElse(outbound, dev.conveyor.worker.outbound.OutboundSettings.defaults());
        statusModes = Objects.requireNonNullElse(statusModes, StatusModes.FULL);
    }

    /** Every setting at its default, against the broker at {@code bootstrap}. */
    public static WorkerConfig defaults(String bootstrap) {
        return builder(bootstrap).build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder(String bootstrap) {
        return new Builder(bootstrap);
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder(bootstrap);
        b.kafkaClient = kafkaClient;
        b.topicPrefix = topicPrefix;
        b.group = group;
        b.node = node;
        b.concurrency = concurrency;
        b.maxInFlight = maxInFlight;
        b.timeout = timeout;
        b.ordering = ordering;
        b.retry = retry;
        b.topics = topics;
        b.subscribe = subscribe;
        b.statusBatchSize = statusBatchSize;
        b.statusWriters = statusWriters;
        b.runningMarkAfter = runningMarkAfter;
        b.configRefresh = configRefresh;
        b.shutdownGrace = shutdownGrace;
        b.rate = rate;
        b.statusModes = statusModes;
        b.circuitBreaker = circuitBreaker;
        b.outbound = outbound;
        return b;
    }

    /** {@code host-pid}, the default node name. */
    public static String defaultNode() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "worker";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** The internal topics' names, from {@code topic-prefix}. */
    public ConveyorTopics internalTopics() {
        return new ConveyorTopics(topicPrefix);
    }

    /**
     * The settings an execution runs under (timeout, ordering, concurrency, retry, per-topic
     * overrides), as the worker and the extension test kit resolve them.
     */
    public ExecutionSettings executionSettings() {
        Map<String, ExecutionSettings.TopicOverride> overrides = new java.util.HashMap<>();
        topics.forEach((topic, settings) -> overrides.put(topic, settings.executionOverride()));
        return new ExecutionSettings(timeout, ordering, concurrency, retry, overrides);
    }

    /** Topic of dead letters: {@code <prefix>dlq}. */
    public String dlqTopic() {
        return internalTopics().dlq();
    }

    /** Topic of trace records: {@code <prefix>trace}. */
    public String traceTopic() {
        return internalTopics().trace();
    }

    /** Topic of interactive replies: {@code <prefix>replies}. */
    public String repliesTopic() {
        return internalTopics().replies();
    }

    /** Topic the ingress publishes future-dated events to: {@code <prefix>delayed}. */
    public String delayedTopic() {
        return internalTopics().delayed();
    }

    private static void requireText(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
    }

    private static void requirePositive(Duration value, String key) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be a positive duration, was " + value);
        }
    }

    /** Builds a {@link WorkerConfig}; {@link #build()} validates. */
    public static final class Builder {
        private final String bootstrap;
        private Map<String, Object> kafkaClient = Map.of();
        private String topicPrefix = DEFAULT_TOPIC_PREFIX;
        private String group = DEFAULT_GROUP;
        private String node = defaultNode();
        private int concurrency = DEFAULT_CONCURRENCY;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Ordering ordering = DEFAULT_ORDERING;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Map<String, TopicSettings> topics = Map.of();
        private java.util.Set<String> subscribe = java.util.Set.of();
        private int statusBatchSize = 1000;
        private int statusWriters = 2;
        private Duration runningMarkAfter = Duration.ofMillis(250);
        private Duration configRefresh = Duration.ofSeconds(5);
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private RateLimit rate;
        private CircuitBreakerSettings circuitBreaker;
        private dev.conveyor.worker.outbound.OutboundSettings outbound;
        private StatusModes statusModes = StatusModes.FULL;

        private Builder(String bootstrap) {
            this.bootstrap = bootstrap;
        }

        public Builder kafkaClient(Map<String, Object> v) { this.kafkaClient = v; return this; }
        public Builder topicPrefix(String v) { this.topicPrefix = v; return this; }
        public Builder group(String v) { this.group = v; return this; }
        public Builder node(String v) { this.node = v; return this; }
        public Builder concurrency(int v) { this.concurrency = v; return this; }
        public Builder maxInFlight(int v) { this.maxInFlight = v; return this; }
        public Builder timeout(Duration v) { this.timeout = v; return this; }
        public Builder ordering(Ordering v) { this.ordering = v; return this; }
        public Builder retry(RetryPolicy v) { this.retry = v; return this; }
        public Builder topics(Map<String, TopicSettings> v) { this.topics = v; return this; }
        public Builder subscribe(java.util.Set<String> v) { this.subscribe = v; return this; }
        public Builder statusBatchSize(int v) { this.statusBatchSize = v; return this; }
        public Builder statusWriters(int v) { this.statusWriters = v; return this; }
        public Builder runningMarkAfter(Duration v) { this.runningMarkAfter = v; return this; }
        public Builder configRefresh(Duration v) { this.configRefresh = v; return this; }
        public Builder shutdownGrace(Duration v) { this.shutdownGrace = v; return this; }
        public Builder rate(RateLimit v) { this.rate = v; return this; }
        public Builder circuitBreaker(CircuitBreakerSettings v) { this.circuitBreaker = v; return this; }
        public Builder outbound(dev.conveyor.worker.outbound.OutboundSettings v) { this.outbound = v; return this; }
        public Builder statusModes(StatusModes v) { this.statusModes = v; return this; }

        /** @throws IllegalArgumentException naming the key of an invalid value */
        public WorkerConfig build() {
            return new WorkerConfig(bootstrap, kafkaClient, topicPrefix, group, node, concurrency, maxInFlight,
                    timeout, ordering, retry, topics, subscribe, statusBatchSize, statusWriters, runningMarkAfter, configRefresh,
                    shutdownGrace, rate, circuitBreaker, outbound, statusModes);
        }
    }
}
