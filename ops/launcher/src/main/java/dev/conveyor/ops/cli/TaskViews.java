package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** How tasks look on a terminal: the list table and the {@code show} page. */
final class TaskViews {

    /** Width of the OUTPUT column of the list (the API sends at most 200 characters). */
    static final int OUTPUT_WIDTH = 60;
    /** Lines of the payload preview {@code show} prints. */
    static final int PREVIEW_LINES = 40;
    /** Fields {@code show} prints in this order; any other scalar field the API adds follows them. */
    private static final List<String> SHOW_FIELDS = List.of("id", "topic", "extension", "kind", "type", "status",
            "attempt", "reschedules", "output", "contentType", "callbackUrl", "traceId", "idempotencyKey",
            "createdAt", "updatedAt", "startedAt", "finishedAt", "nextRunAt");
    private static final Set<String> SHOWN_APART = Set.of("result", "payloadBytes", "payloadPreview",
            "payloadTruncated", "transitions");
    private static final Set<String> TIMES = Set.of("createdAt", "updatedAt", "startedAt", "finishedAt", "nextRunAt");

    private TaskViews() {}

    /** The summaries of a {@code GET /v1/tasks} page as a table, one task a line. */
    static String list(Iterable<JsonNode> tasks) {
        Table table = new Table("ID", "TOPIC", "KIND", "STATUS", "ATTEMPT", "CREATED", "UPDATED", "OUTPUT")
                .alignRight(4)
                .maxWidth(7, OUTPUT_WIDTH);
        for (JsonNode t : tasks) {
            table.row(text(t, "id"), text(t, "topic"), text(t, "kind"), text(t, "status"), text(t, "attempt"),
                    time(text(t, "createdAt")), time(text(t, "updatedAt")), text(t, "output"));
        }
        return table.render();
    }

    /** A task of {@code GET /v1/tasks/{id}}: aligned fields, the payload preview, the transitions. */
    static String show(JsonNode task) {
        List<String[]> fields = new ArrayList<>();
        for (String name : SHOW_FIELDS) {
            if (task.has(name)) {
                fields.add(new String[] {name, TIMES.contains(name) ? time(text(task, name)) : text(task, name)});
            }
        }
        for (Iterator<String> it = task.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!SHOW_FIELDS.contains(name) && !SHOWN_APART.contains(name) && task.get(name).isValueNode()) {
                fields.add(new String[] {name, text(task, name)});
            }
        }
        if (task.hasNonNull("result")) {
            fields.add(new String[] {"result", task.get("result").toString()});
        }
        fields.add(new String[] {"payload", payloadSummary(task)});
        int width = fields.stream().mapToInt(f -> f[0].length()).max().orElse(0) + 1;
        StringBuilder out = new StringBuilder();
        for (String[] f : fields) {
            String value = f[1] == null ? "-" : f[1];
            String indent = " ".repeat(width + 1);
            out.append(pad(f[0] + ":", width)).append(' ')
                    .append(String.join("\n" + indent, value.lines().toList())).append('\n');
        }
        String preview = text(task, "payloadPreview");
        if (preview != null && !preview.isEmpty()) {
            List<String> lines = preview.lines().toList();
            for (String line : lines.subList(0, Math.min(lines.size(), PREVIEW_LINES))) {
                out.append("  ").append(line).append('\n');
            }
            if (lines.size() > PREVIEW_LINES) {
                out.append("  … ").append(lines.size() - PREVIEW_LINES).append(" more line(s)\n");
            }
        }
        out.append('\n');
        JsonNode transitions = task.path("transitions");
        if (transitions.isEmpty()) {
            out.append("transitions: none recorded\n");
        } else {
            out.append("transitions:\n");
            Table table = new Table("SEQ", "FROM", "TO", "AT", "ATTEMPT", "NODE", "REASON")
                    .alignRight(0).alignRight(4).maxWidth(6, 80);
            for (JsonNode tr : transitions) {
                table.row(text(tr, "seq"), text(tr, "from"), text(tr, "to"), time(text(tr, "at")), text(tr, "attempt"),
                        text(tr, "node"), text(tr, "reason"));
            }
            out.append(table.render());
        }
        return out.toString();
    }

    private static String payloadSummary(JsonNode task) {
        if (!task.hasNonNull("payloadBytes")) {
            return null;
        }
        long bytes = task.get("payloadBytes").asLong();
        String type = text(task, "contentType");
        String summary = bytes + " bytes" + (type == null ? "" : ", " + type);
        if (!task.hasNonNull("payloadPreview")) {
            return summary + " (not text, not shown)";
        }
        return task.path("payloadTruncated").asBoolean(false) ? summary + " (preview of the start)" : summary;
    }

    /** A field as text, null when absent or JSON null. */
    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** An RFC 3339 instant to the second ({@code 2026-11-22T19:59:58Z}); other text unchanged. */
    static String time(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return value;
        }
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
