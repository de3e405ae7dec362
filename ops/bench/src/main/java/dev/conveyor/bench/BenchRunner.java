package dev.conveyor.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.store.db.DbConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the chosen workloads one after the other on one infrastructure and prints one JSON line
 * per workload as it finishes; a workload that throws becomes a line with an {@code error}.
 */
public final class BenchRunner {

    /** What a run produced. */
    public record Outcome(MachineInfo machine, List<ObjectNode> lines) {
        /** True when no workload failed (a missed target is not a failure). */
        public boolean ok() {
            return lines.stream().noneMatch(l -> l.has("error"));
        }
    }

    private BenchRunner() {}

    /** Every workload, in the order they run. */
    public static List<Workload> workloads() {
        return List.of(new Throughput(), new DelayAccuracy(), new Reschedule(), new PickupLatency(), new HttpEnqueue(),
                new Interactive(), new Memory(), new SteadyStorage());
    }

    /**
     * @param bootstrap external Kafka, or null for an embedded broker
     * @param db external PostgreSQL, or null for an embedded one
     * @param out where the JSON lines go (standard output)
     */
    public static Outcome run(BenchSettings settings, String bootstrap, DbConfig db, PrintStream out,
            Progress progress) throws Exception {
        List<ObjectNode> lines = new ArrayList<>();
        try (Infrastructure infra = Infrastructure.start(bootstrap, db, settings.durable(), progress)) {
            MachineInfo machine = MachineInfo.probe(infra);
            progress.say("machine: " + machine.toJson());
            BenchContext ctx = new BenchContext(settings, infra, progress);
            for (Workload w : workloads()) {
                if (!settings.runs(w.id())) {
                    continue;
                }
                progress.say(w.id() + ": start");
                long start = System.nanoTime();
                Line line;
                try {
                    line = w.run(ctx);
                } catch (Exception | Error e) {
                    progress.say(w.id() + ": failed: " + e);
                    e.printStackTrace();
                    line = new Line(w.id(), "failed").fail(e.toString());
                }
                line.put("workload_seconds", Progress.secondsSince(start))
                        .put("postgres_fsync", machine.fsync())
                        .put("postgres_synchronous_commit", machine.synchronousCommit());
                ObjectNode json = line.finish();
                out.println(json);
                out.flush();
                lines.add(json);
            }
            return new Outcome(machine, lines);
        }
    }
}
