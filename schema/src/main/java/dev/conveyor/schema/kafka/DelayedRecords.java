package dev.conveyor.schema.kafka;

import dev.conveyor.schema.Task;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Future-dated events on their way to the scheduler: the task's own record, produced to the
 * {@code <prefix>delayed} topic with two more headers saying where and when to deliver it. The
 * scheduler moves it into {@code scheduled_deliveries} and produces it to its topic when due.
 */
public final class DelayedRecords {

    /** When to deliver (RFC 3339). */
    public static final String DELIVER_AT = "conveyor_deliver_at";
    /** The topic to deliver to. */
    public static final String TARGET_TOPIC = "conveyor_target_topic";

    private static final TaskRecordCodec CODEC = new TaskRecordCodec();

    private DelayedRecords() {}

    /** The record that asks the scheduler to deliver {@code task} to its topic at {@code dueAt}. */
    public static ProducerRecord<byte[], byte[]> encode(Task task, Instant dueAt, String delayedTopic) {
        Objects.requireNonNull(dueAt, "dueAt");
        ProducerRecord<byte[], byte[]> record = CODEC.encode(task, delayedTopic);
        record.headers().add(DELIVER_AT, dueAt.toString().getBytes(StandardCharsets.UTF_8));
        record.headers().add(TARGET_TOPIC, task.topic().getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** A decoded future-dated task: the task (on its target topic) and when to deliver it. */
    public record Delayed(Task task, Instant dueAt) {}

    /**
     * Decodes a record of the delayed topic.
     *
     * @throws IllegalArgumentException naming the header that is missing or invalid
     */
    public static Delayed decode(ConsumerRecord<byte[], byte[]> record) {
        String target = header(record, TARGET_TOPIC);
        String deliverAt = header(record, DELIVER_AT);
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException(TARGET_TOPIC + " is missing");
        }
        if (deliverAt == null) {
            throw new IllegalArgumentException(DELIVER_AT + " is missing");
        }
        Instant dueAt;
        try {
            dueAt = OffsetDateTime.parse(deliverAt).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(DELIVER_AT + " '" + deliverAt + "' is not an RFC 3339 timestamp");
        }
        Decoded decoded = CODEC.decode(record);
        if (decoded instanceof Decoded.Poison poison) {
            throw new IllegalArgumentException(poison.reason());
        }
        Task task = ((Decoded.Ok) decoded).task();
        Task.Builder b = task.toBuilder().topic(target);
        b.header(DELIVER_AT, null).header(TARGET_TOPIC, null);
        return new Delayed(b.build(), dueAt);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
