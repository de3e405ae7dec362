package dev.conveyor.ops;

import dev.conveyor.bench.BenchRunner;
import dev.conveyor.bench.BenchSettings;
import dev.conveyor.bench.Progress;
import dev.conveyor.bench.ReportWriter;
import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.worker.spi.Ordering;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conveyor bench}: the workloads of issue 9 with their baselines, on embedded Kafka and
 * PostgreSQL unless the configuration names them ({@code kafka.bootstrap}, {@code db.url}). One
 * JSON line per workload on standard output, everything else on standard error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the benchmark workloads (W1 throughput, W2 delay accuracy, W3 reschedule, W4 pickup "
                + "latency, W5 HTTP enqueue, W6 interactive, M1 memory, M2 steady storage) with their baselines in the same run: "
                + "raw Kafka, raw PostgreSQL upsert, bare HTTP, plain consumer.",
                "Embedded Kafka and PostgreSQL unless kafka.bootstrap / db.url are configured (then each workload "
                + "uses topics and a schema of its own, deleted at the end).",
                "Prints one JSON line per workload on standard output; progress and logs go to standard error. "
                + "Sizes default to the issue's; --scale 0.1 is a quick run of the same shape."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every workload ran (a missed target is reported in target_met, not an error)",
                "1:a workload failed (its line has an error field)", "2:usage error or invalid configuration"})
final class BenchCommand implements Callable<Integer> {

    @Mixin
    Main.ConfigOption config = new Main.ConfigOption();

    @Spec
    CommandSpec spec;

    @Option(names = "--workloads", paramLabel = "LIST", description = "Workloads to run, e.g. W1,W4 (default: all).")
    String workloads;

    @Option(names = "--report", paramLabel = "DIR",
            description = "Also write report.md, throughput.png, latency.png and results.jsonl into DIR.")
    Path report;

    @Option(names = "--scale", paramLabel = "F", description = "Multiply every size (jobs, pending rows, seconds) by F.")
    Double scale;

    @Option(names = "--w1-jobs", paramLabel = "N", description = "W1 tasks (default 100000).")
    Integer w1Jobs;

    @Option(names = "--w1-warmup-jobs", paramLabel = "N", description = "W1 unmeasured warm-up tasks (default 20000; 0 skips).")
    Integer w1WarmupJobs;

    @Option(names = "--w2-jobs", paramLabel = "N", description = "W2 future-dated tasks (default 10000).")
    Integer w2Jobs;

    @Option(names = "--w3-jobs", paramLabel = "N", description = "W3 rescheduling tasks (default 10000).")
    Integer w3Jobs;

    @Option(names = "--scheduler-warmup-jobs", paramLabel = "N",
            description = "W2 and W3: tasks of an unmeasured round of the same workload first (default 10000; 0 skips).")
    Integer schedulerWarmupJobs;

    @Option(names = "--w4-rate", paramLabel = "R", description = "W4 tasks per second (default 1000).")
    Integer w4Rate;

    @Option(names = "--w4-seconds", paramLabel = "S", description = "W4 seconds per consumer (default 20).")
    Integer w4Seconds;

    @Option(names = "--http-seconds", paramLabel = "S", description = "W5/W6 measured seconds per run (default 10).")
    Integer httpSeconds;

    @Option(names = "--http-warmup-seconds", paramLabel = "S",
            description = "W5/W6 warm-up before each measured run (default 10; 0 skips).")
    Integer httpWarmupSeconds;

    @Option(names = "--connections", paramLabel = "C", description = "W5 keep-alive connections (default 32).")
    Integer connections;

    @Option(names = "--client", paramLabel = "auto|java|wrk",
            description = "W5 load generator: wrk when on the PATH (auto, the default), or java.net.http.")
    String client;

    @Option(names = "--w6-rate", paramLabel = "R", description = "W6 interactive requests per second (default 500).")
    Integer w6Rate;

    @Option(names = "--m1-pending", paramLabel = "M", description = "M1 pending reschedules (default 1000000).")
    Integer m1Pending;

    @Option(names = "--m2-tasks", paramLabel = "N", description = "M2 tasks per run, with and without pruning (default 3200000).")
    Integer m2Tasks;

