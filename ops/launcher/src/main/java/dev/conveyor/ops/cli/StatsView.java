package dev.conveyor.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /v1/stats} on a terminal: counts per topic with the consumer lag and, from an ingress
 * that reports it per topic, the age of the topic's oldest queued task; then the queue's health in
 * a few lines.
 */
final class StatsView {

    /** The statuses in the order of a task's life; a status the API adds later follows them. */
    static final List<String> STATUSES = List.of("queued", "running", "rescheduled", "done", "failed", "skipped",
            "cancelled", "dead");

    private StatsView() {}

    static String render(JsonNode stats) {
        JsonNode totals = stats.path("totals");
        List<String> columns = nonZeroStatuses(stats);
        List<String> headers = new ArrayList<>();
        headers.add("TOPIC");
        columns.forEach(s -> headers.add(s.toUpperCase(Locale.ROOT)));
        headers.add("LAG");
        boolean ages = hasAgesPerTopic(stats);
        if (ages) {
            headers.add("OLDEST QUEUED");
        }
        Table table = new Table(headers.toArray(String[]::new));
        for (int i = 1; i < headers.size(); i++) {
            table.alignRight(i);
        }
        for (JsonNode topic : stats.path("topics")) {
            table.row(row(TaskViews.text(topic, "topic"), topic.path("counts"), columns, topic.get("lag"), ages, topic));
        }
        table.row(row("TOTAL", totals, columns, stats.path("lag").get("total"), ages, stats));
        StringBuilder out = new StringBuilder(table.render()).append('\n');

        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"oldest queued", oldestQueued(stats)});
        lines.add(new String[] {"scheduled", scheduled(stats.path("scheduled"))});
        lines.add(new String[] {"consumer lag", lag(stats.path("lag"))});
        JsonNode throughput = stats.path("throughput");
        if (!throughput.isEmpty()) {
            lines.add(new String[] {"finished/min", perMinute(throughput, "finished")});
            lines.add(new String[] {"failed/min", perMinute(throughput, "failed")});
            lines.add(new String[] {"", throughputSummary(throughput)});
        }
        JsonNode storage = stats.path("storage");
        if (!storage.isMissingNode()) {
            lines.add(new String[] {"storage", storage(storage)});
        }
        lines.add(new String[] {"as of", TaskViews.time(TaskViews.text(stats, "at"))});
        for (String[] line : lines) {
            out.append(String.format("%-14s %s", line[0], line[1] == null ? "-" : line[1]).stripTrailing())
                    .append('\n');
        }
        return out.toString();
    }

    /** "12.3 MB (tasks 8.1 MB ~40000 rows, task_transitions 4.2 MB ~120000 rows, …), oldest task 2026-11-25 10:00:00Z". */
    static String storage(JsonNode storage) {
        List<String> tables = new ArrayList<>();
        storage.path("tables").forEach(t -> tables.add(TaskViews.text(t, "table") + " " + size(t.path("bytes").asLong())
                + (t.path("rowsEstimate").isNumber() ? " ~" + t.path("rowsEstimate").asLong() + " rows" : "")));
        String oldest = TaskViews.time(TaskViews.text(storage, "oldestTaskAt"));
        return size(storage.path("bytes").asLong()) + " (" + String.join(", ", tables) + "), oldest task "
                + (oldest == null ? "none" : oldest);
    }

    static String size(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int i = 0;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return i == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    /** The statuses with a non-zero total (or, lacking totals, a non-zero count in some topic). */
    static List<String> nonZeroStatuses(JsonNode stats) {
        Set<String> seen = new LinkedHashSet<>(STATUSES);
        List<JsonNode> countSets = new ArrayList<>();
        countSets.add(stats.path("totals"));
        stats.path("topics").forEach(t -> countSets.add(t.path("counts")));
        countSets.forEach(c -> c.fieldNames().forEachRemaining(seen::add));
        List<String> out = new ArrayList<>();
        for (String status : seen) {
            if (countSets.stream().anyMatch(c -> c.path(status).asLong(0) != 0)) {
                out.add(status);
            }
        }
        return out;
    }

    /**
     * Whether the answer has each topic's oldest queued task (an ingress older than that field has
     * only the overall one; the column is then left out rather than shown empty).
     */
    static boolean hasAgesPerTopic(JsonNode stats) {
        for (JsonNode topic : stats.path("topics")) {
            if (topic.has("oldestQueuedAgeSeconds")) {
                return true;
            }
        }
        return false;
    }

    /**
     * One line of the table: name, counts, lag and, with {@code ages}, the age of the oldest queued
     * task that {@code withAge} (a topic, or the whole answer for the total) reports.
     */
    private static Object[] row(String name, JsonNode counts, List<String> columns, JsonNode lag, boolean ages,
            JsonNode withAge) {
        Object[] cells = new Object[columns.size() + (ages ? 3 : 2)];
        cells[0] = name;
        for (int i = 0; i < columns.size(); i++) {
            cells[i + 1] = counts.path(columns.get(i)).asLong(0);
        }
        cells[columns.size() + 1] = lag == null || lag.isNull() ? null : lag.asLong();
        if (ages) {
            JsonNode age = withAge.get("oldestQueuedAgeSeconds");
            cells[columns.size() + 2] = age == null || age.isNull() ? null : age(age.asDouble());
        }
        return cells;
    }

    private static String oldestQueued(JsonNode stats) {
        JsonNode age = stats.get("oldestQueuedAgeSeconds");
        String at = TaskViews.time(TaskViews.text(stats, "oldestQueuedAt"));
        if (age == null || age.isNull()) {
            return at == null ? "none queued" : "since " + at;
        }
        return age(age.asDouble()) + " ago" + (at == null ? "" : " (" + at + ")");
    }

    private static String scheduled(JsonNode scheduled) {
        if (scheduled.isMissingNode() || scheduled.isNull()) {
            return null;
        }
        long pending = scheduled.path("pending").asLong(0);
        String next = TaskViews.time(TaskViews.text(scheduled, "nextDueAt"));
        return pending + " pending" + (next == null ? "" : ", next due " + next);
    }

    private static String lag(JsonNode lag) {
        if (lag.isMissingNode() || lag.isNull()) {
            return null;
        }
        String group = TaskViews.text(lag, "group");
        if (!lag.path("available").asBoolean(true) || !lag.hasNonNull("total")) {
            return "unavailable (Kafka unreachable)" + (group == null ? "" : ", group " + group);
        }
        return lag.get("total").asLong() + (group == null ? "" : " (group " + group + ")");
    }

    /** One minute's numbers, oldest first, separated by spaces. */
    static String perMinute(JsonNode throughput, String field) {
        List<String> numbers = new ArrayList<>();
        throughput.forEach(m -> numbers.add(Long.toString(m.path(field).asLong(0))));
        return String.join(" ", numbers);
    }

    private static String throughputSummary(JsonNode throughput) {
        long finished = 0;
        long failed = 0;
        for (JsonNode m : throughput) {
            finished += m.path("finished").asLong(0);
            failed += m.path("failed").asLong(0);
        }
        String first = minute(TaskViews.text(throughput.get(0), "minute"));
        String last = minute(TaskViews.text(throughput.get(throughput.size() - 1), "minute"));
        return "(last " + throughput.size() + " min" + (first == null || last == null ? "" : ", " + first + "–" + last
                + " UTC") + ", oldest first: " + finished + " finished, " + failed + " failed)";
    }

    private static String minute(String instant) {
        if (instant == null) {
            return null;
        }
        try {
            String s = Instant.parse(instant).toString();
            return s.substring(11, 16);
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            return null;
        }
    }

    /** An age for people: {@code 850ms}, {@code 2.1s}, {@code 5m 03s}, {@code 2h 10m}, {@code 3d 4h}. */
    static String age(double seconds) {
        if (seconds < 1) {
            return Math.max(0, Math.round(seconds * 1000)) + "ms";
        }
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        Duration d = Duration.ofMillis(Math.round(seconds * 1000));
        if (d.toHours() < 1) {
            return String.format(Locale.ROOT, "%dm %02ds", d.toMinutes(), d.toSecondsPart());
        }
        if (d.toDays() < 1) {
            return String.format(Locale.ROOT, "%dh %02dm", d.toHours(), d.toMinutesPart());
        }
        return String.format(Locale.ROOT, "%dd %dh", d.toDays(), d.toHoursPart());
    }
}
