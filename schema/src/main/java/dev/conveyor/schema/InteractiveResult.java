package dev.conveyor.schema;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What an interactive extension answers: the HTTP response the waiting caller receives, and
 * whether the task counts as {@code done} or {@code failed}.
 *
 * <p>The body may be {@code null} (no body), a {@code String} (sent as UTF-8 text), a
 * {@code byte[]} (sent as is) or any other object, sent as JSON. A {@code Content-Type} header
 * given here wins over the one Conveyor would pick.
 *
 * <pre>{@code
 * public InteractiveResult handle(Task task) {
 *     Quote quote = pricing.quote(task.json());
 *     return InteractiveResult.done(200, Map.of("Cache-Control", "no-store"), quote);
 * }
 * }</pre>
 *
 * @param success true for {@code done}, false for {@code fail}
 * @param httpStatus the HTTP status code (100–599)
 * @param headers response headers (unmodifiable)
 * @param body the response body, see above
 * @param output message kept in the task row when the result is a failure; null otherwise
 */
public record InteractiveResult(boolean success, int httpStatus, Map<String, String> headers, Object body, String output) {

    public InteractiveResult {
        if (httpStatus < 100 || httpStatus > 599) {
            throw new IllegalArgumentException("httpStatus must be between 100 and 599, was " + httpStatus);
        }
        headers = copyHeaders(headers);
    }

    /** 200 with no body; the task becomes {@code done}. */
    public static InteractiveResult done() {
        return new InteractiveResult(true, 200, Map.of(), null, null);
    }

    /** A successful response with this status, headers and body; the task becomes {@code done}. */
    public static InteractiveResult done(int httpStatus, Map<String, String> headers, Object body) {
        return new InteractiveResult(true, httpStatus, headers, body, null);
    }

    /** 400 with no body; the task becomes {@code failed}. */
    public static InteractiveResult fail() {
        return new InteractiveResult(false, 400, Map.of(), null, null);
    }

    /** A failed response with this status, headers and body; the task becomes {@code failed} and keeps {@code output}. */
    public static InteractiveResult fail(int httpStatus, Map<String, String> headers, Object body, String output) {
        return new InteractiveResult(false, httpStatus, headers, body, output);
    }

    private static Map<String, String> copyHeaders(Map<String, String> headers) {
        if (headers == null || headers.isEmpty()) {
            return Map.of();
        }
        Map<String, String> copy = new LinkedHashMap<>();
        headers.forEach((name, value) -> {
            if (name == null || name.isBlank() || !name.chars().allMatch(InteractiveResult::isTokenChar)) {
                throw new IllegalArgumentException("invalid HTTP header name '" + name + "'");
            }
            Objects.requireNonNull(value, () -> "value of header " + name);
            if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("value of header " + name + " contains a line break");
            }
            copy.put(name, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static boolean isTokenChar(int c) {
        return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }

    // byte[] bodies compare by content so results can be compared in tests.
    @Override
    public boolean equals(Object o) {
        return o instanceof InteractiveResult r && success == r.success && httpStatus == r.httpStatus
                && headers.equals(r.headers) && Objects.equals(output, r.output)
                && (body instanceof byte[] a && r.body instanceof byte[] b ? Arrays.equals(a, b) : Objects.equals(body, r.body));
    }

    @Override
    public int hashCode() {
        return Objects.hash(success, httpStatus, headers, output, body instanceof byte[] b ? Arrays.hashCode(b) : body);
    }
}
