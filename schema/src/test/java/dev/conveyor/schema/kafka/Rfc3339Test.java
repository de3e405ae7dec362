package dev.conveyor.schema.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Rfc3339Test {

    @Test
    void agreesWithTheGeneralParserOnWhatInstantWrites() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            long seconds = random.nextLong(-62_135_596_800L, 253_402_300_799L); // years 0001..9999
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            String text = instant.toString();
            assertThat(Rfc3339.parseUtc(text)).as(text).isEqualTo(instant)
                    .isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-22T10:15:30.5Z", "2026-11-22T10:15:30.1234Z", "2024-02-29T23:59:59.999999999Z"})
    void readsAnyNumberOfFractionDigits(String text) {
        assertThat(Rfc3339.parseUtc(text)).isEqualTo(OffsetDateTime.parse(text).toInstant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-22T10:15:30+01:00", "2026-11-22t10:15:30z", "2026-11-22T10:15:60Z",
            "2026-02-30T10:15:30Z", "2026-13-01T10:15:30Z", "2026-11-22T24:00:00Z", "2026-11-22T10:15:30.Z",
            "2026-11-22T10:15:30.1234567890Z", "2026-11-22 10:15:30Z", "2026-1x-22T10:15:30Z", "yesterday", ""})
    void leavesEverythingElseToTheGeneralParser(String text) {
        assertThat(Rfc3339.parseUtc(text)).isNull();
    }
}
