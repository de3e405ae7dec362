package dev.conveyor.schema.kafka;

/**
 * Kafka header names of a task record: the CloudEvents Kafka binding (binary content mode) plus
 * Conveyor's own. All values are UTF-8 text.
 */
public final class ConveyorHeaders {

    /** Prefix of CloudEvents attributes in binary mode. */
    public static final String CE_PREFIX = "ce_";
    /** CloudEvents spec version; Conveyor writes {@code 1.0} and reads {@code 1.0} and {@code 0.3}. */
    public static final String CE_SPECVERSION = "ce_specversion";
    /** CloudEvents id: the task id as UUIDv7 text for Conveyor's own events. */
    public static final String CE_ID = "ce_id";
    /** CloudEvents source: who produced the event. */
    public static final String CE_SOURCE = "ce_source";
    /** CloudEvents type: the event type. */
    public static final String CE_TYPE = "ce_type";
    /** CloudEvents time: when the event was accepted (RFC 3339). */
    public static final String CE_TIME = "ce_time";
    /** Media type of the record value (the CloudEvents {@code datacontenttype} in binary mode). */
    public static final String CONTENT_TYPE = "content-type";

    /** Task kind: background, interactive, scheduled or webhook (default background). */
    public static final String KIND = "conveyor_kind";
    /** Delivery number, 1 on first delivery (default 1). */
    public static final String ATTEMPT = "conveyor_attempt";
    /** URL the final task record is POSTed to. */
    public static final String CALLBACK_URL = "conveyor_callback_url";
    /** Trace id: every transition is also published to the trace topic. */
    public static final String TRACE_ID = "conveyor_trace_id";
    /** Topic the interactive result is produced to. */
    public static final String REPLY_TO = "conveyor_reply_to";
    /** When the interactive caller stops waiting (RFC 3339). */
    public static final String DEADLINE = "conveyor_deadline";
    /** The Idempotency-Key the event was accepted with. */
    public static final String IDEMPOTENCY_KEY = "conveyor_idempotency_key";
    /**
     * Not to be run before this time (RFC 3339). The scheduler sends a due delivery a little ahead
     * of its due time with this header; the worker holds the record until then. A transport
     * header: it is not part of the task and is not copied when the task is produced again.
     */
    public static final String NOT_BEFORE = "conveyor_not_before";

    /** CloudEvents spec version Conveyor writes. */
    public static final String SPEC_VERSION = "1.0";

    /** Media type of a structured-mode CloudEvent in JSON format. */
    public static final String STRUCTURED_JSON = "application/cloudevents+json";

    private ConveyorHeaders() {}
}
