package dev.conveyor.ops.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads the dead-letter topic once, as it is when the read starts: every partition is assigned
 * (no consumer group, nothing committed, so reading never disturbs anything), each starts at the
 * first record at or after {@code since} (or the beginning) and stops at the end offset taken at
 * start, so records dead-lettered meanwhile are left for the next read.
 */
final class DeadLetterReader {

    private static final Duration POLL = Duration.ofMillis(500);

    private final Consumer<byte[], byte[]> consumer;
    private final Duration timeout;

    /** @param timeout how long metadata calls and the whole read may take before Kafka counts as unavailable */
    DeadLetterReader(Consumer<byte[], byte[]> consumer, Duration timeout) {
        this.consumer = consumer;
        this.timeout = timeout;
    }

    /**
     * The records of {@code topic} from {@code since} (null: the beginning) that {@code filter}
     * keeps, oldest first (by DLQ time, then partition and offset).
     *
     * @throws org.apache.kafka.common.errors.TimeoutException when Kafka does not answer in time
     */
    List<DeadLetter> read(String topic, Instant since, Predicate<DeadLetter> filter) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            return List.of();
        }
        List<TopicPartition> partitions = infos.stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                .toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
        Map<TopicPartition, Long> start = new HashMap<>(consumer.beginningOffsets(partitions, timeout));
        if (since != null) {
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(p -> query.put(p, since.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, timeout);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp at = found == null ? null : found.get(p);
                // No record at or after `since`: nothing to read there.
                start.put(p, at == null ? end.get(p) : at.offset());
            }
        }
        Map<TopicPartition, List<DeadLetter>> byPartition = new HashMap<>();
        List<TopicPartition> open = new ArrayList<>();
        for (TopicPartition p : partitions) {
            byPartition.put(p, new ArrayList<>());
            long from = start.getOrDefault(p, 0L);
            if (from < end.getOrDefault(p, 0L)) {
                consumer.seek(p, from);
                open.add(p);
            }
        }
        consumer.assign(open);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("reading " + topic + " took longer than "
                        + timeout.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                TopicPartition p = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < end.get(p)) {
                    DeadLetter d = new DeadLetter(r);
                    if (filter.test(d)) {
                        byPartition.get(p).add(d);
                    }
                }
            }
            List<TopicPartition> done = new ArrayList<>();
            for (TopicPartition p : open) {
                if (consumer.position(p, timeout) >= end.get(p)) {
                    done.add(p);
                }
            }
            if (!done.isEmpty()) {
                open.removeAll(done);
                consumer.assign(open);
            }
        }
        List<DeadLetter> all = new ArrayList<>();
        for (TopicPartition p : partitions) {
            all.addAll(byPartition.get(p));
        }
        all.sort(Comparator.comparing(DeadLetter::time).thenComparingInt(DeadLetter::partition)
                .thenComparingLong(DeadLetter::offset));
        return all;
    }
}
