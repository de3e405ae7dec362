package dev.conveyor.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One unit of work: an event published to a topic, as an extension sees it.
 *
 * <p>A task travels as a Kafka record in the CloudEvents Kafka binding, binary content mode (see
 * {@link dev.conveyor.schema.kafka.TaskRecordCodec}); its status lives in the {@code tasks} table
 * under {@link #id()}. Instances are immutable; {@link #toBuilder()} makes a changed copy.
 */
public final class Task {

    private final UUID id;
    private final String eventId;
    private final String source;
    private final String topic;
    private final TaskKind kind;
    private final String type;
    private final byte[] key;
    private final int attempt;
    private final byte[] payload;
    private final String contentType;
    private final Instant createdAt;
    private final String traceId;
    private final String callbackUrl;
    private final String replyTo;
    private final Instant deadline;
    private final String idempotencyKey;
    private final Map<String, String> headers;
    private final JsonNode config;
    private volatile JsonNode json;

    private Task(Builder b) {
        this.id = Objects.requireNonNull(b.id, "id");
        this.eventId = b.eventId != null ? b.eventId : b.id.toString();
        this.source = requireText(b.source, "source");
        this.topic = requireText(b.topic, "topic");
        this.kind = Objects.requireNonNull(b.kind, "kind");
        this.type = requireText(b.type, "type");
        this.key = b.key;
        if (b.attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + b.attempt);
        }
        this.attempt = b.attempt;
        this.payload = b.payload != null ? b.payload : new byte[0];
        this.contentType = b.contentType;
        this.createdAt = Objects.requireNonNull(b.createdAt, "createdAt");
        this.traceId = b.traceId;
        this.callbackUrl = b.callbackUrl;
        this.replyTo = b.replyTo;
        this.deadline = b.deadline;
        this.idempotencyKey = b.idempotencyKey;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.config = b.config != null ? b.config : Json.emptyObject();
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    /** A builder for a new task with a fresh UUIDv7 id, attempt 1 and kind background. */
    public static Builder builder() {
        return new Builder().id(TaskIds.newId());
    }

    /** A builder for the task with a known {@code id} (e.g. decoded from a record), attempt 1 and kind background. */
    public static Builder builder(UUID id) {
        return new Builder().id(Objects.requireNonNull(id, "id"));
    }

    /**
     * This task with {@code config} as its extension configuration (the worker attaches the
     * running extension's {@code extension_configs} row before invoking it).
     */
    public Task withConfig(JsonNode config) {
        // Every consumed task passes through here: share the validated fields and the headers map
        // instead of rebuilding (and re-validating, re-copying) the whole task.
        return new Task(this, config != null ? config : Json.emptyObject());
    }

    private Task(Task t, JsonNode config) {
        this.id = t.id;
        this.eventId = t.eventId;
        this.source = t.source;
        this.topic = t.topic;
        this.kind = t.kind;
        this.type = t.type;
        this.key = t.key;
        this.attempt = t.attempt;
        this.payload = t.payload;
        this.contentType = t.contentType;
        this.createdAt = t.createdAt;
        this.traceId = t.traceId;
        this.callbackUrl = t.callbackUrl;
        this.replyTo = t.replyTo;
        this.deadline = t.deadline;
        this.idempotencyKey = t.idempotencyKey;
        this.headers = t.headers;
        this.config = config;
    }

    /** A builder holding this task's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.eventId = eventId;
        b.source = source;
        b.topic = topic;
        b.kind = kind;
        b.type = type;
        b.key = key;
        b.attempt = attempt;
        b.payload = payload;
        b.contentType = contentType;
        b.createdAt = createdAt;
        b.traceId = traceId;
        b.callbackUrl = callbackUrl;
        b.replyTo = replyTo;
        b.deadline = deadline;
        b.idempotencyKey = idempotencyKey;
        b.headers.putAll(headers);
        b.config = config;
        return b;
    }

    /** The task id: UUIDv7 for tasks Conveyor created, derived for foreign events (see {@link TaskIds}). */
    public UUID id() {
        return id;
    }

    /** The CloudEvents {@code id} as the sender gave it; equals {@code id().toString()} for Conveyor's own events. */
    public String eventId() {
        return eventId;
    }

    /** The CloudEvents {@code source}: who produced the event. */
    public String source() {
        return source;
    }

    /** The Kafka topic the task was published to. */
    public String topic() {
        return topic;
    }

    /** Background, interactive, scheduled or webhook. */
    public TaskKind kind() {
        return kind;
    }

    /** The event type (CloudEvents {@code type}); the topic for plain Kafka records. */
    public String type() {
        return type;
    }

    /** The ordering key (the Kafka record key as UTF-8 text), or null when the record had none. */
    public String key() {
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    /** The Kafka record key exactly as received, or null. */
    public byte[] keyBytes() {
        return key == null ? null : key.clone();
    }

    /** Delivery number: 1 on first delivery, increased by every reschedule and retry. */
    public int attempt() {
        return attempt;
    }

    /** The event data (a copy). Empty, never null, when the event had none. */
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload as UTF-8 text. */
    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** Size of the payload in bytes. */
    public int payloadSize() {
        return payload.length;
    }

    /** Media type of the payload, or null when unknown. */
    public String contentType() {
        return contentType;
    }

    /**
     * The payload as a Jackson tree: JSON as is, {@code application/x-www-form-urlencoded} as an
     * object of fields (repeated fields become arrays), XML as Jackson's XML tree. The tree is
     * parsed once and shared between calls: do not modify it.
     *
     * @throws PayloadFormatException if the payload is not readable in its content type
     */
    public JsonNode json() {
        JsonNode tree = json;
        if (tree == null) {
            tree = Json.readPayload(payload, contentType);
            json = tree;
        }
        return tree;
    }

    /** A header of the record (CloudEvents extension attributes appear as {@code ce_<name>}), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** Every header that is not one of the fields above, in arrival order (unmodifiable). */
    public Map<String, String> headers() {
        return headers;
    }

    /** Trace id: when set, each transition of the task is also published to the trace topic. */
    public String traceId() {
        return traceId;
    }

    /** URL the final task record is POSTed to when the task ends, or null. */
    public String callbackUrl() {
        return callbackUrl;
    }

    /** Topic the interactive result is produced to, or null for non-interactive tasks. */
    public String replyTo() {
        return replyTo;
    }

    /** When the sender stops waiting for an interactive answer, or null. */
    public Instant deadline() {
        return deadline;
    }

    /** The Idempotency-Key the event was accepted with, or null. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** When the event was accepted (CloudEvents {@code time}; the record timestamp for plain records). */
    public Instant createdAt() {
        return createdAt;
    }

    /** The running extension's configuration from {@code extension_configs}; an empty object when it has none. */
    public JsonNode config() {
        return config;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof Task t && attempt == t.attempt && id.equals(t.id) && eventId.equals(t.eventId)
                && source.equals(t.source) && topic.equals(t.topic) && kind == t.kind && type.equals(t.type)
                && Arrays.equals(key, t.key) && Arrays.equals(payload, t.payload)
                && Objects.equals(contentType, t.contentType) && createdAt.equals(t.createdAt)
                && Objects.equals(traceId, t.traceId) && Objects.equals(callbackUrl, t.callbackUrl)
                && Objects.equals(replyTo, t.replyTo) && Objects.equals(deadline, t.deadline)
                && Objects.equals(idempotencyKey, t.idempotencyKey) && headers.equals(t.headers)
                && config.equals(t.config);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, attempt);
    }

    @Override
    public String toString() {
        return "Task{id=" + id + ", topic=" + topic + ", kind=" + kind.wireName() + ", type=" + type
                + ", attempt=" + attempt + ", payload=" + payload.length + " bytes"
                + (contentType != null ? " " + contentType : "") + "}";
    }

    /** Builds a {@link Task}; {@link #build()} validates. */
    public static final class Builder {
        private UUID id;
        private String eventId;
        private String source = "conveyor";
        private String topic;
        private TaskKind kind = TaskKind.BACKGROUND;
        private String type;
        private byte[] key;
        private int attempt = 1;
        private byte[] payload;
        private String contentType;
        private Instant createdAt = Instant.now();
        private String traceId;
        private String callbackUrl;
        private String replyTo;
        private Instant deadline;
        private String idempotencyKey;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private JsonNode config;

        private Builder() {}

        public Builder id(UUID id) {
            this.id = id;
            return this;
        }

        /** The CloudEvents id as sent; defaults to the task id's text. */
        public Builder eventId(String eventId) {
            this.eventId = eventId;
            return this;
        }

        public Builder source(String source) {
            this.source = source;
            return this;
        }

        /** Sets the topic, and the type too when none was set. */
        public Builder topic(String topic) {
            this.topic = topic;
            if (type == null) {
                type = topic;
            }
            return this;
        }

        public Builder kind(TaskKind kind) {
            this.kind = kind;
            return this;
        }

        public Builder type(String type) {
            this.type = type;
            return this;
        }

        public Builder key(String key) {
            this.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Builder keyBytes(byte[] key) {
            this.key = key == null ? null : key.clone();
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder payload(byte[] payload) {
            this.payload = payload == null ? null : payload.clone();
            return this;
        }

        /** A UTF-8 text payload with its content type. */
        public Builder payload(String text, String contentType) {
            this.payload = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
            this.contentType = contentType;
            return this;
        }

        public Builder contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        public Builder traceId(String traceId) {
            this.traceId = traceId;
            return this;
        }

        public Builder callbackUrl(String callbackUrl) {
            this.callbackUrl = callbackUrl;
            return this;
        }

        public Builder replyTo(String replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder deadline(Instant deadline) {
            this.deadline = deadline;
            return this;
        }

        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        /** Adds (or replaces) a header carried with the task. */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "header name");
            if (value == null) {
                headers.remove(name);
            } else {
                headers.put(name, value);
            }
            return this;
        }

        public Builder config(JsonNode config) {
            this.config = config;
            return this;
        }

        /**
         * Builds the task.
         *
         * @throws IllegalArgumentException or NullPointerException naming the missing or invalid field
         */
        public Task build() {
            return new Task(this);
        }
    }
}
