package dev.conveyor.schema.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Records for the dead-letter topic: the original key, value and headers, plus why and where
 * from, so an operator can inspect and replay them.
 */
public final class DeadLetters {

    /** Why the record could not be processed. */
    public static final String REASON = "conveyor_dlq_reason";
    /** Topic of the original record. */
    public static final String TOPIC = "conveyor_dlq_topic";
    /** Partition of the original record. */
    public static final String PARTITION = "conveyor_dlq_partition";
    /** Offset of the original record. */
    public static final String OFFSET = "conveyor_dlq_offset";
    /** When it was dead-lettered. */
    public static final String AT = "conveyor_dlq_at";

    private DeadLetters() {}

    /** The dead letter of {@code original} on {@code dlqTopic}. */
    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> original, String reason, Instant at,
            String dlqTopic) {
        RecordHeaders headers = new RecordHeaders(original.headers().toArray());
        headers.add(REASON, utf8(reason));
        headers.add(TOPIC, utf8(original.topic()));
        headers.add(PARTITION, utf8(Integer.toString(original.partition())));
        headers.add(OFFSET, utf8(Long.toString(original.offset())));
        headers.add(AT, utf8(at.toString()));
        return new ProducerRecord<>(dlqTopic, null, original.key(), original.value(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
