package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencyTest {

    @Test
    void nearestRankPercentilesOfOneToHundred() {
        long[] values = LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray(); // unsorted on purpose
        Latency l = Latency.of(values);
        assertThat(l.samples()).isEqualTo(100);
        assertThat(l.p50()).isEqualTo(50);
        assertThat(l.p95()).isEqualTo(95);
        assertThat(l.p99()).isEqualTo(99);
        assertThat(l.max()).isEqualTo(100);
        assertThat(l.min()).isEqualTo(1);
        assertThat(l.mean()).isEqualTo(51); // 50.5 rounded
        assertThat(values[0]).as("input left as it was").isEqualTo(100);
    }

    @Test
    void smallAndEmptySets() {
        assertThat(Latency.of(new long[] {7}).p99()).isEqualTo(7);
        Latency two = Latency.of(new long[] {10, 20});
        assertThat(two.p50()).isEqualTo(10);
        assertThat(two.p99()).isEqualTo(20);
        assertThat(Latency.EMPTY.samples()).isZero();
        assertThat(Latency.EMPTY.p99()).isZero();
        assertThat(Latency.of(new long[] {-3, 5, 6}, 2).negative()).isEqualTo(1);
    }

    @Test
    void nanosAsMillis() {
        assertThat(Latency.ms(1_234_567)).isEqualTo(1.235);
        assertThat(Line.ratio(30, 100)).isEqualTo(0.3);
        assertThat(Line.ratio(30, 0)).isZero();
    }
}
