package dev.conveyor.bench;

import java.util.Arrays;

/**
 * Percentiles of a set of samples (nearest rank: the smallest value at or above which p of the
 * samples lie), in the unit they were recorded in.
 */
public record Latency(int samples, long p50, long p95, long p99, long max, long min, long mean, int negative) {

    public static final Latency EMPTY = of(new long[0]);

    /** Percentiles of {@code values} (not modified). */
    public static Latency of(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int negative = 0;
        long sum = 0;
        for (long v : sorted) {
            negative += v < 0 ? 1 : 0;
            sum += v;
        }
        int k = sorted.length;
        return new Latency(k, rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99), k == 0 ? 0 : sorted[k - 1],
                k == 0 ? 0 : sorted[0], k == 0 ? 0 : Math.round((double) sum / k), negative);
    }

    /** Percentiles of the first {@code count} values. */
    public static Latency of(long[] values, int count) {
        return of(Arrays.copyOf(values, count));
    }

    /** Nearest-rank percentile {@code p} (0..1] of sorted values; 0 when there are none. */
    public static long rank(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int r = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, r - 1))];
    }

    /** Nanoseconds as milliseconds, three decimals. */
    public static double ms(long nanos) {
        return Line.round3(nanos / 1e6);
    }
}
