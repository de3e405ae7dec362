package dev.conveyor.schema.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/** Builds consumed records for codec tests, as the broker would hand them out. */
final class Records {

    private Records() {}

    static ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> produced, int partition, long offset) {
        return consumed(produced.topic(), partition, offset, produced.key(), produced.value(), produced.headers());
    }

    static ConsumerRecord<byte[], byte[]> consumed(String topic, int partition, long offset, byte[] key, byte[] value,
            Headers headers) {
        return new ConsumerRecord<>(topic, partition, offset, 1_700_000_000_000L, TimestampType.CREATE_TIME,
                key == null ? -1 : key.length, value == null ? -1 : value.length, key, value, headers, Optional.empty());
    }

    static RecordHeaders headers(String... nameValuePairs) {
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            headers.add(nameValuePairs[i], nameValuePairs[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
