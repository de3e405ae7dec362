package dev.conveyor.producer.http;

import dev.conveyor.store.StatusModes;
import dev.conveyor.schema.kafka.ConveyorTopics;
import dev.conveyor.producer.webhooks.WebhookSource;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Ingress settings ({@code http.*}, {@code kafka.*}, {@code topics}, {@code webhooks} in
 * {@code conveyor.yaml}). Build with {@link #builder(String)}; invalid values name their key.
 *
 * @param host bind address ({@code http.host}, default 127.0.0.1)
 * @param port port ({@code http.port}, default 8080; 0 picks a free one)
 * @param maxBody largest accepted body in bytes ({@code http.max-body}, default 1 MB)
 * @param tokens bearer tokens accepted on {@code /v1/*}; empty means no authentication ({@code http.tokens})
 * @param topics topics events may be posted to ({@code topics})
 * @param bootstrap Kafka bootstrap servers ({@code kafka.bootstrap})
 * @param kafkaClient extra Kafka client properties ({@code kafka.client.*})
 * @param topicPrefix prefix of internal topics ({@code kafka.topic-prefix})
 * @param node this node's name
 * @param interactiveTimeout how long an interactive request waits ({@code http.interactive-timeout}, default 30 s)
 * @param interactiveTimeouts per-topic overrides of {@code interactiveTimeout} ({@code worker.topics.<t>.timeout})
 * @param maxPendingInteractive most interactive requests waiting at once; more get 429 ({@code http.max-pending-interactive}, default 1000)
 * @param maxInFlight most requests being handled at once; more get 429 ({@code http.max-in-flight}, default 4096)
 * @param webhooks webhook sources by name ({@code webhooks})
 * @param workerGroup consumer group of the workers whose lag {@code GET /v1/stats} reports ({@code worker.group},
 *     default {@value #DEFAULT_WORKER_GROUP})
 * @param idempotencyWindow how long an Idempotency-Key stays taken after its first use
 *     ({@code retention.idempotency-keys}, default 24 h; the scheduler's pruner deletes older keys)
 * @param statusModes which topics are lean ({@code worker.status}, {@code worker.topics.<t>.status}): their
 *     tasks without a callback or idempotency key get no row at acceptance, and a {@code statusUrl} that says so
 * @param topicKinds the kind of extension serving each topic ({@code background}, {@code interactive},
 *     {@code scheduled}) when this process knows it (it loaded the extensions: {@code conveyor dev}); an
 *     interactive request to a topic known not to be interactive is refused at once
 */
public record IngressConfig(String host, int port, long maxBody, Set<String> tokens, Set<String> topics,
        String bootstrap, Map<String, Object> kafkaClient, String topicPrefix, String node, Duration interactiveTimeout,
        Map<String, Duration> interactiveTimeouts, int maxPendingInteractive, int maxInFlight,
        Map<String, WebhookSource> webhooks, String workerGroup, Duration idempotencyWindow, StatusModes statusModes,
        Map<String, String> topicKinds) {

    /** The worker module's default group ({@code WorkerConfig.DEFAULT_GROUP}; this module does not depend on it). */
    public static final String DEFAULT_WORKER_GROUP = "conveyor-workers";

    public IngressConfig {
        Objects.requireNonNull(host, "http.host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("http.port must be between 0 and 65535, was " + port);
        }
        if (maxBody < 1) {
            throw new IllegalArgumentException("http.max-body must be positive, was " + maxBody);
        }
        // In configuration order (the CLI uses the first token); unmodifiable.
        tokens = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(Objects.requireNonNullElse(tokens, Set.of())));
        topics = Set.copyOf(Objects.requireNonNullElse(topics, Set.of()));
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("kafka.bootstrap must not be empty");
        }
        kafkaClient = Map.copyOf(Objects.requireNonNullElse(kafkaClient, Map.of()));
        Objects.requireNonNull(topicPrefix, "kafka.topic-prefix");
        Objects.requireNonNull(node, "node");
        if (interactiveTimeout == null || interactiveTimeout.isNegative() || interactiveTimeout.isZero()) {
            throw new IllegalArgumentException("http.interactive-timeout must be positive, was " + interactiveTimeout);
        }
        interactiveTimeouts = Map.copyOf(Objects.requireNonNullElse(interactiveTimeouts, Map.of()));
        if (maxPendingInteractive < 1) {
            throw new IllegalArgumentException("http.max-pending-interactive must be at least 1");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("http.max-in-flight must be at least 1");
        }
        webhooks = Map.copyOf(Objects.requireNonNullElse(webhooks, Map.of()));
        for (WebhookSource w : webhooks.values()) {
            if (!topics.contains(w.topic())) {
                throw new IllegalArgumentException("webhooks." + w.name() + ".topic '" + w.topic()
                        + "' is not one of the accepted topics " + topics);
            }
        }
        if (workerGroup == null || workerGroup.isBlank()) {
            throw new IllegalArgumentException("worker.group must not be empty");
        }
        if (idempotencyWindow == null || idempotencyWindow.toMillis() < 1000) {
            throw new IllegalArgumentException("retention.idempotency-keys must be at least 1s, was " + idempotencyWindow);
        }
        statusModes = Objects.requireNonNullElse(statusModes, StatusModes.FULL);
        topicKinds = Map.copyOf(Objects.requireNonNullElse(topicKinds, Map.of()));
    }

    public static Builder builder(String bootstrap) {
        return new Builder(bootstrap);
    }

    /** The internal topics' names, from {@code topic-prefix}. */
    public ConveyorTopics internalTopics() {
        return new ConveyorTopics(topicPrefix);
    }

    /** The reply topic of interactive requests. */
    public String repliesTopic() {
        return internalTopics().replies();
    }

    /** The topic future-dated events go to. */
    public String delayedTopic() {
        return internalTopics().delayed();
    }

    /** These settings with the kinds of the topics' extensions, as a process that loaded them knows them. */
    public IngressConfig withTopicKinds(Map<String, String> kinds) {
        return new IngressConfig(host, port, maxBody, tokens, topics, bootstrap, kafkaClient, topicPrefix, node,
                interactiveTimeout, interactiveTimeouts, maxPendingInteractive, maxInFlight, webhooks, workerGroup,
                idempotencyWindow, statusModes, kinds);
    }

    /** The interactive timeout of {@code topic}. */
    public Duration interactiveTimeout(String topic) {
        return interactiveTimeouts.getOrDefault(topic, interactiveTimeout);
    }

    /** Builds {@link IngressConfig}. */
    public static final class Builder {
        private final String bootstrap;
        private String host = "127.0.0.1";
        private int port = 8080;
        private long maxBody = 1024 * 1024;
        private Set<String> tokens = Set.of();
        private Set<String> topics = Set.of();
        private Map<String, Object> kafkaClient = Map.of();
        private String topicPrefix = ConveyorTopics.DEFAULT_PREFIX;
        private String node = "ingress-" + ProcessHandle.current().pid();
        private Duration interactiveTimeout = Duration.ofSeconds(30);
        private Map<String, Duration> interactiveTimeouts = Map.of();
        private int maxPendingInteractive = 1000;
        private int maxInFlight = 4096;
        private Map<String, WebhookSource> webhooks = Map.of();
        private String workerGroup = DEFAULT_WORKER_GROUP;
        private Duration idempotencyWindow = IdempotencyKeys.DEFAULT_WINDOW;
        private StatusModes statusModes = StatusModes.FULL;
        private Map<String, String> topicKinds = Map.of();

        private Builder(String bootstrap) {
            this.bootstrap = bootstrap;
        }

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder maxBody(long v) { maxBody = v; return this; }
        public Builder tokens(Set<String> v) { tokens = v; return this; }
        public Builder topics(Set<String> v) { topics = v; return this; }
        public Builder kafkaClient(Map<String, Object> v) { kafkaClient = v; return this; }
        public Builder topicPrefix(String v) { topicPrefix = v; return this; }
        public Builder node(String v) { node = v; return this; }
        public Builder interactiveTimeout(Duration v) { interactiveTimeout = v; return this; }
        public Builder interactiveTimeouts(Map<String, Duration> v) { interactiveTimeouts = v; return this; }
        public Builder maxPendingInteractive(int v) { maxPendingInteractive = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder webhooks(Map<String, WebhookSource> v) { webhooks = v; return this; }
        public Builder workerGroup(String v) { workerGroup = v; return this; }
        public Builder idempotencyWindow(Duration v) { idempotencyWindow = v; return this; }
        public Builder statusModes(StatusModes v) { statusModes = v; return this; }
        public Builder topicKinds(Map<String, String> v) { topicKinds = v; return this; }

        public IngressConfig build() {
            return new IngressConfig(host, port, maxBody, tokens, topics, bootstrap, kafkaClient, topicPrefix, node,
                    interactiveTimeout, interactiveTimeouts, maxPendingInteractive, maxInFlight, webhooks, workerGroup,
                    idempotencyWindow, statusModes, topicKinds);
        }
    }
}
