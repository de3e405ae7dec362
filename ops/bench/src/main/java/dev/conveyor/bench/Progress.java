package dev.conveyor.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** Progress lines on standard error (standard output carries only the JSON lines). */
public final class Progress {

    private final PrintStream err;
    private final long start = System.nanoTime();
    private long last = System.nanoTime();

    public Progress(PrintStream err) {
        this.err = err;
    }

    public void say(String message) {
        last = System.nanoTime();
        err.printf(Locale.ROOT, "[bench %7.1fs] %s%n", secondsSince(start), message);
    }

    /** True when no progress line was printed for 5 s. */
    public boolean due() {
        return System.nanoTime() - last > TimeUnit.SECONDS.toNanos(5);
    }

    public static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }
}
