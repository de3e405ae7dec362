package dev.conveyor.worker.recorder;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** Consumed records for the recorder's unit tests. */
final class TestRecords {

    static final long TIMESTAMP = 1_700_000_000_000L;
    private static final TaskRecordCodec CODEC = new TaskRecordCodec();

    private TestRecords() {}

    /** A plain record (no CloudEvents headers) on {@code topic}-{@code partition} at {@code offset}. */
    static ConsumerRecord<byte[], byte[]> plain(String topic, int partition, long offset) {
        return consumed(topic, partition, offset, null, "{\"n\":1}".getBytes(StandardCharsets.UTF_8),
                new RecordHeaders());
    }

    /** {@code task} encoded as the publisher does (CloudEvents binary mode). */
    static ConsumerRecord<byte[], byte[]> encoded(Task task, int partition, long offset) {
        ProducerRecord<byte[], byte[]> p = CODEC.encode(task);
        return consumed(p.topic(), partition, offset, p.key(), p.value(), p.headers());
    }

    static ConsumerRecord<byte[], byte[]> consumed(String topic, int partition, long offset, byte[] key, byte[] value,
            Headers headers) {
        return new ConsumerRecord<>(topic, partition, offset, TIMESTAMP, TimestampType.CREATE_TIME,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value, headers, Optional.empty());
    }

    /** One poll of {@code records}, grouped by partition in order. */
    @SafeVarargs
    static ConsumerRecords<byte[], byte[]> poll(ConsumerRecord<byte[], byte[]>... records) {
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            byPartition.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), tp -> new java.util.ArrayList<>())
                    .add(r);
        }
        return new ConsumerRecords<>(byPartition, Map.of());
    }
}
