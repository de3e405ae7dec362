package dev.conveyor.schema.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.TaskStatus;
import dev.conveyor.schema.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Records for the trace topic: one JSON object per status transition of a task that carries a
 * trace id, keyed by that trace id (so one trace's records stay in order on one partition).
 */
public final class TraceRecords {

    private TraceRecords() {}

    /**
     * One transition of one task, as the trace topic carries it.
     *
     * @param from the status before, or null when the task had no row
     * @param reason why the transition happened (a failure's message), or null
     * @param node the worker node that made the transition
     */
    public record Trace(UUID taskId, String traceId, String topic, TaskStatus from, TaskStatus to, Instant at,
            int attempt, String reason, String node) {}

    /** The record of {@code trace} on {@code traceTopic}. */
    public static ProducerRecord<byte[], byte[]> of(Trace trace, String traceTopic) {
        var json = Json.emptyObject()
                .put("taskId", trace.taskId().toString())
                .put("traceId", trace.traceId())
                .put("topic", trace.topic())
                .put("from", trace.from() == null ? null : trace.from().wireName())
                .put("to", trace.to().wireName())
                .put("at", trace.at().toString())
                .put("attempt", trace.attempt())
                .put("reason", trace.reason())
                .put("node", trace.node());
        return new ProducerRecord<>(traceTopic, utf8(trace.traceId()), utf8(json.toString()));
    }

    /** Reads a trace record back (for tools and tests that follow a trace). */
    public static Trace read(ConsumerRecord<byte[], byte[]> record) {
        JsonNode json = Json.parse(record.value());
        return new Trace(UUID.fromString(json.get("taskId").asText()), text(json, "traceId"), text(json, "topic"),
                json.hasNonNull("from") ? TaskStatus.fromWire(json.get("from").asText()) : null,
                TaskStatus.fromWire(json.get("to").asText()), Instant.parse(json.get("at").asText()),
                json.get("attempt").asInt(), text(json, "reason"), text(json, "node"));
    }

    private static String text(JsonNode json, String field) {
        return json.hasNonNull(field) ? json.get(field).asText() : null;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
