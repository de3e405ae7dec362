package dev.conveyor.producer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RequestLimitsTest {

    @Test
    void requestsOverTheInFlightLimitGet429AndTheSlotIsFreedAfterwards() {
        RequestLimits limits = new RequestLimits(100, 1);
        limits.guarded(() -> assertThatThrownBy(() -> limits.guarded(() -> { }))
                .isInstanceOfSatisfying(HttpError.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.detail()).contains("limit of 1 requests in flight (http.max-in-flight)");
                    assertThat(e.headers()).containsEntry("Retry-After", "1");
                }));
        AtomicBoolean ran = new AtomicBoolean();
        limits.guarded(() -> ran.set(true));
        assertThat(ran).isTrue();
    }

    @Test
    void aFailingHandlerFreesItsSlot() {
        RequestLimits limits = new RequestLimits(100, 1);
        assertThatThrownBy(() -> limits.guarded(() -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        AtomicBoolean ran = new AtomicBoolean();
        limits.guarded(() -> ran.set(true));
        assertThat(ran).isTrue();
    }

    @Test
    void aBodyUpToTheLimitIsRead() throws Exception {
        RequestLimits limits = new RequestLimits(4, 10);
        assertThat(limits.readBody(OptionalLong.of(4), stream("abcd"))).containsExactly('a', 'b', 'c', 'd');
        assertThat(limits.readBody(OptionalLong.empty(), stream("abcd"))).hasSize(4);
        assertThat(limits.readBody(OptionalLong.empty(), stream(""))).isEmpty();
    }

    @Test
    void aDeclaredLengthOverTheLimitIs413WithoutReading() {
        RequestLimits limits = new RequestLimits(4, 10);
        InputStream unreadable = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the body must not be read");
            }
        };
        assertThatThrownBy(() -> limits.readBody(OptionalLong.of(5), unreadable))
                .isInstanceOfSatisfying(HttpError.class, e -> {
                    assertThat(e.status()).isEqualTo(413);
                    assertThat(e.detail()).isEqualTo("the body has 5 bytes; the limit is 4 (http.max-body)");
                    assertThat(e.headers()).containsEntry("Connection", "close");
                });
    }

    @Test
    void anUndeclaredBodyOverTheLimitIs413() {
        RequestLimits limits = new RequestLimits(4, 10);
        assertThatThrownBy(() -> limits.readBody(OptionalLong.empty(), stream("abcde")))
                .isInstanceOfSatisfying(HttpError.class, e -> {
                    assertThat(e.status()).isEqualTo(413);
                    assertThat(e.detail()).isEqualTo("the body is over the limit of 4 bytes (http.max-body)");
                });
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
