package dev.conveyor.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code ops/bin/chaos [--minutes N] [--seed S] [--out FILE] [--dir DIR] [--rate R] [--faults K,...]}
 * (also {@code conveyor chaos ...}). Exit code 0 when nothing was lost, doubled or wrong and every due
 * callback arrived; 1 otherwise; 2 on bad arguments.
 */
public final class ChaosMain {

    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        double minutes = 10;
        long seed = System.nanoTime() % 1_000_000;
        Path out = null;
        Path dir = null;
        double rate = 120;
        Set<String> faults = Set.of();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--rate" -> rate = Double.parseDouble(args[++i]);
                    case "--faults" -> faults = Arrays.stream(args[++i].split(",")).map(String::trim)
                            .filter(s -> !s.isEmpty()).collect(Collectors.toSet());
                    case "-h", "--help" -> {
                        System.out.println(usage());
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("chaos: " + e.getMessage() + "\n" + usage());
            System.exit(2);
        }
        var report = ChaosRun.run(new ChaosRun.Options(Duration.ofMillis((long) (minutes * 60_000)), seed, out, dir, rate,
                faults));
        boolean ok = Boolean.TRUE.equals(report.get("quiet")) && zero(report, "lost") && zero(report, "double_terminal")
                && zero(report, "wrong_outcome") && zero(report, "callbacks_missing");
        System.exit(ok ? 0 : 1);
    }

    private static boolean zero(java.util.Map<String, Object> report, String key) {
        return ((Number) report.get(key)).longValue() == 0;
    }

    private static String usage() {
        return """
                usage: chaos [--minutes N] [--seed S] [--out FILE] [--dir DIR] [--rate EVENTS_PER_S] [--faults KINDS]
                  --minutes N   how long the load (and the faults) last; default 10
                  --seed S      seed of the fault plan and the load mix; default random (printed)
                  --out FILE    also append the run's JSON line to FILE
                  --dir DIR     run directory (default $TMPDIR/conveyor-chaos/<time>-seed<S>); kept after the run
                  --rate R      events per second over all clients; default 120
                  --faults K    only these fault kinds, comma-separated: kill9, sigterm, kill9_worker, kill9_broker,
                                stop_postgres, cut_worker_db, cut_worker_kafka, ... (default: all the plan fits)
                Exit code 0 when no task was lost, doubled or wrong and every due callback arrived, 1 otherwise.""";
    }
}
