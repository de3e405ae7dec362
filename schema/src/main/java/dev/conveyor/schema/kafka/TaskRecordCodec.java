package dev.conveyor.schema.kafka;

import static dev.conveyor.schema.kafka.ConveyorHeaders.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.PayloadFormatException;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Turns tasks into Kafka records and back: the CloudEvents Kafka protocol binding
 * (<a href="https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md">spec</a>)
 * plus Conveyor's {@code conveyor_*} headers.
 *
 * <p>Encoding always uses binary content mode: attributes in {@code ce_*} headers, payload as the
 * record value, ordering key as the record key. Decoding accepts what any Kafka producer may send:
 * <ul>
 *   <li>binary mode (any {@code ce_*} header present);</li>
 *   <li>structured mode ({@code content-type: application/cloudevents+json}, the event as JSON);</li>
 *   <li>a plain record with no CloudEvents headers: its id is derived from topic, partition and
 *       offset (stable across redelivery), its type is the topic, its content type the
 *       {@code content-type} header or JSON when the value looks like JSON.</li>
 * </ul>
 * A record that claims to be a CloudEvent but is invalid (no {@code ce_id}, an unknown spec
 * version, a structured value that is not JSON, a malformed Conveyor header) decodes to
 * {@link Decoded.Poison} naming what is wrong. Thread-safe.
 */
public final class TaskRecordCodec {

    private static final Set<String> SPEC_VERSIONS = Set.of("1.0", "0.3");
    /** Structured-mode attributes that map to Task fields rather than headers. */
    private static final Set<String> STRUCTURED_FIELDS =
            Set.of("specversion", "id", "source", "type", "time", "datacontenttype", "data", "data_base64");

    private final Clock clock;

    /** A codec stamping records without a timestamp with the system clock. */
    public TaskRecordCodec() {
        this(Clock.systemUTC());
    }

