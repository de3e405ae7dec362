package dev.conveyor.ops.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {

    @Test
    void durations() {
        assertThat(Quantities.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Quantities.duration("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Quantities.duration("1.5m")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Quantities.duration("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Quantities.duration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> Quantities.duration("soon")).hasMessage("'soon' is not a duration (e.g. 250ms, 30s, 5m, 1h)");
        assertThatThrownBy(() -> Quantities.duration("P1X")).hasMessage("'P1X' is not a duration");
    }

    @Test
    void sizes() {
        assertThat(Quantities.size("512KB")).isEqualTo(512 * 1024);
        assertThat(Quantities.size("1mb")).isEqualTo(1024 * 1024);
        assertThat(Quantities.size("100")).isEqualTo(100);
        assertThatThrownBy(() -> Quantities.size("big")).hasMessage("'big' is not a size (e.g. 512KB, 1MB)");
    }
}
