package dev.conveyor.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The microsecond form of timestamps that the batched statements bind. */
class SqlTimeTest {

    @Test
    void nullStaysNull() {
        assertThat(SqlTime.micros(null)).isNull();
    }

    @Test
    void microsecondsSinceTheEpochRoundedHalfToEvenLikePostgreSql() {
        assertThat(SqlTime.micros(Instant.parse("1970-01-01T00:00:01.000002Z"))).isEqualTo(1_000_002L);
        assertThat(SqlTime.micros(Instant.ofEpochSecond(0, 1_500))).isEqualTo(2L);
        assertThat(SqlTime.micros(Instant.ofEpochSecond(0, 2_500))).isEqualTo(2L);
        assertThat(SqlTime.micros(Instant.ofEpochSecond(-1, 999_999_600))).isEqualTo(0L);
    }

    @Test
    void sqlRebuildsTheTimestampFromTheColumn() {
        assertThat(SqlTime.fromMicros("u.at_us")).isEqualTo("(timestamptz 'epoch' + u.at_us * interval '1 microsecond')");
    }
}
