package dev.conveyor.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;

/**
 * One workload's JSON line: its figures under the field names, the settings it ran with,
 * the baselines it was compared with, {@code target} / {@code target_met}, and the load average.
 * A line with an {@code error} field is a failed workload (the command exits non-zero); a missed
 * target is not a failure.
 */
public final class Line {

    private final ObjectNode json = JsonNodeFactory.instance.objectNode();
    private boolean failed;

    public Line(WorkloadId workload, String title) {
        json.put("workload", workload.name());
        json.put("title", title);
    }

    public ObjectNode json() {
        return json;
    }

    public boolean failed() {
        return failed;
    }

    public Line put(String field, long value) {
        json.put(field, value);
        return this;
    }

    public Line put(String field, double value) {
        json.put(field, round3(value));
        return this;
    }

    /** {@code value} rounded to 3 decimals, or JSON null when there is none. */
    public Line putOrNull(String field, Double value) {
        if (value == null) {
            json.putNull(field);
            return this;
        }
        return put(field, value.doubleValue());
    }

    public Line put(String field, String value) {
        json.put(field, value);
        return this;
    }

    public Line put(String field, boolean value) {
        json.put(field, value);
        return this;
    }

    /** Percentiles of milliseconds as {@code <prefix>p50_ms}, {@code p95} (when asked), {@code p99}, {@code max}. */
    public Line putMs(String prefix, Latency ms, boolean withP95) {
        json.put(prefix + "p50_ms", ms.p50());
        if (withP95) {
            json.put(prefix + "p95_ms", ms.p95());
        }
        json.put(prefix + "p99_ms", ms.p99());
        json.put(prefix + "max_ms", ms.max());
        return this;
    }

    /** Percentiles of nanoseconds, written as milliseconds with three decimals. */
    public Line putNanosAsMs(String prefix, Latency nanos) {
        json.put(prefix + "p50_ms", Latency.ms(nanos.p50()));
        json.put(prefix + "p99_ms", Latency.ms(nanos.p99()));
        json.put(prefix + "max_ms", Latency.ms(nanos.max()));
        return this;
    }

    /** The workload's target, in words, and whether this run met it. */
    public Line target(String target, boolean met) {
        json.put("target", target);
        json.put("target_met", met);
        return this;
    }

    /** Marks the workload failed (the run exits non-zero), keeping earlier errors. */
    public Line fail(String error) {
        json.put("error", json.has("error") ? json.get("error").asText() + "; " + error : error);
        failed = true;
        return this;
    }

    /** The errors so far, or null. */
    public String error() {
        return json.has("error") ? json.get("error").asText() : null;
    }

    /** Adds {@code load_average_1m}, as the line is printed. */
    ObjectNode finish() {
        json.put("load_average_1m", round3(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        return json;
    }

    public static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** A ratio with three decimals; 0 when the denominator is not positive. */
    public static double ratio(double value, double baseline) {
        return baseline > 0 ? round3(value / baseline) : 0;
    }
}
