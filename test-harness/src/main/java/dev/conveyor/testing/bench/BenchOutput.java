package dev.conveyor.testing.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Locale;
import org.jooq.DSLContext;

/**
 * What the test-source benchmark main classes share (today {@code StatsBenchmark}, run by
 * {@code ops/bin/bench-stats}): standard output carries only one JSON line per workload
 * (everything else, logs included, goes to standard error), progress lines, and the small numeric
 * helpers the figures are computed with. The workloads of issue 9 are {@code conveyor bench}
 * (module {@code ops/bench}), which the producer's tests cannot depend on: it depends on them.
 */
public final class BenchOutput {

    /** When the benchmark JVM started measuring; {@code elapsed_seconds} counts from here. */
    public static final long T0 = System.nanoTime();

    private static PrintStream out = System.out;

    private BenchOutput() {}

    /**
     * Keeps the real standard output for JSON lines and sends everything else printed to
     * standard output (logback's console appender writes to whatever System.out is) to standard error.
     */
    private static void captureStdout() {
        out = System.out;
        System.setOut(System.err);
    }

    /** A benchmark's body: true when every workload succeeded. */
    @FunctionalInterface
    public interface Body {
        boolean run() throws Exception;
    }

    /**
     * The whole of a benchmark's {@code main}: JSON lines on standard output, everything else on
     * standard error; an {@link IllegalArgumentException} from option parsing prints {@code usage}
     * (exit 2, or 0 for {@code --help}, whose message is "help"); any other failure exits 1.
     *
     * @param name the command, as in its messages (e.g. {@code bench-stats})
     */
    public static void runMain(String name, String usage, Body body) {
        captureStdout();
        int status;
        try {
            status = body.run() ? 0 : 1;
        } catch (IllegalArgumentException e) {
            if (!"help".equals(e.getMessage())) {
                System.err.println(name + ": " + e.getMessage());
            }
            System.err.println(usage);
            status = "help".equals(e.getMessage()) ? 0 : 2;
        } catch (Throwable t) {
            System.err.println(name + ": failed: " + t);
            t.printStackTrace(System.err);
            status = 1;
        }
        out.flush();
        System.exit(status);
    }

    /** A new JSON line for {@code workload}. */
    public static ObjectNode line(String workload) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("workload", workload);
        return json;
    }

    /** Prints a JSON line (with {@code elapsed_seconds} and the load) on the real standard output. */
    public static void emit(ObjectNode json) {
        json.put("elapsed_seconds", round3(secondsSince(T0)));
        json.put("load_average_1m",
                round3(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        out.println(json.toString());
        out.flush();
    }

    /** A progress line on standard error. */
    public static void progress(String message) {
        System.err.printf(Locale.ROOT, "[bench %7.1fs] %s%n", secondsSince(T0), message);
    }

    public static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    public static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** Nearest-rank percentile of sorted values (p in (0, 1]); 0 when there are none. */
    public static long percentile(long[] sorted, double p) {
        int n = sorted.length;
        return n == 0 ? 0 : sorted[Math.clamp((long) Math.ceil(p * n) - 1, 0, n - 1)];
    }

    /** A PostgreSQL setting, e.g. {@code fsync}. */
    public static String pgSetting(DSLContext dsl, String name) {
        return dsl.fetchValue("select current_setting(?)", name).toString();
    }
}