    @Option(names = "--m2-rate", paramLabel = "R", description = "M2 tasks produced per second (default 8000).")
    Integer m2Rate;

    @Option(names = "--partitions", paramLabel = "P", description = "Partitions of the benchmark topics (default 4).")
    Integer partitions;

    @Option(names = "--ordering", paramLabel = "key|none", description = "Worker ordering in W1-W4 (default key).")
    String ordering;

    @Option(names = "--status-writers", paramLabel = "N", description = "worker.status-writers under test (default 2).")
    Integer statusWriters;

    @Option(names = "--max-in-flight", paramLabel = "N", description = "worker.max-in-flight under test (default 16384).")
    Integer maxInFlight;

    @Option(names = "--counters", paramLabel = "on|off",
            description = "off disables the task_counts triggers, to measure what they cost (default on).")
    String counters;

    @Option(names = "--step-timeout-seconds", paramLabel = "T",
            description = "Longest a workload waits for its tasks before it fails (default 150).")
    Integer stepTimeoutSeconds;

    @Option(names = "--pg-fsync", paramLabel = "on|off",
            description = "Embedded PostgreSQL with fsync and synchronous_commit on (default) or off (its defaults).")
    String pgFsync;

    /** The settings these options describe: the issue's sizes, scaled, then the sizes given. */
    BenchSettings settings() {
        BenchSettings.Builder b = (scale == null ? BenchSettings.defaults() : BenchSettings.defaults().scaled(scale))
                .toBuilder();
        if (workloads != null) {
            b.workloads(BenchSettings.parseWorkloads(workloads));
        }
        if (ordering != null) {
            try {
                b.ordering(Ordering.valueOf(ordering.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--ordering must be key or none, was '" + ordering + "'");
            }
        }
        set(w1Jobs, b::w1Jobs);
        set(w1WarmupJobs, b::w1WarmupJobs);
        set(w2Jobs, b::w2Jobs);
        set(w3Jobs, b::w3Jobs);
        set(schedulerWarmupJobs, b::schedulerWarmupJobs);
        set(w4Rate, b::w4Rate);
        set(w4Seconds, b::w4Seconds);
        set(httpSeconds, b::httpSeconds);
        set(httpWarmupSeconds, b::httpWarmupSeconds);
        set(connections, b::connections);
        set(client, b::client);
        set(w6Rate, b::w6Rate);
        set(m1Pending, b::m1Pending);
        set(m2Tasks, b::m2Tasks);
        set(m2Rate, b::m2Rate);
        set(partitions, b::partitions);
        set(statusWriters, b::statusWriters);
        set(maxInFlight, b::maxInFlight);
        set(stepTimeoutSeconds, b::stepTimeoutSeconds);
        set(onOff("--counters", counters), b::counters);
        set(onOff("--pg-fsync", pgFsync), b::durable);
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        BenchSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        ConveyorConfig c = config.load();
        // Standard output carries only the JSON lines: anything else printed there goes to stderr.
        PrintStream out = System.out;
        System.setOut(System.err);
        try {
            Progress progress = new Progress(System.err);
            BenchRunner.Outcome outcome = BenchRunner.run(settings, c.bootstrapGiven() ? c.bootstrap() : null,
                    c.dbUrlGiven() ? c.db() : null, out, progress);
            if (report != null) {
                Path md = ReportWriter.write(report, outcome.machine(), commandLine(), outcome.lines());
                progress.say("report written to " + md.toAbsolutePath());
            }
            return outcome.ok() ? 0 : 1;
        } finally {
            out.flush();
            System.setOut(out);
        }
    }

    private String commandLine() {
        java.util.List<String> args = spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf(spec.name());
        return "ops/bin/conveyor bench " + String.join(" ", args.subList(at + 1, args.size()));
    }

    /** on → true, off → false, not given → null. */
    private static Boolean onOff(String option, String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (!v.equals("on") && !v.equals("off")) {
            throw new IllegalArgumentException(option + " must be on or off, was '" + value + "'");
        }
        return v.equals("on");
    }

    private static <T> void set(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}
