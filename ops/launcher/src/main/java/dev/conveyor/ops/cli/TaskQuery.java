package dev.conveyor.ops.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filters of {@code conveyor tasks list} as the query string of {@code GET /v1/tasks}. Every
 * value is URL-encoded; statuses are joined with a literal comma, the API's list separator.
 *
 * @param statuses zero or more statuses (the API names an unknown one)
 * @param since RFC 3339, already resolved from a relative value such as {@code 2h}
 */
record TaskQuery(List<String> statuses, String topic, String kind, String since, String until, String q,
        Integer limit, String cursor) {

    /** The API's maximum page size; {@code --all} asks for pages this large. */
    static final int MAX_LIMIT = 500;
    private static final Pattern RELATIVE = Pattern.compile("(\\d+)\\s*(s|m|h|d|w)");

    TaskQuery {
        statuses = statuses == null ? List.of() : statuses.stream()
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (limit != null && (limit < 1 || limit > MAX_LIMIT)) {
            throw new IllegalArgumentException("--limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
    }

    /** The same filters from another page on. */
    TaskQuery withCursor(String next) {
        return new TaskQuery(statuses, topic, kind, since, until, q, limit, next);
    }

    /** The same filters with another page size. */
    TaskQuery withLimit(Integer pageSize) {
        return new TaskQuery(statuses, topic, kind, since, until, q, pageSize, cursor);
    }

    /** {@code /v1/tasks} plus the query string of the filters that are set. */
    String path() {
        List<String> params = new ArrayList<>();
        if (!statuses.isEmpty()) {
            params.add("status=" + String.join(",", statuses.stream().map(TaskQuery::encode).toList()));
        }
        add(params, "topic", topic);
        add(params, "kind", kind);
        add(params, "since", since);
        add(params, "until", until);
        add(params, "q", q);
        add(params, "limit", limit == null ? null : limit.toString());
        add(params, "cursor", cursor);
        return params.isEmpty() ? "/v1/tasks" : "/v1/tasks?" + String.join("&", params);
    }

    private static void add(List<String> params, String name, String value) {
        if (value != null && !value.isEmpty()) {
            params.add(name + "=" + encode(value));
        }
    }

    /** Query-string encoding: UTF-8 percent-encoding, a space as {@code %20} (never {@code +}). */
    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * A {@code --since}/{@code --until} value as RFC 3339 UTC: either a timestamp (any offset,
     * converted to UTC) or an age ({@code 30s}, {@code 15m}, {@code 2h}, {@code 7d}, {@code 1w})
     * counted back from now.
     *
     * @throws IllegalArgumentException naming {@code option} when it is neither
     */
    static String instant(String value, String option, Clock clock) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        Matcher m = RELATIVE.matcher(v.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
            return clock.instant().minus(d).toString();
        }
        try {
            return OffsetDateTime.parse(v).toInstant().toString();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(v).toString();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + " must be an RFC 3339 time (2026-11-22T19:00:00Z) or an age "
                        + "(30s, 15m, 2h, 7d, 1w), was '" + value + "'");
            }
        }
    }
}
