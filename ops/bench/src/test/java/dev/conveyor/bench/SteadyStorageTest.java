package dev.conveyor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SteadyStorageTest {

    private static List<Double> samples(double... mb) {
        List<Double> out = new ArrayList<>();
        for (double m : mb) {
            out.add(m);
        }
        return out;
    }

    @Test
    void growthIsMeasuredFromFourMinutesOn() {
        // 24 samples of build-up (0..230 s), then 1490.9, 1514.9, 1514.9, 1514.9 from 240 s.
        List<Double> s = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            s.add(i * 80.0);
        }
        s.addAll(samples(1490.9, 1514.9, 1514.9, 1514.9));
        assertThat(SteadyStorage.settledGrowth(s)).isEqualTo(0.016);
    }

    @Test
    void aRunTooShortToSettleHasNoFigure() {
        List<Double> s = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            s.add(i * 80.0);
        }
        assertThat(SteadyStorage.settledGrowth(s)).isNull();
    }
}
