package dev.conveyor.producer.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conveyor.schema.PayloadFormatException;
import dev.conveyor.schema.json.Json;
import io.helidon.http.Header;
import io.helidon.http.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The event in an HTTP request: a plain body (JSON, form, XML/SOAP, or any bytes with their
 * content type) or a CloudEvent in the HTTP binding (binary mode: {@code ce-*} headers; structured
 * mode: {@code application/cloudevents+json}). Well-formedness is checked here, so a malformed
 * body is refused with its position and never enqueued.
 *
 * @param payload the event data
 * @param contentType its media type (null when unknown)
 * @param ceId CloudEvents id, or null for a plain body
 * @param ceSource CloudEvents source, or null
 * @param ceType CloudEvents type, or null
 * @param ceTime CloudEvents time, or null
 * @param extensions other CloudEvents attributes, as {@code ce_<name>} headers
 */
record EventBody(byte[] payload, String contentType, String ceId, String ceSource, String ceType, Instant ceTime,
        Map<String, String> extensions) {

    private static final Set<String> STRUCTURED_FIELDS =
            Set.of("specversion", "id", "source", "type", "time", "datacontenttype", "data", "data_base64");

    static EventBody parse(Headers headers, byte[] body) {
        String contentType = headers.first(io.helidon.http.HeaderNames.CONTENT_TYPE).orElse(null);
        String mediaType = Json.mediaType(contentType);
        if (mediaType != null && mediaType.startsWith("application/cloudevents")) {
            return structured(mediaType, body);
        }
        if (headers.contains(io.helidon.http.HeaderNames.create("ce-specversion"))) {
            return binary(headers, body, contentType);
        }
        if (mediaType == null) {
            contentType = body.length == 0 ? null : "application/octet-stream";
        }
        validate(body, contentType);
        return new EventBody(body, contentType, null, null, null, null, Map.of());
    }

    private static EventBody binary(Headers headers, byte[] body, String contentType) {
        Map<String, String> ce = new LinkedHashMap<>();
        for (Header h : headers) {
            String name = h.name().toLowerCase(Locale.ROOT);
            if (name.startsWith("ce-")) {
                ce.put(name.substring(3), h.get());
            }
        }
        String version = ce.remove("specversion");
        if (!"1.0".equals(version) && !"0.3".equals(version)) {
            throw HttpError.badHeader("ce-specversion", "'" + version + "' is not a known CloudEvents version (1.0, 0.3)");
        }
        String id = required(ce.remove("id"), "ce-id");
        String source = required(ce.remove("source"), "ce-source");
        String type = required(ce.remove("type"), "ce-type");
        String time = ce.remove("time");
        Instant at = time == null ? null : time(time, "ce-time");
        validate(body, contentType);
        Map<String, String> extensions = new LinkedHashMap<>();
        ce.forEach((k, v) -> extensions.put("ce_" + k, v));
        return new EventBody(body, contentType, id, source, type, at, extensions);
    }

    private static EventBody structured(String mediaType, byte[] body) {
        if (!mediaType.equals("application/cloudevents+json")) {
            throw new HttpError(415, "unsupported media type", "only single CloudEvents in application/cloudevents+json "
                    + "are accepted, not " + mediaType);
        }
        JsonNode event = parseJson(body);
        if (!event.isObject()) {
            throw HttpError.badRequest("malformed body", "a structured CloudEvent must be a JSON object");
        }
        String version = text(event, "specversion");
        if (!"1.0".equals(version) && !"0.3".equals(version)) {
            throw HttpError.badRequest("malformed body", "specversion '" + version + "' is not a known CloudEvents version");
        }
        String id = requiredField(event, "id");
        String source = requiredField(event, "source");
        String type = requiredField(event, "type");
        String time = text(event, "time");
        String contentType = text(event, "datacontenttype");
        byte[] payload;
        JsonNode data = event.get("data");
        JsonNode base64 = event.get("data_base64");
        if (base64 != null && !base64.isNull()) {
            try {
                payload = Base64.getDecoder().decode(base64.asText());
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("malformed body", "data_base64 is not valid base64");
            }
        } else if (data == null || data.isNull()) {
            payload = new byte[0];
        } else if (data.isTextual() && !Json.isJson(Json.mediaType(contentType))) {
            payload = data.asText().getBytes(StandardCharsets.UTF_8);
        } else {
            payload = Json.toBytes(data);
            contentType = contentType == null ? "application/json" : contentType;
        }
        Map<String, String> extensions = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = event.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> a = it.next();
            if (!STRUCTURED_FIELDS.contains(a.getKey()) && !a.getValue().isNull()) {
                extensions.put("ce_" + a.getKey(), a.getValue().isValueNode() ? a.getValue().asText() : a.getValue().toString());
            }
        }
        return new EventBody(payload, contentType, id, source, type, time == null ? null : time(time, "time"), extensions);
    }

    /** Refuses a JSON, form or XML body that does not parse, naming where. */
    private static void validate(byte[] body, String contentType) {
        String mediaType = Json.mediaType(contentType);
        if (mediaType == null) {
            return;
        }
        boolean structuredType = Json.isJson(mediaType) || Json.isXml(mediaType)
                || mediaType.equals("application/x-www-form-urlencoded");
        if (!structuredType) {
            return;
        }
        if (body.length == 0 && !Json.isJson(mediaType)) {
            return;
        }
        try {
            if (Json.isJson(mediaType)) {
                Json.requireWellFormed(body); // the verdict of readPayload, without the tree
            } else {
                Json.readPayload(body, contentType);
            }
        } catch (PayloadFormatException e) {
            throw HttpError.badRequest("malformed body", e.getMessage());
        }
    }

    private static JsonNode parseJson(byte[] body) {
        try {
            return Json.parse(body);
        } catch (PayloadFormatException e) {
            throw HttpError.badRequest("malformed body", e.getMessage());
        }
    }

    private static Instant time(String value, String name) {
        try {
            return OffsetDateTime.parse(value.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw HttpError.badHeader(name, "'" + value + "' is not an RFC 3339 timestamp");
        }
    }

    private static String required(String value, String header) {
        if (value == null || value.isBlank()) {
            throw HttpError.badHeader(header, "required for a CloudEvent in binary mode");
        }
        return value;
    }

    private static String requiredField(JsonNode event, String field) {
        String value = text(event, field);
        if (value == null || value.isBlank()) {
            throw HttpError.badRequest("malformed body", field + " is missing: a CloudEvent must carry it");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Whether this came as a CloudEvent. */
    boolean isCloudEvent() {
        return ceId != null;
    }
}
