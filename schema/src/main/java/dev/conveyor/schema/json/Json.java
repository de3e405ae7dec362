package dev.conveyor.schema.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.conveyor.schema.PayloadFormatException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Locale;

/**
 * The one Jackson configuration Conveyor uses (ISO-8601 instants, unknown fields ignored), and the
 * readers behind {@link dev.conveyor.schema.Task#json()}.
 */
public final class Json {

    /*
     * Jackson's default buffer recycling is per thread (ThreadLocal): on the virtual threads that
     * serve requests and run extensions, where every task gets a new thread, each parse or write
     * allocated fresh 4-16 KB buffers. A shared bounded pool recycles them across threads.
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedBoundedPool())
                    .build())
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final XmlMapper XML = new XmlMapper();

    private Json() {}

    /** The shared, thread-safe mapper. Do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** A new empty JSON object. */
    public static ObjectNode emptyObject() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** {@code value} as JSON bytes. */
    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses JSON text.
     *
     * @throws PayloadFormatException with the parser's location when it is not valid JSON
     */
    public static JsonNode parse(byte[] json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new PayloadFormatException("empty document where JSON was expected", null);
            }
            return node;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** The one error both {@link #parse} and {@link #requireWellFormed} give for input they refuse. */
    private static PayloadFormatException malformed(IOException e) {
        if (e instanceof JsonProcessingException j) {
            return new PayloadFormatException("invalid JSON: " + j.getOriginalMessage()
                    + (j.getLocation() != null ? " at line " + j.getLocation().getLineNr() + ", column "
                    + j.getLocation().getColumnNr() : ""), j);
        }
        return new PayloadFormatException("unreadable JSON: " + e.getMessage(), e);
    }

    /**
     * Checks that {@code json} is one well-formed JSON document, exactly as {@link #parse} would
     * accept it, without building the tree: the ingress only needs the verdict, and the tree was
     * most of the cost of a small event.
     *
     * @throws PayloadFormatException with the parser's location when it is not valid JSON
     */
    public static void requireWellFormed(byte[] json) {
        try (JsonParser p = MAPPER.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new PayloadFormatException("empty document where JSON was expected", null);
            }
            // skipChildren reads every token of the value (strings included), so every error parse
            // reports is found; what follows the first value is ignored, as parse ignores it.
            p.skipChildren();
            p.finishToken(); // a scalar document (a string) is only read to its end on demand
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * Reads a payload into a Jackson tree according to its media type: JSON (any {@code +json}
     * type too), {@code application/x-www-form-urlencoded} or XML. With no media type, JSON is
     * tried when the payload looks like JSON.
     *
     * @throws PayloadFormatException if the type is none of these or the payload is malformed
     */
    public static JsonNode readPayload(byte[] payload, String contentType) {
        String mediaType = mediaType(contentType);
        if (mediaType == null) {
            if (looksLikeJson(payload)) {
                return parse(payload);
            }
            throw new PayloadFormatException("payload has no content type and is not JSON", null);
        }
        if (isJson(mediaType)) {
            return parse(payload);
        }
        if (mediaType.equals("application/x-www-form-urlencoded")) {
            return parseForm(new String(payload, charset(contentType)));
        }
        if (isXml(mediaType)) {
            return readXml(payload);
        }
        throw new PayloadFormatException("payload of type " + mediaType + " cannot be read as JSON, a form or XML",
                null);
    }

    private static final java.util.regex.Pattern SOAP_ENVELOPE =
            java.util.regex.Pattern.compile("^\\s*(<\\?xml[^>]*\\?>\\s*)?(<!--.*?-->\\s*)*<([A-Za-z_][\\w.-]*:)?Envelope[\\s>/]",
                    java.util.regex.Pattern.DOTALL);

    /**
     * XML as Jackson's XML tree; a SOAP envelope is unwrapped to the content of its Body, which
     * is what a handler wants (the operation element and its fields).
     */
    private static JsonNode readXml(byte[] payload) {
        JsonNode tree;
        try {
            tree = XML.readTree(payload);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new PayloadFormatException("invalid XML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() : ""), e);
        } catch (IOException e) {
            throw new PayloadFormatException("invalid XML: " + e.getMessage(), e);
        }
        if (tree != null && tree.has("Body")) {
            String head = new String(payload, 0, Math.min(payload.length, 512), java.nio.charset.StandardCharsets.UTF_8);
            if (SOAP_ENVELOPE.matcher(head).find()) {
                return tree.get("Body");
            }
        }
        return tree;
    }

    /** The media type of a Content-Type value, lower case, without parameters; null for null or blank. */
    public static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** True for {@code application/json}, {@code text/json} and any {@code +json} type. */
    public static boolean isJson(String mediaType) {
        return mediaType != null && (mediaType.equals("application/json") || mediaType.equals("text/json")
                || mediaType.endsWith("+json"));
    }

    /** True for {@code application/xml}, {@code text/xml} and any {@code +xml} type (SOAP included). */
    public static boolean isXml(String mediaType) {
        return mediaType != null && (mediaType.equals("application/xml") || mediaType.equals("text/xml")
                || mediaType.endsWith("+xml"));
    }

    /**
     * Cheap sniff for payloads without a content type: the first non-blank byte opens an object or
     * array. Used to label plain Kafka records; a wrong guess only changes the label, never data.
     */
    public static boolean looksLikeJson(byte[] payload) {
        if (payload == null) {
            return false;
        }
        for (byte b : payload) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                continue;
            }
            return b == '{' || b == '[';
        }
        return false;
    }

    private static ObjectNode parseForm(String body) {
        ObjectNode form = emptyObject();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new PayloadFormatException("invalid form encoding near '" + pair + "': " + e.getMessage(), e);
            }
            JsonNode existing = form.get(name);
            if (existing == null) {
                form.put(name, value);
            } else if (existing.isArray()) {
                ((ArrayNode) existing).add(value);
            } else {
                ArrayNode values = form.arrayNode().add(existing).add(value);
                form.set(name, values);
            }
        }
        return form;
    }

    private static Charset charset(String contentType) {
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                try {
                    return Charset.forName(p.substring(8).replace("\"", "").trim());
                } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                    throw new PayloadFormatException("unsupported charset in content type '" + contentType + "'", e);
                }
            }
        }
        return StandardCharsets.UTF_8;
    }
}
