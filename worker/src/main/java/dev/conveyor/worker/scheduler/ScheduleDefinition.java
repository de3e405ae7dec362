package dev.conveyor.worker.scheduler;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A recurring schedule ({@code schedules.<name>} in {@code conveyor.yaml}): every fire publishes
 * one task of kind {@code scheduled} to {@code topic}.
 *
 * <pre>
 * schedules:
 *   nightly-report: { cron: "0 2 * * *", zone: UTC, topic: reports, data: { kind: nightly } }
 *   heartbeat:      { every: 10s, topic: reports }
 * </pre>
 *
 * Cron expressions use the classic UNIX five fields (minute hour day-of-month month day-of-week),
 * evaluated in {@code zone}; parsed by cron-utils.
 *
 * @param name the schedule's name (the key under {@code schedules})
 * @param cron a cron expression, or null when {@code every} is set
 * @param every a fixed interval (at least 100 ms), or null when {@code cron} is set
 * @param zone the time zone cron is evaluated in (default UTC)
 * @param topic where each fire publishes its task
 * @param payload data of every fired task (may be empty)
 * @param contentType media type of {@code payload}, or null
 * @param enabled false keeps the schedule but stops its fires
 */
public record ScheduleDefinition(String name, String cron, Duration every, ZoneId zone, String topic, byte[] payload,
        String contentType, boolean enabled) {

    /** Shortest fixed interval accepted. */
    public static final Duration MIN_EVERY = Duration.ofMillis(100);

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    /** @throws IllegalArgumentException naming the {@code schedules.<name>.*} key that is invalid */
    public ScheduleDefinition {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("schedules: name '" + name
                    + "' must be 1-200 characters of letters, digits, '.', '_', '-'");
        }
        String key = "schedules." + name;
        if ((cron == null) == (every == null)) {
            throw new IllegalArgumentException(key + ": set exactly one of cron and every");
        }
        if (cron != null) {
            parse(cron, key);
        }
        if (every != null && every.compareTo(MIN_EVERY) < 0) {
            throw new IllegalArgumentException(key + ".every must be at least " + MIN_EVERY.toMillis() + " ms, was " + every);
        }
        zone = zone == null ? ZoneId.of("UTC") : zone;
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException(key + ".topic is required");
        }
        payload = payload == null ? new byte[0] : payload.clone();
    }

    /** A schedule firing at a fixed interval with a JSON payload. */
    public static ScheduleDefinition every(String name, Duration every, String topic, String json) {
        return new ScheduleDefinition(name, null, every, null, topic, bytes(json), json == null ? null : "application/json",
                true);
    }

    /** A cron schedule with a JSON payload. */
    public static ScheduleDefinition cron(String name, String cron, ZoneId zone, String topic, String json) {
        return new ScheduleDefinition(name, cron, null, zone, topic, bytes(json), json == null ? null : "application/json",
                true);
    }

    /** The same schedule, enabled or not. */
    public ScheduleDefinition withEnabled(boolean enabled) {
        return new ScheduleDefinition(name, cron, every, zone, topic, payload, contentType, enabled);
    }

    /**
     * The first fire time strictly after {@code after}. For {@code every}, fire times are
     * {@code after + every}; for cron, the next matching minute in {@code zone}.
     */
    public Instant nextFireAfter(Instant after) {
        return nextFireAfter(cron, every, zone, after);
    }

    /** {@link #nextFireAfter(Instant)} for a stored schedule's fields. */
    public static Instant nextFireAfter(String cron, Duration every, ZoneId zone, Instant after) {
        if (every != null) {
            return after.plus(every);
        }
        ExecutionTime execution = ExecutionTime.forCron(parse(cron, "cron"));
        ZonedDateTime next = execution.nextExecution(after.atZone(zone))
                .orElseThrow(() -> new IllegalStateException("cron '" + cron + "' never fires after " + after));
        return next.toInstant();
    }

    private static Cron parse(String cron, String key) {
        try {
            return PARSER.parse(cron.trim()).validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ".cron '" + cron + "' is not a valid cron expression "
                    + "(minute hour day-of-month month day-of-week): " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(String json) {
        return json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleDefinition s && enabled == s.enabled && name.equals(s.name)
                && Objects.equals(cron, s.cron) && Objects.equals(every, s.every) && zone.equals(s.zone)
                && topic.equals(s.topic) && Arrays.equals(payload, s.payload) && Objects.equals(contentType, s.contentType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, cron, every, zone, topic, Arrays.hashCode(payload), contentType, enabled);
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }
}
