package dev.conveyor.worker.recorder;

import dev.conveyor.schema.kafka.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WorkerOffsets} of a consumer group read with Kafka's admin client, asked at most every
 * {@link #REFRESH} (a poll in between reuses the last answer: a stale offset is only lower, so the
 * recorder writes a few rows that exist, which is harmless). When Kafka does not answer within
 * {@link #TIMEOUT} the last answer stays.
 */
public final class WorkerGroupOffsets implements WorkerOffsets, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerGroupOffsets.class);
    static final Duration REFRESH = Duration.ofMillis(250);
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;
    private final String group;
    private Map<TopicPartition, Long> last = Map.of();
    private long nextRefreshNanos = System.nanoTime();

    private WorkerGroupOffsets(Admin admin, String group) {
        this.admin = admin;
        this.group = group;
    }

    /**
     * Reads {@code group}'s offsets on the cluster of {@code config} (its bootstrap and
     * {@code kafka.client.*}). Creating it does not connect; the first read does.
     */
    public static WorkerGroupOffsets of(RecorderConfig config, String group) {
        return new WorkerGroupOffsets(Admin.create(KafkaClients.admin(config.bootstrap(),
                config.node() + "-recorder-offsets", config.kafkaClient(), TIMEOUT)), group);
    }

    @Override
    public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
        long now = System.nanoTime();
        if (now - nextRefreshNanos < 0 || partitions.isEmpty()) {
            return last;
        }
        nextRefreshNanos = now + REFRESH.toNanos();
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(
                            Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(partitions)))
                    .partitionsToOffsetAndMetadata(group).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> fresh = new HashMap<>();
            offsets.forEach((tp, om) -> {
                if (om != null) {
                    fresh.put(tp, om.offset());
                }
            });
            last = fresh;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("The offsets of worker group {} could not be read; the recorder keeps the last ones: {}", group,
                    e.toString());
        }
        return last;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
