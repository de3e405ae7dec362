package dev.conveyor.store;

import dev.conveyor.schema.Task;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A future delivery for the scheduler's durable queue ({@code scheduled_deliveries}): the exact
 * Kafka record to produce when {@code dueAt} comes.
 *
 * @param taskId the task
 * @param attempt the delivery number the record carries
 * @param topic where to produce it
 * @param key record key, or null
 * @param headers record headers (UTF-8 text values), in order
 * @param payload record value
 * @param dueAt when to produce it
 */
public record ScheduledDelivery(UUID taskId, int attempt, String topic, byte[] key, Map<String, String> headers,
        byte[] payload, Instant dueAt) {

    private static final TaskRecordCodec CODEC = new TaskRecordCodec();

    public ScheduledDelivery {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(dueAt, "dueAt");
        headers = Map.copyOf(headers);
    }

    /** The delivery of {@code task} (already carrying its next attempt number) at {@code dueAt}. */
    public static ScheduledDelivery of(Task task, Instant dueAt) {
        ProducerRecord<byte[], byte[]> record = CODEC.encode(task);
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        return new ScheduledDelivery(task.id(), task.attempt(), record.topic(), record.key(), headers, record.value(),
                dueAt);
    }
}
