package dev.conveyor.schema.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.schema.InteractiveResult;
import dev.conveyor.schema.ScheduledResult;
import dev.conveyor.schema.Task;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * JSON forms of tasks and results: the {@code tasks.result} column, interactive replies, trace
 * records, callbacks and the REST API all use these shapes. Every {@code toJson} has a reader
 * that gives back an equal value; readers name the field when the JSON is wrong.
 *
 * <pre>
 * {"type":"done"}
 * {"type":"fail","output":"card declined"}
 * {"type":"skip","output":"duplicate"}
 * {"type":"reschedule","countdown":"PT30S"}
 * {"type":"slow_reschedule","countdown":"PT5M"}
 * {"type":"interactive","success":true,"status":200,"headers":{},"body":{...}}
 * {"type":"scheduled_done"} / {"type":"scheduled_fail","output":"..."}
 * </pre>
 */
public final class JsonCodec {

    private JsonCodec() {}

    // ---- TaskResult ------------------------------------------------------------------------

    public static ObjectNode toJson(TaskResult result) {
        ObjectNode node = Json.emptyObject();
        switch (result) {
            case TaskResult.Done d -> node.put("type", "done");
            case TaskResult.Fail f -> node.put("type", "fail").put("output", f.output());
            case TaskResult.Skip s -> node.put("type", "skip").put("output", s.output());
            case TaskResult.Reschedule r -> node.put("type", "reschedule").put("countdown", r.countdown().toString());
            case TaskResult.SlowReschedule r ->
                    node.put("type", "slow_reschedule").put("countdown", r.countdown().toString());
        }
        return node;
    }

    /** @throws IllegalArgumentException naming the field when {@code node} is not a task result */
    public static TaskResult taskResult(JsonNode node) {
        String type = requiredText(node, "type");
        return switch (type) {
            case "done" -> TaskResult.done();
            case "fail" -> TaskResult.fail(optionalText(node, "output"));
            case "skip" -> TaskResult.skip(optionalText(node, "output"));
            case "reschedule" -> TaskResult.reschedule(duration(node, "countdown"));
            case "slow_reschedule" -> TaskResult.slowProcessReschedule(duration(node, "countdown"));
            default -> throw new IllegalArgumentException("type '" + type
                    + "' is not a task result (done, fail, skip, reschedule, slow_reschedule)");
        };
    }

    // ---- ScheduledResult -------------------------------------------------------------------

    public static ObjectNode toJson(ScheduledResult result) {
        ObjectNode node = Json.emptyObject();
        switch (result) {
            case ScheduledResult.Done d -> node.put("type", "scheduled_done");
            case ScheduledResult.Fail f -> node.put("type", "scheduled_fail").put("output", f.output());
        }
        return node;
    }

    /** @throws IllegalArgumentException naming the field when {@code node} is not a scheduled result */
    public static ScheduledResult scheduledResult(JsonNode node) {
        String type = requiredText(node, "type");
        return switch (type) {
            case "scheduled_done" -> ScheduledResult.done();
            case "scheduled_fail" -> ScheduledResult.fail(optionalText(node, "output"));
            default -> throw new IllegalArgumentException("type '" + type
                    + "' is not a scheduled result (scheduled_done, scheduled_fail)");
        };
    }

    // ---- InteractiveResult -----------------------------------------------------------------

    /**
     * The interactive result as JSON. The body keeps its Java shape across a round trip: a
     * {@code String} is written as {@code "body"} with {@code "bodyEncoding":"text"}, a
     * {@code byte[]} as base64 in {@code "bodyBase64"}, anything else as a JSON value.
     */
    public static ObjectNode toJson(InteractiveResult result) {
        ObjectNode node = Json.emptyObject()
                .put("type", "interactive")
                .put("success", result.success())
                .put("status", result.httpStatus());
        ObjectNode headers = node.putObject("headers");
        result.headers().forEach(headers::put);
        Object body = result.body();
        if (body instanceof String text) {
            node.put("bodyEncoding", "text").put("body", text);
        } else if (body instanceof byte[] bytes) {
            node.put("bodyEncoding", "base64").put("bodyBase64", Base64.getEncoder().encodeToString(bytes));
        } else if (body != null) {
            node.put("bodyEncoding", "json").set("body", Json.mapper().valueToTree(body));
        }
        if (result.output() != null) {
            node.put("output", result.output());
        }
        return node;
    }