    /** A codec using {@code clock} where a record carries no usable timestamp. */
    public TaskRecordCodec(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // ----------------------------------------------------------------------------------------
    // Encoding
    // ----------------------------------------------------------------------------------------

    /** The record for {@code task} on its own topic. */
    public ProducerRecord<byte[], byte[]> encode(Task task) {
        return encode(task, task.topic());
    }

    /** The record for {@code task} on {@code topic} (e.g. the dead-letter topic). */
    public ProducerRecord<byte[], byte[]> encode(Task task, String topic) {
        RecordHeaders headers = new RecordHeaders();
        put(headers, CE_SPECVERSION, SPEC_VERSION);
        put(headers, CE_ID, task.eventId());
        put(headers, CE_SOURCE, task.source());
        put(headers, CE_TYPE, task.type());
        put(headers, CE_TIME, task.createdAt().toString());
        put(headers, CONTENT_TYPE, task.contentType());
        put(headers, KIND, task.kind().wireName());
        put(headers, ATTEMPT, Integer.toString(task.attempt()));
        put(headers, CALLBACK_URL, task.callbackUrl());
        put(headers, TRACE_ID, task.traceId());
        put(headers, REPLY_TO, task.replyTo());
        put(headers, DEADLINE, task.deadline() == null ? null : task.deadline().toString());
        put(headers, IDEMPOTENCY_KEY, task.idempotencyKey());
        task.headers().forEach((name, value) -> {
            if (!isReserved(name)) {
                put(headers, name, value);
            }
        });
        return new ProducerRecord<>(topic, null, null, task.keyBytes(), task.payload(), headers);
    }

    private static void put(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Header names the codec writes from Task fields; a task's free headers cannot override them. */
    public static boolean isReserved(String name) {
        return switch (name) {
            case CE_SPECVERSION, CE_ID, CE_SOURCE, CE_TYPE, CE_TIME, CONTENT_TYPE, KIND, ATTEMPT, CALLBACK_URL,
                    TRACE_ID, REPLY_TO, DEADLINE, IDEMPOTENCY_KEY -> true;
            default -> name.equalsIgnoreCase(CONTENT_TYPE);
        };
    }

    // ----------------------------------------------------------------------------------------
    // Decoding
    // ----------------------------------------------------------------------------------------

    /** Decodes a consumed record; never throws for bad content, which becomes {@link Decoded.Poison}. */
    public Decoded decode(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = headers(record);
        String contentType = headerIgnoreCase(headers, CONTENT_TYPE);
        String mediaType = Json.mediaType(contentType);
        try {
            if (mediaType != null && mediaType.startsWith("application/cloudevents")) {
                return decodeStructured(record, headers, mediaType);
            }
            if (anyCloudEventsHeader(headers)) {
                return decodeBinary(record, headers, contentType);
            }
            return decodePlain(record, headers, contentType);
        } catch (InvalidRecord e) {
            return new Decoded.Poison(e.getMessage(), e.taskId);
        }
    }

    private Decoded decodeBinary(ConsumerRecord<byte[], byte[]> record, Map<String, String> headers,
            String contentType) {
        String specVersion = headers.get(CE_SPECVERSION);
        String eventId = headers.get(CE_ID);
        String source = headers.get(CE_SOURCE);
        UUID knownId = eventId == null || eventId.isEmpty() ? null
                : source == null || source.isEmpty() ? TaskIds.parseCanonical(eventId) : TaskIds.forEvent(source, eventId);
        requireSpecVersion(specVersion, CE_SPECVERSION, knownId);
        String id = require(eventId, CE_ID, "the event id", knownId);
        require(source, CE_SOURCE, "the event source", knownId);
        String type = require(headers.get(CE_TYPE), CE_TYPE, "the event type", knownId);
        Instant time = headers.containsKey(CE_TIME) ? parseTime(headers.get(CE_TIME), CE_TIME, knownId)
                : recordTime(record);

        Task.Builder b = Task.builder(knownId)
                .eventId(id)
                .source(source)
                .type(type)
                .topic(record.topic())
                .keyBytes(record.key())
                .payload(record.value())
                .contentType(contentType)
                .createdAt(time);
        copyFreeHeaders(headers, b);
        applyConveyorHeaders(headers, b, knownId);
        return new Decoded.Ok(build(b, knownId), Decoded.Mode.BINARY);
    }

    private Decoded decodeStructured(ConsumerRecord<byte[], byte[]> record, Map<String, String> headers,
            String mediaType) {
        if (!mediaType.equals(STRUCTURED_JSON)) {
            throw new InvalidRecord("content-type " + mediaType + " is not supported: only single events in "
                    + STRUCTURED_JSON + " (structured mode) or binary mode", null);
        }
        JsonNode event;
        try {
            event = Json.parse(record.value() == null ? new byte[0] : record.value());
        } catch (PayloadFormatException e) {
            throw new InvalidRecord("structured-mode value is not valid JSON: " + e.getMessage(), null);
        }
        if (!event.isObject()) {
            throw new InvalidRecord("structured-mode value must be a JSON object, was " + event.getNodeType(), null);
        }
        String eventId = text(event, "id");
        String source = text(event, "source");
        UUID knownId = eventId == null || eventId.isEmpty() ? null
                : source == null || source.isEmpty() ? TaskIds.parseCanonical(eventId) : TaskIds.forEvent(source, eventId);
        requireSpecVersion(text(event, "specversion"), "specversion", knownId);
        require(eventId, "id", "the event id", knownId);
        require(source, "source", "the event source", knownId);
        String type = require(text(event, "type"), "type", "the event type", knownId);
        String timeText = text(event, "time");
        Instant time = timeText != null ? parseTime(timeText, "time", knownId) : recordTime(record);
        String dataContentType = text(event, "datacontenttype");

        byte[] payload;
        JsonNode base64 = event.get("data_base64");
        JsonNode data = event.get("data");
        if (base64 != null && !base64.isNull()) {
            try {
                payload = Base64.getDecoder().decode(base64.asText());
            } catch (IllegalArgumentException e) {
                throw new InvalidRecord("data_base64 is not valid base64: " + e.getMessage(), knownId);
            }
        } else if (data == null || data.isNull()) {
            payload = new byte[0];
        } else if (data.isTextual() && !Json.isJson(Json.mediaType(dataContentType))) {
            payload = data.asText().getBytes(StandardCharsets.UTF_8);
        } else {
            payload = Json.toBytes(data);
            if (dataContentType == null) {
                dataContentType = "application/json";
            }
        }

        Task.Builder b = Task.builder(knownId)
                .eventId(eventId)
                .source(source)
                .type(type)
                .topic(record.topic())
                .keyBytes(record.key())
                .payload(payload)
                .contentType(dataContentType)
                .createdAt(time);
        for (Iterator<Map.Entry<String, JsonNode>> it = event.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> attribute = it.next();
            if (!STRUCTURED_FIELDS.contains(attribute.getKey()) && !attribute.getValue().isNull()) {
                b.header(CE_PREFIX + attribute.getKey(), attribute.getValue().isValueNode()
                        ? attribute.getValue().asText() : attribute.getValue().toString());
            }
        }
        copyFreeHeaders(headers, b);
        applyConveyorHeaders(headers, b, knownId);
        return new Decoded.Ok(build(b, knownId), Decoded.Mode.STRUCTURED);
    }

    private Decoded decodePlain(ConsumerRecord<byte[], byte[]> record, Map<String, String> headers,
            String contentType) {
        UUID id = TaskIds.forRecord(record.topic(), record.partition(), record.offset());
        if (contentType == null && Json.looksLikeJson(record.value())) {
            contentType = "application/json";
        }
        Task.Builder b = Task.builder(id)
                .source("kafka:" + record.topic())
                .type(record.topic())
                .topic(record.topic())
                .keyBytes(record.key())
                .payload(record.value())
                .contentType(contentType)
                .createdAt(recordTime(record));
        copyFreeHeaders(headers, b);
        applyConveyorHeaders(headers, b, id);
        return new Decoded.Ok(build(b, id), Decoded.Mode.PLAIN);
    }

    private static void copyFreeHeaders(Map<String, String> headers, Task.Builder b) {
        headers.forEach((name, value) -> {
            if (!isReserved(name) && !name.startsWith("conveyor_")) {
                b.header(name, value);
            }
        });
    }

    private static void applyConveyorHeaders(Map<String, String> headers, Task.Builder b, UUID knownId) {
        String kind = headers.get(KIND);
        if (kind != null) {
            try {
                b.kind(TaskKind.fromWire(kind));
            } catch (IllegalArgumentException e) {
                throw new InvalidRecord(KIND + ": " + e.getMessage(), knownId);
            }
        }
        String attempt = headers.get(ATTEMPT);
        if (attempt != null) {
            int n;
            try {
                n = Integer.parseInt(attempt.trim());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1) {
                throw new InvalidRecord(ATTEMPT + " must be a whole number of at least 1, was '" + attempt + "'", knownId);
            }
            b.attempt(n);
        }
        String deadline = headers.get(DEADLINE);
        if (deadline != null) {
            b.deadline(parseTime(deadline, DEADLINE, knownId));
        }
        b.callbackUrl(headers.get(CALLBACK_URL));
        b.traceId(headers.get(TRACE_ID));
        b.replyTo(headers.get(REPLY_TO));
        b.idempotencyKey(headers.get(IDEMPOTENCY_KEY));
    }

    private static Task build(Task.Builder b, UUID knownId) {
        try {
            return b.build();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidRecord("invalid task: " + e.getMessage(), knownId);
        }
    }

    private static void requireSpecVersion(String specVersion, String field, UUID knownId) {
        if (specVersion == null || specVersion.isEmpty()) {
            throw new InvalidRecord(field + " is missing: a record with CloudEvents attributes must name its spec version",
                    knownId);
        }
        if (!SPEC_VERSIONS.contains(specVersion)) {
            throw new InvalidRecord(field + " '" + specVersion + "' is not a known CloudEvents version (1.0, 0.3)",
                    knownId);
        }
    }

    private static String require(String value, String field, String what, UUID knownId) {
        if (value == null || value.isEmpty()) {
            throw new InvalidRecord(field + " is missing: a CloudEvent must carry " + what, knownId);
        }
        return value;
    }

    private static Instant parseTime(String text, String field, UUID knownId) {
        Instant fast = Rfc3339.parseUtc(text);
        if (fast != null) {
            return fast;
        }
        try {
            return OffsetDateTime.parse(text.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidRecord(field + " '" + text + "' is not an RFC 3339 timestamp", knownId);
        }
    }

    private Instant recordTime(ConsumerRecord<byte[], byte[]> record) {
        return record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : clock.instant();
    }

    private static String text(JsonNode event, String field) {
        JsonNode node = event.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static boolean anyCloudEventsHeader(Map<String, String> headers) {
        if (headers.containsKey(CE_ID) || headers.containsKey(CE_SPECVERSION)) {
            return true;
        }
        for (String name : headers.keySet()) {
            if (name.startsWith(CE_PREFIX)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> map = new LinkedHashMap<>(32);
        for (Header h : record.headers()) {
            map.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return map;
    }

    private static String headerIgnoreCase(Map<String, String> headers, String name) {
        String exact = headers.get(name);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Internal signal for a record that cannot be a task; becomes {@link Decoded.Poison}. */
    private static final class InvalidRecord extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient UUID taskId;

        InvalidRecord(String message, UUID taskId) {
            super(message, null, false, false);
            this.taskId = taskId;
        }
    }
}
