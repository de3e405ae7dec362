package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.json.Json;
import dev.conveyor.schema.kafka.DeadLetters;
import dev.conveyor.schema.kafka.Decoded;
import dev.conveyor.schema.kafka.TaskRecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One record of the dead-letter topic as an operator sees it: where it sits in the DLQ (what
 * {@code dlq replay --dlq-offset} takes), where it came from, why it is there, and the original
 * record ({@link DeadLetters} copied key, value and headers unchanged).
 */
record DeadLetter(ConsumerRecord<byte[], byte[]> record) {

    /** The prefix of the headers {@link DeadLetters} adds; replay removes every one of them. */
    static final String DLQ_HEADER_PREFIX = "conveyor_dlq_";
    private static final String CE_ID = "ce_id";

    int partition() {
        return record.partition();
    }

    long offset() {
        return record.offset();
    }

    /** {@code partition:offset} in the DLQ, the form {@code --dlq-offset} takes. */
    String coordinates() {
        return record.partition() + ":" + record.offset();
    }

    /** When the record was written to the DLQ (its Kafka timestamp). */
    Instant time() {
        return Instant.ofEpochMilli(record.timestamp());
    }

    String reason() {
        return header(DeadLetters.REASON);
    }

    /** The topic the record was consumed from, or null when the header is missing. */
    String originalTopic() {
        return header(DeadLetters.TOPIC);
    }

    /** {@code topic-partition@offset} of the original record, with {@code ?} for what is missing. */
    String origin() {
        String topic = originalTopic();
        String partition = header(DeadLetters.PARTITION);
        String offset = header(DeadLetters.OFFSET);
        return (topic == null ? "?" : topic) + "-" + (partition == null ? "?" : partition) + "@"
                + (offset == null ? "?" : offset);
    }

    /** The {@code ce_id} header (the task id of a CloudEvent), or null. */
    String eventId() {
        return header(CE_ID);
    }

    /**
     * The task id Conveyor gives the original record (as the worker decoded it at its original
     * coordinates): the {@code ce_id} when it is a UUID, a name-based UUID otherwise, or one
     * derived from topic, partition and offset for a plain record. Empty when it cannot be told.
     */
    Optional<UUID> taskId(TaskRecordCodec codec) {
        ConsumerRecord<byte[], byte[]> original = original(originalOffset());
        if (original == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(switch (codec.decode(original)) {
            case Decoded.Ok ok -> ok.task().id();
            case Decoded.Poison poison -> poison.taskId();
        });
    }

    /**
     * True when the task id does not depend on where the record sits (a CloudEvent carries its
     * id; a plain record's id is derived from its coordinates, so a replayed copy is a new task).
     */
    boolean hasStableTaskId(TaskRecordCodec codec) {
        Optional<UUID> here = taskId(codec);
        ConsumerRecord<byte[], byte[]> moved = original(originalOffset() + 1);
        if (here.isEmpty() || moved == null) {
            return false;
        }
        UUID there = switch (codec.decode(moved)) {
            case Decoded.Ok ok -> ok.task().id();
            case Decoded.Poison poison -> poison.taskId();
        };
        return here.get().equals(there);
    }

    /** True when {@code id} is this record's {@code ce_id} or the task id Conveyor derives for it. */
    boolean hasId(String id, TaskRecordCodec codec) {
        String ce = eventId();
        if (ce != null && ce.equals(id)) {
            return true;
        }
        return taskId(codec).map(u -> u.toString().equalsIgnoreCase(id.trim())).orElse(false);
    }

    /**
     * The record to produce again: to its original topic, with its original key, value and
     * headers except the {@code conveyor_dlq_*} ones.
     *
     * @throws IllegalStateException when the record does not say which topic it came from
     */
    ProducerRecord<byte[], byte[]> replay() {
        String topic = originalTopic();
        if (topic == null || topic.isBlank()) {
            throw new IllegalStateException("DLQ record " + coordinates() + " has no " + DeadLetters.TOPIC
                    + " header: its original topic is unknown, so it cannot be replayed");
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            if (!h.key().startsWith(DLQ_HEADER_PREFIX)) {
                headers.add(h.key(), h.value());
            }
        }
        return new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
    }

    /** One JSON object: coordinates, origin, reason, headers (text) and the value (text or base64). */
    ObjectNode toJson() {
        ObjectNode json = Json.emptyObject();
        json.put("dlqTopic", record.topic());
        json.put("dlqPartition", record.partition());
        json.put("dlqOffset", record.offset());
        json.put("time", time().toString());
        json.put("topic", originalTopic());
        json.put("partition", integerOrNull(header(DeadLetters.PARTITION)));
        json.put("offset", longOrNull(header(DeadLetters.OFFSET)));
        json.put("id", eventId());
        json.put("reason", reason());
        putBytes(json, "key", record.key());
        ObjectNode headers = json.putObject("headers");
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value() == null ? null : text(h.value()).orElse(
                    "base64:" + Base64.getEncoder().encodeToString(h.value())));
        }
        putBytes(json, "value", record.value());
        return json;
    }

    /** {@code name} as UTF-8 text, or {@code name} + "Base64" when the bytes are not UTF-8. */
    private static void putBytes(ObjectNode json, String name, byte[] bytes) {
        if (bytes == null) {
            json.putNull(name);
            return;
        }
        Optional<String> text = text(bytes);
        if (text.isPresent()) {
            json.put(name, text.get());
        } else {
            json.put(name + "Base64", Base64.getEncoder().encodeToString(bytes));
        }
    }

    /** The bytes as text when they are valid UTF-8. */
    static Optional<String> text(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** The last value of header {@code name} as UTF-8 text, or null. */
    String header(String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private long originalOffset() {
        Long offset = longOrNull(header(DeadLetters.OFFSET));
        return offset == null ? 0 : offset;
    }

    /** The original record as the worker consumed it, at {@code offset}; null without a topic. */
    private ConsumerRecord<byte[], byte[]> original(long offset) {
        String topic = originalTopic();
        if (topic == null) {
            return null;
        }
        Integer partition = integerOrNull(header(DeadLetters.PARTITION));
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            if (!h.key().startsWith(DLQ_HEADER_PREFIX)) {
                headers.add(h);
            }
        }
        return new ConsumerRecord<>(topic, partition == null ? 0 : partition, offset, record.timestamp(),
                record.timestampType(), ConsumerRecord.NULL_SIZE, ConsumerRecord.NULL_SIZE, record.key(),
                record.value(), headers, Optional.empty());
    }

    private static Integer integerOrNull(String s) {
        try {
            return s == null ? null : Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long longOrNull(String s) {
        try {
            return s == null ? null : Long.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The headers of the record, for tests. */
    List<Header> headers() {
        return List.of(record.headers().toArray());
    }
}