    /** @throws IllegalArgumentException naming the field when {@code node} is not an interactive result */
    public static InteractiveResult interactiveResult(JsonNode node) {
        String type = requiredText(node, "type");
        if (!type.equals("interactive")) {
            throw new IllegalArgumentException("type '" + type + "' is not an interactive result");
        }
        JsonNode status = node.get("status");
        if (status == null || !status.canConvertToInt()) {
            throw new IllegalArgumentException("status must be an HTTP status code");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode headerNode = node.path("headers");
        for (Iterator<Map.Entry<String, JsonNode>> it = headerNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            headers.put(e.getKey(), e.getValue().asText());
        }
        String encoding = optionalText(node, "bodyEncoding");
        Object body;
        if (encoding == null) {
            body = null;
        } else {
            body = switch (encoding) {
                case "text" -> requiredText(node, "body");
                case "base64" -> base64(node, "bodyBase64");
                case "json" -> node.get("body");
                default -> throw new IllegalArgumentException("bodyEncoding '" + encoding
                        + "' is not one of text, base64, json");
            };
        }
        return new InteractiveResult(node.path("success").asBoolean(false), status.asInt(), headers, body,
                optionalText(node, "output"));
    }

    /**
     * The bytes and media type an interactive body is sent as: a {@code String} as UTF-8 text,
     * a {@code byte[]} as is, anything else as JSON. A {@code Content-Type} header in the result wins.
     */
    public static RenderedBody render(InteractiveResult result) {
        String explicit = null;
        for (Map.Entry<String, String> h : result.headers().entrySet()) {
            if (h.getKey().equalsIgnoreCase("Content-Type")) {
                explicit = h.getValue();
            }
        }
        Object body = result.body();
        if (body == null) {
            return new RenderedBody(new byte[0], explicit);
        }
        if (body instanceof String text) {
            return new RenderedBody(text.getBytes(StandardCharsets.UTF_8),
                    explicit != null ? explicit : "text/plain; charset=utf-8");
        }
        if (body instanceof byte[] bytes) {
            return new RenderedBody(bytes.clone(), explicit != null ? explicit : "application/octet-stream");
        }
        return new RenderedBody(Json.toBytes(body), explicit != null ? explicit : "application/json");
    }

    /** An HTTP body ready to send. {@code contentType} is null for an empty body without a declared type. */
    public record RenderedBody(byte[] bytes, String contentType) {}

    // ---- Task ------------------------------------------------------------------------------

    /**
     * The task as JSON, for callbacks, traces and the REST API. The payload is embedded as JSON
     * when it is JSON, as text when its type is textual, else as base64 in {@code payloadBase64}.
     * {@link #task(JsonNode)} reads it back.
     */
    public static ObjectNode toJson(Task task) {
        ObjectNode node = Json.emptyObject()
                .put("id", task.id().toString())
                .put("eventId", task.eventId())
                .put("source", task.source())
                .put("topic", task.topic())
                .put("kind", task.kind().wireName())
                .put("type", task.type())
                .put("attempt", task.attempt())
                .put("createdAt", task.createdAt().toString());
        putIfNotNull(node, "key", task.key());
        putIfNotNull(node, "contentType", task.contentType());
        putIfNotNull(node, "traceId", task.traceId());
        putIfNotNull(node, "callbackUrl", task.callbackUrl());
        putIfNotNull(node, "replyTo", task.replyTo());
        putIfNotNull(node, "deadline", task.deadline() == null ? null : task.deadline().toString());
        putIfNotNull(node, "idempotencyKey", task.idempotencyKey());
        if (!task.headers().isEmpty()) {
            ObjectNode headers = node.putObject("headers");
            task.headers().forEach(headers::put);
        }
        byte[] payload = task.payload();
        String mediaType = Json.mediaType(task.contentType());
        JsonNode asJson = Json.isJson(mediaType) ? tryParse(payload) : null;
        if (asJson != null) {
            node.set("payload", asJson);
            node.put("payloadEncoding", "json");
        } else if (isText(mediaType)) {
            node.put("payload", new String(payload, StandardCharsets.UTF_8));
            node.put("payloadEncoding", "text");
        } else {
            node.put("payloadBase64", Base64.getEncoder().encodeToString(payload));
            node.put("payloadEncoding", "base64");
        }
        return node;
    }

    /** Reads {@link #toJson(Task)} back. @throws IllegalArgumentException naming the field that is wrong */
    public static Task task(JsonNode node) {
        Task.Builder b = Task.builder();
        String id = requiredText(node, "id");
        try {
            b.id(UUID.fromString(id));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("id '" + id + "' is not a UUID");
        }
        b.eventId(optionalText(node, "eventId"))
                .source(requiredText(node, "source"))
                .topic(requiredText(node, "topic"))
                .type(requiredText(node, "type"))
                .kind(TaskKind.fromWire(requiredText(node, "kind")))
                .attempt(node.path("attempt").asInt(1))
                .createdAt(instant(node, "createdAt"))
                .key(optionalText(node, "key"))
                .contentType(optionalText(node, "contentType"))
                .traceId(optionalText(node, "traceId"))
                .callbackUrl(optionalText(node, "callbackUrl"))
                .replyTo(optionalText(node, "replyTo"))
                .idempotencyKey(optionalText(node, "idempotencyKey"));
        if (node.hasNonNull("deadline")) {
            b.deadline(instant(node, "deadline"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("headers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            b.header(e.getKey(), e.getValue().asText());
        }
        String encoding = node.path("payloadEncoding").asText("base64");
        switch (encoding) {
            case "json" -> b.payload(Json.toBytes(node.get("payload")));
            case "text" -> b.payload(requiredText(node, "payload").getBytes(StandardCharsets.UTF_8));
            case "base64" -> b.payload(node.hasNonNull("payloadBase64") ? base64(node, "payloadBase64") : new byte[0]);
            default -> throw new IllegalArgumentException("payloadEncoding '" + encoding
                    + "' is not one of json, text, base64");
        }
        return b.build();
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static boolean isText(String mediaType) {
        return mediaType != null && (mediaType.startsWith("text/") || Json.isXml(mediaType)
                || mediaType.equals("application/x-www-form-urlencoded"));
    }

    private static JsonNode tryParse(byte[] payload) {
        try {
            return Json.mapper().readTree(payload);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static void putIfNotNull(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String requiredText(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull() || !value.isTextual()) {
            throw new IllegalArgumentException(field + " is missing or not a string");
        }
        return value.asText();
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Duration duration(JsonNode node, String field) {
        String text = requiredText(node, field);
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " '" + text + "' is not an ISO-8601 duration such as PT30S");
        }
    }

    private static Instant instant(JsonNode node, String field) {
        String text = requiredText(node, field);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " '" + text + "' is not an ISO-8601 instant");
        }
    }

    private static byte[] base64(JsonNode node, String field) {
        try {
            return Base64.getDecoder().decode(requiredText(node, field));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not valid base64");
        }
    }
}
