package dev.conveyor.worker.outbound;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The body of a notification: a JSON document whose string values may contain parameters such
 * as {@code {task.id}}, replaced by the task's values when the notification is sent. Values are
 * inserted into JSON strings, so quotes and newlines in an output are escaped, never able to
 * change the document's shape. A string that is exactly one parameter becomes the value's own
 * JSON type: {@code "{task.attempt}"} a number, a missing value {@code null}.
 *
 * <pre>{@code
 * // notifications: [ { ..., payload: { text: "{task.topic} {task.id}: {task.output}" } } ]
 * PayloadTemplate t = PayloadTemplate.parse(payloadTree);
 * t.render(Map.of("task.topic", "orders", "task.id", "0190...", "task.output", "card \"declined\""));
 * // {"text":"orders 0190...: card \"declined\""}
 * }</pre>
 */
public final class PayloadTemplate {

    /** Every parameter a template may use. */
    public static final Set<String> PARAMETERS = Set.of("task.id", "task.topic", "task.status", "task.output",
            "task.attempt", "task.type", "task.trace_id", "task.finished_at");

    /** Anything that looks like a parameter: {@code {task.<name>}}. Other braces are left alone. */
    private static final Pattern PARAMETER = Pattern.compile("\\{(task\\.[^{}\\s]*)}");

    private final JsonNode template;

    private PayloadTemplate(JsonNode template) {
        this.template = template;
    }

    /**
     * @throws IllegalArgumentException {@code unknown parameter {task.foo}} for a parameter not in {@link #PARAMETERS}
     */
    public static PayloadTemplate parse(JsonNode template) {
        Objects.requireNonNull(template, "template");
        check(template);
        return new PayloadTemplate(template.deepCopy());
    }

    /** The default body: the task's fields under their parameter names. */
    public static PayloadTemplate defaults() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", "{task.id}").put("topic", "{task.topic}").put("type", "{task.type}")
                .put("status", "{task.status}").put("attempt", "{task.attempt}").put("output", "{task.output}")
                .put("traceId", "{task.trace_id}").put("finishedAt", "{task.finished_at}");
        return new PayloadTemplate(o);
    }

    private static void check(JsonNode node) {
        if (node.isTextual()) {
            Matcher m = PARAMETER.matcher(node.textValue());
            while (m.find()) {
                if (!PARAMETERS.contains(m.group(1))) {
                    throw new IllegalArgumentException("unknown parameter {" + m.group(1) + "}; known: "
                            + new java.util.TreeSet<>(PARAMETERS).stream().map(p -> "{" + p + "}").toList());
                }
            }
        } else {
            node.forEach(PayloadTemplate::check);
        }
    }

    /**
     * The body for one task.
     *
     * @param values parameter name (without braces) to value; a missing or null value is empty
     *     inside a longer string and {@code null} as a whole string
     */
    public JsonNode render(Map<String, String> values) {
        return render(template, values);
    }

    private static JsonNode render(JsonNode node, Map<String, String> values) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (node.isTextual()) {
            String text = node.textValue();
            Matcher whole = PARAMETER.matcher(text);
            if (whole.matches()) {
                String v = values.get(whole.group(1));
                if (v == null) {
                    return f.nullNode();
                }
                if (whole.group(1).equals("task.attempt")) {
                    try {
                        return f.numberNode(Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        return f.textNode(v);
                    }
                }
                return f.textNode(v);
            }
            Matcher m = PARAMETER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(out, Matcher.quoteReplacement(Objects.requireNonNullElse(values.get(m.group(1)), "")));
            }
            m.appendTail(out);
            return f.textNode(out.toString());
        }
        if (node.isObject()) {
            ObjectNode o = f.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                o.set(e.getKey(), render(e.getValue(), values));
            }
            return o;
        }
        if (node.isArray()) {
            ArrayNode a = f.arrayNode();
            node.forEach(n -> a.add(render(n, values)));
            return a;
        }
        return node;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PayloadTemplate other && template.equals(other.template);
    }

    @Override
    public int hashCode() {
        return template.hashCode();
    }

    @Override
    public String toString() {
        return template.toString();
    }
}
