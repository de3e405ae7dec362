package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.http.HeaderNames;
import io.helidon.http.WritableHeaders;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class EventHeadersTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static EventHeaders parse(String... nameValues) {
        WritableHeaders<?> headers = WritableHeaders.create();
        for (int i = 0; i < nameValues.length; i += 2) {
            headers.add(HeaderNames.create(nameValues[i]), nameValues[i + 1]);
        }
        return EventHeaders.parse(headers, CLOCK);
    }

    @Test
    void scheduleInCountsFromTheInjectedClock() {
        EventHeaders h = parse("X-Schedule-In", "1.5");
        assertThat(h.deliverAt()).isEqualTo(NOW.plusMillis(1500));
        assertThat(h.scheduleHeader()).isEqualTo("X-Schedule-In");
        assertThat(parse("X-Schedule-In", "0").deliverAt()).isEqualTo(NOW);
    }

    @Test
    void scheduleAtIsAnRfc3339Time() {
        EventHeaders h = parse("X-Schedule-At", " 2026-11-22T12:00:00+02:00 ");
        assertThat(h.deliverAt()).isEqualTo(NOW);
        assertThat(h.scheduleHeader()).isEqualTo("X-Schedule-At");
    }

    @Test
    void withoutHeadersNothingIsSet() {
        assertThat(parse()).isEqualTo(new EventHeaders(null, null, null, null, null, null, null));
    }

    @Test
    void readsTheOtherEventHeaders() {
        EventHeaders h = parse("Idempotency-Key", "k-1", "X-Callback-Url", " https://example.com/cb ",
                "X-Trace-Id", "t-1", "X-Event-Key", "customer-7", "X-Event-Type", "order.created");
        assertThat(h).isEqualTo(new EventHeaders("k-1", "https://example.com/cb", "t-1", null, null, "customer-7",
                "order.created"));
    }

    @Test
    void refusesInvalidValuesNamingTheHeader() {
        assertBadHeader(parse400("X-Schedule-In", "-1"), "X-Schedule-In: must be a number of seconds between 0 and "
                + EventHeaders.MAX_SCHEDULE_SECONDS + ", was '-1'");
        assertBadHeader(parse400("X-Schedule-In", "NaN"), "X-Schedule-In: must be a number of seconds");
        assertBadHeader(parse400("X-Schedule-In", String.valueOf(EventHeaders.MAX_SCHEDULE_SECONDS + 1)),
                "X-Schedule-In: must be");
        assertBadHeader(parse400("X-Schedule-At", "tomorrow"), "X-Schedule-At: 'tomorrow' is not an RFC 3339 timestamp");
        assertBadHeader(parse400("X-Schedule-At", "2026-11-22T10:00:00Z", "X-Schedule-In", "5"),
                "X-Schedule-At: give X-Schedule-At or X-Schedule-In, not both");
        assertBadHeader(parse400("Idempotency-Key", " "), "Idempotency-Key: must be 1 to 255 characters");
        assertBadHeader(parse400("Idempotency-Key", "k".repeat(256)), "Idempotency-Key: must be 1 to 255 characters");
        assertBadHeader(parse400("X-Callback-Url", "/relative"), "X-Callback-Url: must be an absolute http(s) URL");
        assertBadHeader(parse400("X-Callback-Url", "ftp://example.com/x"), "X-Callback-Url: must be an absolute");
        assertBadHeader(parse400("X-Trace-Id", "a b"), "X-Trace-Id: must be 1 to 128 visible ASCII characters");
    }

    private static HttpError parse400(String... nameValues) {
        try {
            parse(nameValues);
        } catch (HttpError e) {
            return e;
        }
        throw new AssertionError("no HttpError for " + String.join(" ", nameValues));
    }

    private static void assertBadHeader(HttpError e, String detailPrefix) {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error()).isEqualTo("invalid header");
        assertThat(e.detail()).startsWith(detailPrefix);
    }

    @Test
    void theFirstInvalidHeaderIsReported() {
        assertThatThrownBy(() -> parse("Idempotency-Key", "", "X-Trace-Id", " "))
                .hasMessageStartingWith("Idempotency-Key");
    }
}
