package dev.conveyor.producer.http;

import dev.conveyor.schema.TaskIds;
import dev.conveyor.schema.TaskKind;
import dev.conveyor.schema.TaskStatus;
import io.helidon.common.parameters.Parameters;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The validated query of {@code GET /v1/tasks} (docs/status-api.md). Every parameter is optional;
 * a bad one is a 400 naming it and why. Nothing here touches the database.
 *
 * @param statuses statuses to include; empty means all
 * @param topic exact topic, or null
 * @param kind task kind, or null
 * @param since inclusive lower bound on {@code created_at}, or null
 * @param until exclusive upper bound on {@code created_at}, or null
 * @param q what to look for, or null
 * @param limit page size, 1..{@value #MAX_LIMIT}
 * @param after keyset position of the previous page's last row, or null for the first page
 */
record TaskQuery(Set<TaskStatus> statuses, String topic, TaskKind kind, Instant since, Instant until, Search q,
        int limit, Cursor after) {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    private static final int MIN_ID_PREFIX = 4;
    private static final int MAX_Q = 255;
    private static final Set<String> NAMES = Set.of("status", "topic", "kind", "since", "until", "q", "limit", "cursor");
    private static final Pattern HEX_AND_DASHES = Pattern.compile("[0-9a-fA-F-]+");

    /** What {@code q} asks for. */
    sealed interface Search {
        /** An exact idempotency key (anything that does not look like a task id). */
        record IdempotencyKey(String key) implements Search {}

        /**
         * A task id or a prefix of one: ids from {@code lowest} to {@code highest} (both inclusive;
         * equal for a whole id), or a task whose idempotency key is {@code text} (keys are often
         * UUIDs too).
         */
        record IdRange(UUID lowest, UUID highest, String text) implements Search {}
    }

    /**
     * Where a page starts: after the row with this {@code (created_at, id)}, in the listing's order
     * ({@code created_at desc, id desc}). Encoded for clients as an opaque string.
     */
    record Cursor(Instant createdAt, UUID id) {

        String encode() {
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((micros + ":" + id).getBytes(StandardCharsets.US_ASCII));
        }

        static Cursor decode(String text) {
            try {
                String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
                int colon = plain.indexOf(':');
                UUID id = colon < 0 ? null : TaskIds.parseCanonical(plain.substring(colon + 1));
                if (id == null) {
                    throw new IllegalArgumentException("no id");
                }
                long micros = Long.parseLong(plain.substring(0, colon));
                return new Cursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), id);
            } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
                throw new HttpError(400, "invalid cursor", "cursor: '" + text
                        + "' is not a nextCursor value returned by this endpoint");
            }
        }
    }

    /** Parses and validates the query string. */
    static TaskQuery parse(Parameters query) {
        for (String name : query.names()) {
            if (!NAMES.contains(name)) {
                throw invalid(name, "unknown parameter; known ones are " + NAMES.stream().sorted().toList());
            }
            if (!name.equals("status") && query.all(name).size() > 1) {
                throw invalid(name, "given more than once");
            }
        }
        Set<TaskStatus> statuses = EnumSet.noneOf(TaskStatus.class);
        for (String list : query.all("status", List::of)) {
            for (String s : list.split(",", -1)) {
                try {
                    statuses.add(TaskStatus.fromWire(s.trim()));
                } catch (IllegalArgumentException e) {
                    throw invalid("status", e.getMessage());
                }
            }
        }
        String topic = text(query, "topic");
        TaskKind kind = null;
        String kindText = text(query, "kind");
        if (kindText != null) {
            try {
                kind = TaskKind.fromWire(kindText);
            } catch (IllegalArgumentException e) {
                throw invalid("kind", e.getMessage());
            }
        }
        Instant since = time(query, "since");
        Instant until = time(query, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw invalid("until", "must be after since (" + since + "), was " + until);
        }
        int limit = DEFAULT_LIMIT;
        String limitText = text(query, "limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT + ", was '" + limitText + "'");
            }
        }
        String cursor = query.first("cursor").orElse(null);
        return new TaskQuery(statuses, topic, kind, since, until, search(text(query, "q")), limit,
                cursor == null ? null : Cursor.decode(cursor));
    }

    /** {@code q}: a whole task id, an id prefix of at least four hex digits, or else an idempotency key. */
    static Search search(String q) {
        if (q == null) {
            return null;
        }
        if (q.length() > MAX_Q) {
            throw invalid("q", "must be at most " + MAX_Q + " characters (the longest idempotency key)");
        }
        UUID whole = TaskIds.parseCanonical(q);
        if (whole != null) {
            return new Search.IdRange(whole, whole, q);
        }
        String hex = q.replace("-", "");
        if (HEX_AND_DASHES.matcher(q).matches() && hex.length() >= MIN_ID_PREFIX && hex.length() <= 32) {
            return new Search.IdRange(uuid(hex + "0".repeat(32 - hex.length())), uuid(hex + "f".repeat(32 - hex.length())),
                    q);
        }
        return new Search.IdempotencyKey(q);
    }

    private static UUID uuid(String hex32) {
        return new UUID(Long.parseUnsignedLong(hex32.substring(0, 16), 16), Long.parseUnsignedLong(hex32.substring(16), 16));
    }

    /** A single non-empty value, or null when absent. */
    private static String text(Parameters query, String name) {
        String value = query.first(name).orElse(null);
        if (value != null && value.isEmpty()) {
            throw invalid(name, "must not be empty");
        }
        return value;
    }

    private static Instant time(Parameters query, String name) {
        String value = text(query, name);
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw invalid(name, "'" + value + "' is not an RFC 3339 timestamp (e.g. 2026-11-22T10:00:00Z)");
        }
    }

    private static HttpError invalid(String parameter, String why) {
        return HttpError.badRequest("invalid parameter", parameter + ": " + why);
    }
}
