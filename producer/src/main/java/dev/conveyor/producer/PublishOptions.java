package dev.conveyor.producer;

import dev.conveyor.schema.TaskKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * How to publish one event: everything but the topic and the payload. Immutable; build with
 * {@link #builder()}. {@link #defaults()} publishes a JSON background event now.
 */
public final class PublishOptions {

    private static final PublishOptions DEFAULTS = builder().build();

    private final UUID id;
    private final String eventId;
    private final Instant createdAt;
    private final String key;
    private final String type;
    private final String source;
    private final String contentType;
    private final TaskKind kind;
    private final Map<String, String> headers;
    private final String callbackUrl;
    private final String traceId;
    private final String idempotencyKey;
    private final Instant scheduleAt;
    private final Duration scheduleIn;

    private PublishOptions(Builder b) {
        this.id = b.id;
        this.eventId = b.eventId;
        this.createdAt = b.createdAt;
        this.key = b.key;
        this.type = b.type;
        this.source = b.source;
        this.contentType = b.contentType;
        this.kind = b.kind;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.callbackUrl = b.callbackUrl;
        this.traceId = b.traceId;
        this.idempotencyKey = b.idempotencyKey;
        this.scheduleAt = b.scheduleAt;
        this.scheduleIn = b.scheduleIn;
        if (scheduleAt != null && scheduleIn != null) {
            throw new IllegalArgumentException("set at most one of scheduleAt and scheduleIn");
        }
    }

    public static PublishOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The task id to use, or null for a new UUIDv7. */
    public UUID id() { return id; }
    /** The CloudEvents id as the sender gave it, or null for the task id's text. */
    public String eventId() { return eventId; }
    /** When the event happened (the CloudEvents time), or null for now (the publisher's clock). */
    public Instant createdAt() { return createdAt; }
    /** The ordering key (Kafka record key), or null. */
    public String key() { return key; }
    /** The event type; defaults to the topic. */
    public String type() { return type; }
    /** The CloudEvents source; defaults to {@code conveyor-publisher}. */
    public String source() { return source; }
    /** Media type of the payload; defaults to {@code application/json}. */
    public String contentType() { return contentType; }
    public TaskKind kind() { return kind; }
    /** Extra record headers. */
    public Map<String, String> headers() { return headers; }
    public String callbackUrl() { return callbackUrl; }
    public String traceId() { return traceId; }
    public String idempotencyKey() { return idempotencyKey; }
    /** Deliver at this time instead of now (via the scheduler), or null. */
    public Instant scheduleAt() { return scheduleAt; }
    /** Deliver after this countdown instead of now (via the scheduler), or null. */
    public Duration scheduleIn() { return scheduleIn; }

    /** Builds {@link PublishOptions}. */
    public static final class Builder {
        private UUID id;
        private String eventId;
        private Instant createdAt;
        private String key;
        private String type;
        private String source = "conveyor-publisher";
        private String contentType = "application/json";
        private TaskKind kind = TaskKind.BACKGROUND;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private String callbackUrl;
        private String traceId;
        private String idempotencyKey;
        private Instant scheduleAt;
        private Duration scheduleIn;

        private Builder() {}

        public Builder id(UUID id) { this.id = id; return this; }
        public Builder eventId(String eventId) { this.eventId = eventId; return this; }
        public Builder createdAt(Instant createdAt) { this.createdAt = createdAt; return this; }
        public Builder key(String key) { this.key = key; return this; }
        public Builder type(String type) { this.type = type; return this; }
        public Builder source(String source) { this.source = Objects.requireNonNull(source, "source"); return this; }
        public Builder contentType(String contentType) { this.contentType = contentType; return this; }
        public Builder kind(TaskKind kind) { this.kind = Objects.requireNonNull(kind, "kind"); return this; }
        public Builder header(String name, String value) { headers.put(name, value); return this; }
        public Builder callbackUrl(String url) { this.callbackUrl = url; return this; }
        public Builder traceId(String traceId) { this.traceId = traceId; return this; }
        public Builder idempotencyKey(String key) { this.idempotencyKey = key; return this; }

        public Builder scheduleAt(Instant at) {
            this.scheduleAt = at;
            return this;
        }

        public Builder scheduleIn(Duration in) {
            if (in != null && in.isNegative()) {
                throw new IllegalArgumentException("scheduleIn must not be negative, was " + in);
            }
            this.scheduleIn = in;
            return this;
        }

        public PublishOptions build() {
            return new PublishOptions(this);
        }
    }
}
