package dev.conveyor.worker.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Bounds memory by {@code worker.max-in-flight}: when that many records are between poll and
 * commit (held ones included), the assigned partitions are paused until half of them are done.
 * Also reports this worker's lag per topic about once a second, from the consumer's own fetch
 * positions (no request). Poll thread only.
 */
final class FlowControl {

    private static final long LAG_EVERY_NANOS = 1_000_000_000L;

    private final Consumer<byte[], byte[]> consumer;
    private final AtomicInteger inFlight;
    private final int maxInFlight;
    private boolean paused;
    private long lagUpdatedAt;

    FlowControl(Consumer<byte[], byte[]> consumer, AtomicInteger inFlight, int maxInFlight) {
        this.consumer = consumer;
        this.inFlight = inFlight;
        this.maxInFlight = maxInFlight;
    }

    /** Pauses or resumes fetching by the number of records in flight. */
    void apply() {
        if (!paused && inFlight.get() >= maxInFlight) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && inFlight.get() <= maxInFlight / 2) {
            consumer.resume(consumer.paused());
            paused = false;
        }
    }

    boolean paused() {
        return paused;
    }

    /** About once a second: the lag of each of {@code topics} on this worker's partitions. */
    void updateLag(Set<String> topics, WorkerMetrics metrics) {
        long now = System.nanoTime();
        if (now - lagUpdatedAt < LAG_EVERY_NANOS) {
            return;
        }
        lagUpdatedAt = now;
        Map<String, Long> perTopic = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(tp);
            perTopic.merge(tp.topic(), lag.isPresent() ? lag.getAsLong() : 0L, Long::sum);
        }
        for (String topic : topics) {
            metrics.lag(topic, perTopic.getOrDefault(topic, 0L));
        }
    }
}
