package dev.conveyor.ops.config;

import dev.conveyor.schema.RetryPolicy;
import dev.conveyor.worker.TopicSettings;
import dev.conveyor.worker.WorkerConfig;
import dev.conveyor.worker.outbound.OutboundSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code worker.*}: the settings of a worker pool. The defaults are {@link WorkerConfig}'s own (its
 * builder) and {@link RetryPolicy#defaults()}; only keys present in the configuration change them.
 */
final class WorkerSection {

    private WorkerSection() {}

    /**
     * @param subscribe topics consumed besides the extensions' own ({@code topics})
     * @param outbound callbacks and notifications ({@code callbacks:}, {@code notifications:})
     */
    static WorkerConfig read(ConfigSection w, KafkaSection kafka, Set<String> subscribe, OutboundSettings outbound) {
        try {
            WorkerConfig.Builder b = WorkerConfig.builder(kafka.bootstrap())
                    .kafkaClient(kafka.client())
                    .topicPrefix(kafka.topicPrefix())
                    .subscribe(subscribe)
                    .outbound(outbound)
                    .retry(retry(w))
                    .topics(topics(w.section("topics")));
            w.text("group").ifPresent(b::group);
            w.text("node").ifPresent(b::node);
            w.integer("concurrency").ifPresent(b::concurrency);
            w.integer("max-in-flight").ifPresent(b::maxInFlight);
            w.duration("timeout").ifPresent(b::timeout);
            w.parsed("ordering", Guards::ordering).ifPresent(b::ordering);
            w.integer("status-writers").ifPresent(b::statusWriters);
            w.integer("status-batch-size").ifPresent(b::statusBatchSize);
            w.duration("running-mark-after").ifPresent(b::runningMarkAfter);
            w.duration("config-refresh").ifPresent(b::configRefresh);
            w.duration("shutdown-grace").ifPresent(b::shutdownGrace);
            Guards.rate(w).ifPresent(b::rate);
            Guards.circuitBreaker(w.section("circuit-breaker")).ifPresent(b::circuitBreaker);
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("worker", e.getMessage());
        }
    }

    private static RetryPolicy retry(ConfigSection w) {
        RetryPolicy d = RetryPolicy.defaults();
        return new RetryPolicy(w.integer("max-attempts").orElse(d.maxAttempts()),
                w.duration("reschedule-floor").orElse(d.rescheduleFloor()),
                w.duration("slow-reschedule-floor").orElse(d.slowRescheduleFloor()),
                Guards.backoff(w.section("backoff")).orElse(d.backoff()));
    }

    /** {@code worker.topics.<topic>.*}: each absent key is null, i.e. not overridden. */
    private static Map<String, TopicSettings> topics(ConfigSection topics) {
        Map<String, TopicSettings> out = new LinkedHashMap<>();
        topics.sections().forEach((name, t) -> {
            try {
                out.put(name, new TopicSettings(t.duration("timeout").orElse(null),
                        t.parsed("ordering", Guards::ordering).orElse(null), t.integer("concurrency").orElse(null),
                        t.integer("max-attempts").orElse(null), Guards.backoff(t.section("backoff")).orElse(null),
                        Guards.rate(t).orElse(null), Guards.circuitBreaker(t.section("circuit-breaker")).orElse(null)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(t.path(), e.getMessage());
            }
        });
        return out;
    }
}
