package dev.conveyor.producer.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * The event headers of SPEC §4, validated: a bad value is refused with a 400 naming the header.
 *
 * @param idempotencyKey {@code Idempotency-Key}, or null
 * @param callbackUrl {@code X-Callback-Url}, trimmed, or null
 * @param traceId {@code X-Trace-Id}, or null
 * @param deliverAt when a scheduled event is due ({@code X-Schedule-At}, or now plus {@code X-Schedule-In}), or null
 * @param scheduleHeader the header that scheduled it (for error messages), or null
 * @param eventKey {@code X-Event-Key}, the ordering key, or null
 * @param eventType {@code X-Event-Type}, or null (the type is then the topic)
 */
record EventHeaders(String idempotencyKey, String callbackUrl, String traceId, Instant deliverAt,
        String scheduleHeader, String eventKey, String eventType) {

    private static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    private static final HeaderName CALLBACK_URL = HeaderNames.create("X-Callback-Url");
    private static final HeaderName TRACE_ID = HeaderNames.create("X-Trace-Id");
    private static final HeaderName SCHEDULE_AT = HeaderNames.create("X-Schedule-At");
    private static final HeaderName SCHEDULE_IN = HeaderNames.create("X-Schedule-In");
    private static final HeaderName EVENT_TYPE = HeaderNames.create("X-Event-Type");
    private static final HeaderName EVENT_KEY = HeaderNames.create("X-Event-Key");
    static final long MAX_SCHEDULE_SECONDS = Duration.ofDays(366).toSeconds();

    /**
     * Reads and validates the headers.
     *
     * @param clock what {@code X-Schedule-In} counts from
     * @throws HttpError 400 naming the first invalid header
     */
    static EventHeaders parse(Headers headers, Clock clock) {
        String key = headers.first(IDEMPOTENCY_KEY).orElse(null);
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw HttpError.badHeader("Idempotency-Key", "must be 1 to 255 characters");
        }
        String callback = callbackUrl(headers.first(CALLBACK_URL).orElse(null));
        String trace = headers.first(TRACE_ID).orElse(null);
        if (trace != null && (trace.isBlank() || trace.length() > 128 || !trace.chars().allMatch(c -> c > 32 && c < 127))) {
            throw HttpError.badHeader("X-Trace-Id", "must be 1 to 128 visible ASCII characters");
        }
        String at = headers.first(SCHEDULE_AT).orElse(null);
        String in = headers.first(SCHEDULE_IN).orElse(null);
        if (at != null && in != null) {
            throw HttpError.badHeader("X-Schedule-At", "give X-Schedule-At or X-Schedule-In, not both");
        }
        Instant deliverAt = null;
        String scheduleHeader = null;
        if (at != null) {
            scheduleHeader = "X-Schedule-At";
            deliverAt = scheduleAt(at);
        } else if (in != null) {
            scheduleHeader = "X-Schedule-In";
            deliverAt = clock.instant().plusMillis(Math.round(scheduleInSeconds(in) * 1000));
        }
        return new EventHeaders(key, callback, trace, deliverAt, scheduleHeader,
                headers.first(EVENT_KEY).orElse(null), headers.first(EVENT_TYPE).orElse(null));
    }

    private static String callbackUrl(String callback) {
        if (callback == null) {
            return null;
        }
        try {
            URI uri = URI.create(callback.trim());
            if (!uri.isAbsolute() || uri.getHost() == null
                    || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                throw new IllegalArgumentException("not absolute");
            }
        } catch (IllegalArgumentException e) {
            throw HttpError.badHeader("X-Callback-Url", "must be an absolute http(s) URL, was '" + callback + "'");
        }
        return callback.trim();
    }

    private static Instant scheduleAt(String at) {
        try {
            return OffsetDateTime.parse(at.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw HttpError.badHeader("X-Schedule-At", "'" + at + "' is not an RFC 3339 timestamp "
                    + "(e.g. 2026-11-22T10:00:00Z)");
        }
    }

    private static double scheduleInSeconds(String in) {
        double seconds;
        try {
            seconds = Double.parseDouble(in.trim());
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (!(seconds >= 0) || seconds > MAX_SCHEDULE_SECONDS) {
            throw HttpError.badHeader("X-Schedule-In", "must be a number of seconds between 0 and "
                    + MAX_SCHEDULE_SECONDS + ", was '" + in + "'");
        }
        return seconds;
    }
}
